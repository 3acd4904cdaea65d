//! Command-line arguments: the binary's, so the library does not build clap's derives.

use clap::{Parser, Subcommand, ValueEnum};
use ssm_check::options::Mode;
use ssm_check::rules::{Gate, Status};
use ssm_check::selection::{name_filter, valid_target, validate_target, Ec2Filter, Selection};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ssm-check",
    version,
    about = "Tells you why you cannot open an AWS Systems Manager session to an instance, and what to change.",
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 every target ready, 1 some target not ready (see --fail-on), 2 usage or input error, \
                  3 environment error (credentials, region, endpoint, output that cannot be written), 4 cannot tell (nothing fails, but a requirement could not be checked: the \
                  report names the permissions that would decide it).\n\
                  Examples:\n  ssm-check i-0123456789abcdef0 --mode port --port 3389\n  \
                  ssm-check --filters Name=tag:Env,Values=prod --region eu-west-1,eu-west-2 --format json\n  \
                  ssm-check --facts examples/rdp-private-strict-sg.json --mode port --port 3389\n  \
                  ssm-check i-0123456789abcdef0 --wait 10m    (after a launch: until the agent registers)\n  \
                  ssm-check explain endpoint-sg-ingress"
)]
pub struct Cli {
    #[command(flatten)]
    pub select: SelectArgs,

    /// Evaluate a saved facts document (one target's or a fleet's) instead of asking AWS; ids pick targets from it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "region", "filters", "all"])]
    pub facts: Option<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// What you want to open.
    #[arg(long, value_enum, default_value_t = ModeArg::Shell)]
    pub mode: ModeArg,

    /// The port to forward to (port modes; 3389 for RDP; SSH's port in ssh mode). Defaults to the document's 80 (22 for SSH).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=65535))]
    pub port: Option<u16>,

    /// The host to forward to (remote-port mode).
    #[arg(long, value_name = "HOST")]
    pub remote_host: Option<String>,

    /// `connect`'s: taken here only to say so.
    #[arg(long, hide = true, value_name = "PORT")]
    pub local_port: Option<String>,

    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Which findings make the exit code 1 besides failures (CI gate): warn, unknown, or both.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub fail_on: Vec<FailOn>,

    /// Always exit 0 once a report is made.
    #[arg(long, conflicts_with = "fail_on")]
    pub exit_zero: bool,

    /// Print nothing; the exit code is the answer.
    #[arg(short, long)]
    pub quiet: bool,

