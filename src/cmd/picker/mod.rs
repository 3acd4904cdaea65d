//! `ssm-check connect` with no target, on a terminal: the region's instances and managed nodes to choose from,
//! filtered as you type, each with its verdict for the session's mode once a fleet check in the background brings
//! it (the list is usable before). Ready: connect; not ready: its report. The connection tools that hide the
//! targets that are not online hide exactly the ones whose "why" a user came for.

// The list and its screen need the `live` feature's crates (fuzzy matching, keyboard events).
#[cfg(feature = "live")]
mod feed;
#[cfg(feature = "live")]
mod rows;
#[cfg(feature = "live")]
mod screen;

use super::cli::AwsArgs;
use super::CommandError;
use ssm_check::options::Options;
use ssm_check::rules::Report;
use std::time::Duration;

/// A verdict the list shows is used for the session for as long as `proxy` reuses a cached one by default; an
/// older one is checked again.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
const FRESH: Duration = Duration::from_secs(300);

/// What was chosen.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
pub enum Picked {
    /// A target the background check had reported, this long ago.
    Checked(Box<Report>, Duration),
    /// A target chosen before its verdict came: to be checked now.
    Unchecked(String),
    /// Esc or Ctrl-C.
    Quit,
}

/// The picker needs a terminal to draw on (stderr) and keys to read (stdin); elsewhere `connect` needs a target,
/// as it always did.
pub fn on_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn usage_error() -> CommandError {
    CommandError::input("connect needs a TARGET when it is not run on a terminal").help(
        "ssm-check connect i-0123456789abcdef0 (or an instance's Name: ssm-check connect web-1); on a terminal, without a target, it offers a list to choose from",
    )
}

#[cfg(not(feature = "live"))]
pub fn pick(_options: &Options, _aws: &AwsArgs, _title: String) -> Result<Picked, CommandError> {
    Err(super::live::not_built())
}

/// Lists the targets, checks them in the background, and lets the user choose one.
#[cfg(feature = "live")]
pub fn pick(options: &Options, aws: &AwsArgs, title: String) -> Result<Picked, CommandError> {
    let started = feed::start(options, aws)?;
    let mut picker = screen::Picker {
        rows: rows::Rows::default(),
        phase: screen::Phase::Listing,
        title,
        progress: started.progress,
        checked_at: None,
    };
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let ended = screen::run(&mut picker, &started.feed, color);
    // Nothing more to check once a choice is made: the session should not share the network with a fleet check.
    started.stop.abort();
    let ended = ended.map_err(|e| CommandError::environment(format!("the terminal: {e}")))?;
    Ok(match ended {
        screen::Ended::Quit => Picked::Quit,
        screen::Ended::Failed(e) => return Err(e),
        screen::Ended::Chose(i) => {
            let row = &picker.rows.rows[i];
            let age = picker.checked_at.map(|at| at.elapsed());
            match (&row.report, age) {
                (Some(report), Some(age)) if age < FRESH => {
                    Picked::Checked(Box::new(report.clone()), age)
                }
                _ => Picked::Unchecked(row.listed.id.clone()),
            }
        }
    })
}
