//! Writing to standard output without ignoring what goes wrong: a reader that closed the pipe (`| head`) ends the
//! output quietly, as other command-line tools do; any other failure (a full disk) is an error, so a CI gate never
//! passes with no report written.

use super::CommandError;
use std::io::{ErrorKind, Write};

/// Standard output, remembering whether its reader has gone.
pub struct Stdout {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    closed: bool,
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout {
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            closed: false,
        }
    }

    /// Writes with `f` and flushes; after the reader has gone, writes nothing.
    pub fn write_with(
        &mut self,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CommandError> {
        if self.closed {
            return Ok(());
        }
        let result = f(&mut self.out).and_then(|()| self.out.flush());
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(write_error(&e)),
        }
    }

    pub fn write_str(&mut self, text: &str) -> Result<(), CommandError> {
        self.write_with(|out| out.write_all(text.as_bytes()))
    }
}

/// The one line for a failed write.
pub fn write_error(e: &std::io::Error) -> CommandError {
    CommandError::environment(format!("cannot write the output: {e}"))
        .help("check the disk or the file standard output goes to")
}

/// Prints `text` on standard output: for the commands that print one thing.
pub fn print(text: &str) -> Result<(), CommandError> {
    Stdout::new().write_str(text)
}

/// Prints on standard error, never panicking (stderr may be closed too).
pub fn eprint(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}
