//! Handing over to `aws ssm start-session`. The aws CLI runs as a child on this process's standard input and output
//! (ssh's protocol in `proxy`, the terminal in `connect`: untouched) with its standard error passed through as it
//! comes and kept. When the session fails all the same, what the CLI said goes through the table `ssm-check why`
//! uses, and the explanation follows it; the exit code stays the CLI's.

use super::CommandError;
use ssm_check::messages::recognise;
use ssm_check::render;
use ssm_check::render::text::{wrap, wrap_width};
use ssm_check::rules::Report;
use std::io::{IsTerminal, Read, Write};
use std::process::{Command, Stdio};

/// The CLI's last words are at its end: this much of its standard error is kept.
const KEPT: usize = 64 * 1024;

/// Runs `aws ARGS` to its end: its exit code (1 when a signal ended it). When it fails, what it said is explained,
/// with `report`'s verdicts on the causes when the target was checked now.
pub fn run(args: &[String], report: Option<&Report>) -> Result<u8, CommandError> {
    let mut child = Command::new("aws")
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CommandError::environment(format!("cannot run the aws CLI: {e}")))?;
    let stderr = child.stderr.take().expect("piped");
    // Interrupts are the session's to handle (the plugin ends port forwarding on Ctrl-C); this process waits.
    let _interrupts = Interrupts::ignored();
    let passed = std::thread::spawn(move || pass_through(stderr));
    let status = child
        .wait()
        .map_err(|e| CommandError::environment(format!("the aws CLI: {e}")))?;
    let said = passed.join().unwrap_or_default();
    if status.success() {
        return Ok(0);
    }
    explain(&String::from_utf8_lossy(&said), report);
    // Never 0 for a failure: a Windows status (0xC000013A after Ctrl-C) or one past 255 is 255.
    Ok(status
        .code()
        .map_or(1, |c| u8::try_from(c).unwrap_or(255).max(1)))
}

/// Copies the CLI's standard error to this one's as it comes, keeping its last `KEPT` bytes.
fn pass_through(mut from: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    let mut to = std::io::stderr();
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let _ = to.write_all(&buf[..n]);
                let _ = to.flush();
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > KEPT {
                    kept.drain(..kept.len() - KEPT);
                }
            }
        }
    }
    kept
}

/// The explanation of what the CLI said, on stderr, when the table knows any of it.
fn explain(said: &str, report: Option<&Report>) {
    let known = recognise(said);
    if known.is_empty() {
        return;
    }
    let verdict = if report.is_some() {
        "checked just now"
    } else {
        "reused from the cache, now forgotten"
    };
    let width = wrap_width(std::io::stderr().is_terminal());
    let head = format!(
        "ssm-check: the session did not open after all (the verdict was {verdict}). What the aws CLI said:"
    );
    let mut text = String::from("\n");
    for line in wrap(&head, width, "", "  ") {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&render::why::explain(&known, report, width, false));
    super::output::eprint(&text);
}

/// Interrupt, quit and stop (Ctrl-Z) signals ignored by this process while the session runs; as they were after.
/// The terminal sends them to the whole foreground group: the aws CLI ignores them, the plugin passes them to the
/// remote shell, and this process must neither end nor stop under them.
struct Interrupts {
    #[cfg(unix)]
    before: [libc::sighandler_t; 3],
}

impl Interrupts {
    fn ignored() -> Interrupts {
        #[cfg(unix)]
        {
            // SAFETY: signal(2) with SIG_IGN installs no handler code; the previous dispositions are restored on drop.
            let before = unsafe {
                [
                    libc::signal(libc::SIGINT, libc::SIG_IGN),
                    libc::signal(libc::SIGQUIT, libc::SIG_IGN),
                    libc::signal(libc::SIGTSTP, libc::SIG_IGN),
                ]
            };
            Interrupts { before }
        }
        #[cfg(not(unix))]
        Interrupts {}
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restores the dispositions `ignored` replaced.
        unsafe {
            libc::signal(libc::SIGINT, self.before[0]);
            libc::signal(libc::SIGQUIT, self.before[1]);
            libc::signal(libc::SIGTSTP, self.before[2]);
        }
    }
}