    /// Show every check with its evidence, passes and skips too; with several targets, the full reports of those
    /// not ready or that cannot be told.
    #[arg(short, long)]
    pub verbose: bool,

    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Check until ready: while every failure is one that ends by itself (the instance starting, the agent
    /// registering, an endpoint being created), check again until ready or DURATION has passed (10m, 90s, 1h). A
    /// failure that stays ends the wait at once.
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub wait: Option<std::time::Duration>,

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
        #[command(flatten)]
        select: SelectArgs,
        /// Also look up this remote-port host's addresses and security groups.
        #[arg(long, value_name = "HOST")]
        remote_host: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Explain an error message you got: what it means, and the rules that check its causes. With a target (named
    /// in the message, or --target) or --facts, check it and say which cause holds. The message may come on
    /// standard input: `aws ssm start-session … 2>&1 | ssm-check why`. Nothing is sent anywhere.
    #[command(
        after_help = "Examples:\n  ssm-check why \"An error occurred (TargetNotConnected) when calling the StartSession operation: i-0123456789abcdef0 is not connected.\"\n  \
                            aws ssm start-session --target i-0123456789abcdef0 2>&1 | ssm-check why\n\
                            Every message it knows: docs/errors.md"
    )]
    Why {
        /// The message (quoted, or as words); read from standard input when absent.
        #[arg(value_name = "MESSAGE")]
        message: Vec<String>,
        /// The instance or managed node the message is about, when the message does not name it.
        #[arg(long)]
        target: Option<String>,
        /// The session's mode, when the message does not name its document.
        #[arg(long, value_enum)]
        mode: Option<ModeArg>,
        /// The port forwarded to (port modes).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=65535))]
        port: Option<u16>,
        /// The host forwarded to (remote-port mode).
        #[arg(long, value_name = "HOST")]
        remote_host: Option<String>,
        /// Saved facts to check instead of gathering.
        #[arg(long, value_name = "FILE")]
        facts: Option<std::path::PathBuf>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// For ssh's ProxyCommand: check the target for SSH, then run `aws ssm start-session` (AWS-StartSSHSession).
    /// Not ready: the failures and their remedies on stderr, exit 1. A session that fails all the same: what the
    /// aws CLI said, explained.
    #[command(
        after_help = "In ~/.ssh/config:\n  Host i-* mi-*\n    ProxyCommand ssm-check proxy %h %p\n\
                            On Windows: ProxyCommand C:\\path\\to\\ssm-check.exe proxy %h %p"
    )]
    Proxy {
        /// The instance or managed node (ssh's %h).
        host: String,
        /// The port on it (ssh's %p).
        #[arg(value_parser = clap::value_parser!(u16).range(1..=65535))]
        port: u16,
        /// Reuse a ready verdict on the same target, profile, region and port younger than this; 0 always checks.
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        cache_ttl: u64,
        /// Check until ready: while every failure is one that ends by itself (the instance starting, the agent
        /// registering, an endpoint being created), check again until ready or DURATION has passed (10m, 90s, 1h). A
        /// failure that stays ends the wait at once.
        #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
        wait: Option<std::time::Duration>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Check, then start the session with the mode's document and parameters (through the aws CLI); not ready: the
    /// report, and no session.
    Connect {
        /// The instance or managed node (an id, a Name, an address or a DNS name). Without one, on a terminal: a
        /// list of the region's instances and managed nodes to choose from, with their verdicts.
        target: Option<String>,
        #[arg(long, value_enum, default_value_t = ConnectMode::Shell)]
        mode: ConnectMode,
        /// The port to forward to (port modes; 3389 for RDP).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=65535))]
        port: Option<u16>,
        /// The port on this machine (port modes); the plugin picks a free one when absent.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=65535))]
        local_port: Option<u16>,
        /// The host to forward to (remote-port mode).
        #[arg(long, value_name = "HOST")]
        remote_host: Option<String>,
        /// Also refuse to start when a finding has one of these statuses.
        #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
        fail_on: Vec<FailOn>,
        /// Check until ready: while every failure is one that ends by itself (the instance starting, the agent
        /// registering, an endpoint being created), check again until ready or DURATION has passed (10m, 90s, 1h). A
        /// failure that stays ends the wait at once.
        #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
        wait: Option<std::time::Duration>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the shell completion script for SHELL.
    ///
    /// Bash: `ssm-check completions bash > /etc/bash_completion.d/ssm-check` (or source it from ~/.bashrc); zsh:
    /// save it as `_ssm-check` in a directory on $fpath; fish: `~/.config/fish/completions/ssm-check.fish`;
    /// PowerShell: add `ssm-check completions powershell | Out-String | Invoke-Expression` to $PROFILE.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write every page.
    ///
    /// `ssm-check man | man -l -`. With --out-dir, write it and one page per subcommand (ssm-check-proxy.1, …)
    /// into DIR, e.g. /usr/local/share/man/man1.
    Man {
        /// Write every page into this directory instead of printing the main one.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Which targets: ids, EC2 filters, or everything in the regions.
#[derive(Debug, Clone, clap::Args)]
pub struct SelectArgs {
    /// Instances (`i-…`) and hybrid nodes (`mi-…`) to check; or one instance by its Name tag (`web-*` wildcards), its
    /// private or public IPv4 address, or its DNS name.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Check the instances these DescribeInstances filters select, in the aws CLI's syntax; repeat to narrow.
    /// Terminated instances are left out unless a filter names instance-state-name.
    #[arg(long, value_name = "Name=NAME,Values=V1,V2", conflicts_with_all = ["targets", "all"])]
    pub filters: Vec<Ec2Filter>,
    /// Check every instance (not terminated) and every managed node of the regions.
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
}

impl SelectArgs {
    /// The selection, once every id is valid; `None` when nothing was named.
    pub fn selection(&self) -> Result<Option<Selection>, String> {
        if let Some(filter) = self.by_name()? {
            return Ok(Some(Selection::Filters(vec![filter])));
        }
        self.targets.iter().try_for_each(|t| validate_target(t))?;
        Ok(if self.all {
            Some(Selection::All)
        } else if !self.filters.is_empty() {
            Some(Selection::Filters(self.filters.clone()))
        } else if !self.targets.is_empty() {
            Some(Selection::Ids(self.targets.clone()))
        } else {
            None
        })
    }
}

impl SelectArgs {
    /// One target named by its Name tag, address or DNS name (not an id): the filter that finds it. Ids and names
    /// do not mix, and one name at a time (several: --filters).
    pub fn by_name(&self) -> Result<Option<Ec2Filter>, String> {
        let names: Vec<&String> = self.targets.iter().filter(|t| !valid_target(t)).collect();
        match (names.as_slice(), self.targets.len()) {
            ([], _) => Ok(None),
            ([name], 1) => name_filter(name).map(Some),
            ([name, ..], _) => {
                name_filter(name)?;
                Err(format!(
                    "`{name}` is a name: check one name at a time, or ids only (several names: --filters Name=tag:Name,Values=…)"
                ))
            }
        }
    }
}

/// Where and as whom to ask AWS: as the AWS CLI does (these flags, then AWS_PROFILE, AWS_REGION, the profile's
/// settings, AWS_ENDPOINT_URL*).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// The named profile to use.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// The region the targets are in; several, comma-separated or repeated, are checked in one run.
    #[arg(long, global = true, value_delimiter = ',')]
    pub region: Vec<String>,
    /// Lookups of one kind (VPCs, instance profiles) in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, global = true, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
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

/// `connect --mode`: the sessions `connect` starts; SSH goes through `proxy` (hidden, so it is not offered and
/// then refused, but named when asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConnectMode {
    /// An interactive shell.
    Shell,
    /// Port forwarding to a port on the instance itself (RDP is 3389).
    Port,
    /// Port forwarding through the instance to another host.
    RemotePort,
    #[value(hide = true)]
    Ssh,
}

impl From<ConnectMode> for Mode {
    fn from(m: ConnectMode) -> Self {
        match m {
            ConnectMode::Shell => Mode::Shell,
            ConnectMode::Port => Mode::Port,
            ConnectMode::RemotePort => Mode::RemotePort,
            ConnectMode::Ssh => Mode::Ssh,
        }
    }
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
    /// One target: its full report; several: one row per target and a summary.
    Table,
    /// One target: the report; several: the fleet report (`docs/report.md`).
    Json,
    /// One report per line, per target as it is evaluated.
    Ndjson,
    /// JUnit XML: one testsuite per target, one testcase per rule (`--fail-on` decides failure or skipped).
    Junit,
    /// GitHub Actions workflow commands: one annotation per finding that needs attention.
    Github,
    /// A Markdown summary: a row per target and each failing target's fixes (a step summary, a PR comment).
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

/// `--fail-on`: a status that fails the gate besides failures (named apart from the engine's [`Gate`] it builds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Fail,
    Warn,
    Unknown,
}

impl FailOn {
    /// The engine's gate for the statuses given.
    pub fn gate(statuses: &[FailOn]) -> Gate {
        let statuses: Vec<Status> = statuses
            .iter()
            .map(|s| match s {
                FailOn::Fail => Status::Fail,
                FailOn::Warn => Status::Warn,
                FailOn::Unknown => Status::Unknown,
            })
            .collect();
        Gate::new(&statuses)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// clap's error as one `error:` line and one `help:` line (its tip, the values it takes, or where the usage is);
/// `--help` and `--version` print as clap prints them.
pub fn usage_error(e: clap::Error) -> super::CommandError {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let mut rest: Vec<&str> = lines.collect();
    // "the following required arguments were not provided:" names them on the lines after.
    while message.ends_with(':') && rest.first().is_some_and(|l| !l.starts_with("Usage: ")) {
        message = format!("{message} {}", rest.remove(0));
    }
    let usage = rest
        .iter()
        .find_map(|l| l.strip_prefix("Usage: "))
        .map(|u| u.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
    let help = rest
        .iter()
        .find_map(|l| l.strip_prefix("tip: "))
        .map(str::to_string)
        .or_else(|| {
            rest.iter()
                .find_map(|l| l.strip_prefix("[possible values: "))
                .map(|v| format!("possible values: {}", v.trim_end_matches(']')))
        })
        .unwrap_or_else(|| {
            let command = match usage.as_deref() {
                Some(u) if !u.ends_with("[OPTIONS]") && !u.contains('<') && !u.contains('[') => u,
                _ => "ssm-check",
            };
            format!("`{command} --help` shows the usage")
        });
    super::CommandError::input(message).help(help)
}

/// Flags that do not apply to the mode asked for are mistakes, not options to ignore: a check that drops `--port`
/// answers another question than the one asked. Each error suggests the command that was likely meant.
pub fn check_mode_flags(
    mode: Mode,
    port: Option<u16>,
    remote_host: Option<&str>,
) -> Result<(), super::CommandError> {
    use super::CommandError;
    let forwards = matches!(mode, Mode::Port | Mode::RemotePort);
    if let Some(p) = port.filter(|_| !forwards && mode != Mode::Ssh) {
        return Err(CommandError::input(format!(
            "--port {p} does not apply to --mode {}: only port forwarding (and SSH) goes to a port",
            mode.id()
        ))
        .help(format!(
            "to forward port {p}: {}",
            suggest(&["--mode", "port"])
        )));
    }
    match (mode, remote_host) {
        (Mode::RemotePort, None) => Err(CommandError::input(
            "--mode remote-port needs --remote-host: the host to forward to through the instance",
        )
        .help(format!("name it: {}", suggest(&["--remote-host", "HOST"])))),
        (Mode::RemotePort, Some(_)) | (_, None) => Ok(()),
        (_, Some(host)) => Err(CommandError::input(format!(
            "--remote-host {host} does not apply to --mode {}: only remote-port forwards to another host",
            mode.id()
        ))
        .help(format!(
            "to forward through the instance to {host}: {}",
            suggest(&["--mode", "remote-port"])
        ))),
    }
}

/// This run's command line with `add` in place of any flag of the same name (and its value): the command the
/// person likely meant, quoted for a shell.
pub fn suggest(add: &[&str]) -> String {
    let name = add.first().copied().unwrap_or_default();
    let mut words = vec!["ssm-check".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            args.next();
        } else if !a.starts_with(&format!("{name}=")) || name.is_empty() {
            words.push(a);
        }
    }
    words.extend(add.iter().map(|a| a.to_string()));
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `w` as a shell reads it back: bare when it is plain, else in single quotes.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// `--wait`'s DURATION: `10m`, `90s`, `1h30m`, `2m 30s`, or seconds; from a second to a day.
pub fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let seconds = match text.parse::<u64>() {
        Ok(n) => n as f64,
        Err(_) => text
            .parse::<jiff::SignedDuration>()
            .map_err(|_| format!("`{text}` is not a duration: write it as 10m, 90s or 1h30m"))?
            .as_secs_f64(),
    };
    if !(1.0..=86_400.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range: wait from 1s to 24h"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::parse_wait;
    use std::time::Duration;

    #[test]
    fn a_wait_is_written_as_people_write_durations() {
        for (text, seconds) in [
            ("10m", 600),
            ("90s", 90),
            ("1h30m", 5400),
            ("2m 30s", 150),
            ("45", 45),
        ] {
            assert_eq!(parse_wait(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
        for bad in ["", "10x", "-5m", "0", "25h", "soon"] {
            assert!(parse_wait(bad).is_err(), "{bad}");
        }
    }
}
