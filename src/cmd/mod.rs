//! The commands of the binary: checking (and gathering), and the pre-session entry points. The modules only the
//! binary needs live here, so the library builds without clap's arguments, the session's command line or the
//! verdict cache.

pub mod cli;
pub mod entry_points;
pub mod handover;
pub mod live;
pub mod manual;
pub mod output;
mod picker;
pub mod readiness;
mod session_command;
#[cfg(feature = "live")]
mod verdict_cache;
pub mod why;

/// Exit codes, documented in README.md.
pub const READY: u8 = 0;
pub const NOT_READY: u8 = 1;
pub const INPUT_ERROR: u8 = 2;
/// Nothing fails, but a requirement could not be checked: not a pass (`--fail-on unknown` makes it 1).
pub const CANNOT_TELL: u8 = 4;
#[cfg_attr(not(feature = "live"), allow(dead_code))]
pub const ENVIRONMENT_ERROR: u8 = 3;
/// `connect`'s picker left with Esc or Ctrl-C: nothing chosen, no session (130, as shells report an interrupt).
pub const PICKED_NOTHING: u8 = 130;

/// Why a command stopped: an exit code, its one-line message (`error: …`) and, when there is one, what to do
/// about it (`help: …`).
#[derive(Debug)]
pub struct CommandError {
    pub code: u8,
    pub message: String,
    pub help: Option<String>,
}

impl CommandError {
    /// Usage or input: exit code 2.
    pub fn input(message: impl Into<String>) -> CommandError {
        CommandError {
            code: INPUT_ERROR,
            message: message.into(),
            help: None,
        }
    }

    /// Credentials, region, connectivity, the time bound, a report that cannot be written: exit code 3.
    pub fn environment(message: impl Into<String>) -> CommandError {
        CommandError {
            code: ENVIRONMENT_ERROR,
            message: message.into(),
            help: None,
        }
    }

    /// The same error with a `help:` line.
    pub fn help(mut self, help: impl Into<String>) -> CommandError {
        self.help = Some(help.into());
        self
    }
}

/// The library's errors as exit codes; the time bound named by the flag that sets it.
#[cfg(feature = "live")]
impl From<ssm_check::CheckError> for CommandError {
    fn from(e: ssm_check::CheckError) -> Self {
        use ssm_check::CheckError;
        match e {
            CheckError::Input(m) => CommandError::input(m),
            // The gatherer words what a person can act on as "what happened\nhelp: what to do".
            CheckError::Environment(m) => match m.split_once("\nhelp: ") {
                Some((what, help)) => CommandError::environment(what).help(help),
                None => CommandError::environment(m),
            },
            CheckError::Timeout(_) => CommandError::environment(format!("{e} (--timeout)")),
        }
    }
}

#[cfg(all(test, feature = "live"))]
mod tests {
    use super::*;
    use ssm_check::CheckError;

    #[test]
    fn the_library_s_errors_keep_their_exit_codes_and_name_the_flag() {
        let e = CommandError::from(CheckError::Input("bad".into()));
        assert_eq!((e.code, e.message.as_str()), (INPUT_ERROR, "bad"));
        let e = CommandError::from(CheckError::Environment("no region".into()));
        assert_eq!(e.code, ENVIRONMENT_ERROR);
        let e = CommandError::from(CheckError::Timeout(std::time::Duration::from_secs(60)));
        assert_eq!(e.code, ENVIRONMENT_ERROR);
        assert_eq!(e.message, "gathering did not finish within 60s (--timeout)");
    }
}
