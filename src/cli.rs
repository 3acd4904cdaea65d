//! Command-line arguments.

use crate::options::Mode;
use crate::rules::Status;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ssm-check",
    version,
    about = "Tells you why you cannot open an AWS Systems Manager session to an instance, and what to change.",
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 ready, 1 not ready (see --fail-on), 2 usage or input error, 3 environment error.\n\
                  Examples:\n  ssm-check --facts examples/rdp-private-strict-sg.json --mode port --port 3389\n  \
                  ssm-check explain endpoint-sg-ingress"
)]
pub struct Cli {
    /// The instance (`i-…`) or hybrid node (`mi-…`) to check.
    pub target: Option<String>,

    /// Evaluate a saved facts document instead of asking AWS.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "region"])]
    pub facts: Option<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// What you want to open.
    #[arg(long, value_enum, default_value_t = ModeArg::Shell)]
    pub mode: ModeArg,

    /// The port to forward to (port modes; 3389 for RDP). Defaults to the document's 80.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=65535))]
    pub port: Option<u16>,

    /// The host to forward to (remote-port mode).
    #[arg(long, value_name = "HOST")]
    pub remote_host: Option<String>,

    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Which findings make the exit code 1 besides failures (CI gate): warn, unknown, or both.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub fail_on: Vec<Gate>,

    /// Always exit 0 once a report is made.
    #[arg(long, conflicts_with = "fail_on")]
    pub exit_zero: bool,

    /// Print nothing; the exit code is the answer.
    #[arg(short, long)]
    pub quiet: bool,

    /// Show evidence for passing checks, and skipped checks.
    #[arg(short, long)]
    pub verbose: bool,

    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
    },
    /// Print a rule's documentation: what it checks, why, how to fix it.
    Explain { rule: String },
    /// Gather the facts about a target from AWS and print them as JSON (evaluate later with --facts).
    Gather {
        /// The instance (`i-…`) or hybrid node (`mi-…`).
        target: String,
        /// Also look up this remote-port host's addresses and security groups.
        #[arg(long, value_name = "HOST")]
        remote_host: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
}

/// Where and as whom to ask AWS: as the AWS CLI does (these flags, then AWS_PROFILE, AWS_REGION, the profile's
/// settings, AWS_ENDPOINT_URL*).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// The named profile to use.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// The region the instance is in.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Give up gathering after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, global = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// `--mode`: the session kinds of [`Mode`], as the command line spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// An interactive shell (`aws ssm start-session --target i-…`).
    Shell,
    /// SSH or SCP over Session Manager (AWS-StartSSHSession).
    Ssh,
    /// Port forwarding to a port on the instance itself (AWS-StartPortForwardingSession; RDP is 3389).
    Port,
    /// Port forwarding through the instance to another host (AWS-StartPortForwardingSessionToRemoteHost).
    RemotePort,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Shell => Mode::Shell,
            ModeArg::Ssh => Mode::Ssh,
            ModeArg::Port => Mode::Port,
            ModeArg::RemotePort => Mode::RemotePort,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Gate {
    Fail,
    Warn,
    Unknown,
}

impl Gate {
    pub fn status(self) -> Status {
        match self {
            Gate::Fail => Status::Fail,
            Gate::Warn => Status::Warn,
            Gate::Unknown => Status::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `i-` with 8 or 17 hex digits, or `mi-` with 17.
pub fn valid_target(id: &str) -> bool {
    let hex = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    };
    match (id.strip_prefix("i-"), id.strip_prefix("mi-")) {
        (Some(rest), _) => (rest.len() == 8 || rest.len() == 17) && hex(rest),
        (_, Some(rest)) => rest.len() == 17 && hex(rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::valid_target;

    #[test]
    fn instance_ids() {
        assert!(valid_target("i-0123456789abcdef0"));
        assert!(valid_target("i-1234abcd"));
        assert!(valid_target("mi-0123456789abcdef0"));
        assert!(!valid_target("i-0123456789ABCDEF0"));
        assert!(!valid_target("i-0123"));
        assert!(!valid_target("mi-1234abcd"));
        assert!(!valid_target("0123456789abcdef0"));
        assert!(!valid_target("i-0123456789abcdefg"));
    }
}
