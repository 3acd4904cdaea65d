//! The commands of the binary: checking (and gathering), and the pre-session entry points.

pub mod check;
pub mod live;
pub mod session;

/// Exit codes, documented in README.md.
pub const READY: u8 = 0;
pub const NOT_READY: u8 = 1;
pub const INPUT_ERROR: u8 = 2;
#[cfg_attr(not(feature = "live"), allow(dead_code))]
pub const ENVIRONMENT_ERROR: u8 = 3;

/// An exit code and its one-line message.
pub type Failure = (u8, String);
