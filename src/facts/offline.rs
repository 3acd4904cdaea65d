//! What EC2 and Systems Manager show from outside a target whose agent is not online: its image, the lines of its
//! console output that matter, its status checks, the connection status, a hybrid node's activation, and the ways
//! in that do not need the agent (the serial console, an EC2 Instance Connect Endpoint). Gathered only for targets
//! that are not online.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The instance's AMI (`ec2:DescribeImages`). A deregistered or unshared AMI is `not_found`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub image_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The owner's account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// `amazon`, `aws-marketplace`, `aws-backup-vault`; absent for an account's own image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_alias: Option<String>,
    /// The billing platform: `Linux/UNIX`, `Red Hat Enterprise Linux`, `SUSE Linux`, `Ubuntu Pro`, `Windows`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_details: Option<String>,
    /// `x86_64` or `arm64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
}

/// The instance's console output (`ec2:GetConsoleOutput`): only the lines that tell why the agent is not
/// online, never the whole output (it can hold secrets).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleOutput {
    /// When EC2 last updated the output (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// EC2 had no output for the instance (yet).
    pub empty: bool,
    /// The latest output was read (Nitro instances); otherwise the buffered output of the last state change.
    #[serde(default)]
    pub latest: bool,
    /// The matched lines, in order.
    #[serde(default)]
    pub lines: Vec<ConsoleLine>,
}

/// One matched line of the console output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLine {
    pub kind: ConsoleSignal,
    /// The line, cut to 200 characters.
    pub text: String,
    /// The line's own time, when it has one (the agent's lines do), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// What a console line shows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleSignal {
    /// `Amazon SSM Agent v<version> is running` (amazon-ssm-agent `agent/startup/startup_unix.go`).
    AgentStarted,
    KernelPanic,
    DiskFull,
    FileSystemError,
    OutOfMemory,
    /// A failed `amazon-ssm-agent` service (systemd or snap).
    AgentServiceFailed,
    /// A cloud-init module or user-data script that failed.
    CloudInitFailed,
}

/// The instance's status checks (`ec2:DescribeInstanceStatus`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChecks {
    /// `ok`, `impaired`, `initializing`, `insufficient-data` or `not-applicable`; absent when EC2 reports none yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_status: Option<String>,
    /// Since when a check has failed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impaired_since: Option<String>,
    /// Scheduled events (`instance-retirement`, `system-reboot`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// The activation a hybrid node registered with (`ssm:DescribeActivations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    pub activation_id: String,
    pub expired: bool,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrations_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_role: Option<String>,
}

/// An EC2 Instance Connect Endpoint of the VPC (`ec2:DescribeInstanceConnectEndpoints`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceConnectEndpoint {
    pub endpoint_id: String,
    pub subnet_id: String,
    /// `create-complete` when usable.
    pub state: String,
}

/// Most lines kept of one console output, and their longest.
const MAX_LINES: usize = 20;
const MAX_LINE: usize = 200;

impl ConsoleOutput {
    /// The lines of `text` that tell why the agent is not online; the rest is dropped here, before anything keeps
    /// it.
    pub fn read(text: &str, timestamp: Option<String>, latest: bool) -> ConsoleOutput {
        let mut lines: Vec<ConsoleLine> = text
            .lines()
            .filter_map(|line| {
                let line = line.trim_end_matches('\r');
                let kind = signal(line)?;
                Some(ConsoleLine {
                    kind,
                    text: line.trim().chars().take(MAX_LINE).collect(),
                    time: agent_time(line),
                })
            })
            .collect();
        // The latest lines matter most.
        if lines.len() > MAX_LINES {
            lines.drain(..lines.len() - MAX_LINES);
        }
        ConsoleOutput {
            timestamp,
            empty: text.trim().is_empty(),
            latest,
            lines,
        }
    }

    /// The matched lines of one kind.
    pub fn of(&self, kind: ConsoleSignal) -> impl Iterator<Item = &ConsoleLine> {
        self.lines.iter().filter(move |l| l.kind == kind)
    }
}

/// What a line shows. The agent's line is its source's format string; the boot errors are those of AWS's page
/// "Troubleshoot instances with failed status checks", the disk, service and cloud-init ones common kernel,
/// systemd and cloud-init wording.
fn signal(line: &str) -> Option<ConsoleSignal> {
    let lower = line.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    Some(if has("amazon ssm agent v") && has(" is running") {
        ConsoleSignal::AgentStarted
    } else if has("kernel panic - not syncing") {
        ConsoleSignal::KernelPanic
    } else if has("no space left on device") {
        ConsoleSignal::DiskFull
    } else if has("ext4-fs error")
        || (has("xfs (") && (has("corruption") || has("shutting down filesystem")))
        || has("general error mounting filesystems")
        || has("fsck died with exit status")
        || has("buffer i/o error on device")
        || has("end_request: i/o error")
    {
        ConsoleSignal::FileSystemError
    } else if has("out of memory: kill") {
        ConsoleSignal::OutOfMemory
    } else if has("amazon-ssm-agent") && (has("failed") || has("main process exited")) {
        ConsoleSignal::AgentServiceFailed
    } else if (has("running module") && has("failed"))
        || (has("cloud-init") && has("failed to start"))
        || has("failed running /var/lib/cloud/instance/scripts")
    {
        ConsoleSignal::CloudInitFailed
    } else {
        return None;
    })
}

/// The time at the start of the agent's serial-port lines, `2024/10/21 18:08:11Z: …`
/// (`agent/startup/serialport/serialport_unix.go`), as RFC 3339.
fn agent_time(line: &str) -> Option<String> {
    let stamp = line.trim().get(..20)?;
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = digits(0..4)
        && b[4] == b'/'
        && digits(5..7)
        && b[7] == b'/'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z';
    shaped.then(|| format!("{}T{}Z", stamp[..10].replace('/', "-"), &stamp[11..19]))
}

impl ConsoleLine {
    /// The agent's version on its start line.
    pub fn agent_version(&self) -> Option<&str> {
        let rest = &self.text[self.text.find("Agent v")? + "Agent v".len()..];
        rest.split_whitespace().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "[    0.000000] Linux version 6.1.109-118.189.amzn2023.x86_64\n\
        [  OK  ] Started amazon-ssm-agent.service - amazon-ssm-agent.\n\
        2026/11/20 08:31:02Z: Amazon SSM Agent v3.3.1142.0 is running\n\
        2026/11/20 08:31:02Z: OsProductName: Amazon Linux\n\
        ci-info: password for ec2-user is hunter2\n\
        [ 4410.120000] EXT4-fs warning (device nvme0n1p1): ext4_dx_add_entry: Directory index full!\n\
        [ 4410.130000] systemd-journald[1203]: Failed to write entry, ignoring: No space left on device\n\
        [ 4502.000000] amazon-ssm-agent.service: Failed with result 'exit-code'.\n";

    #[test]
    fn keeps_only_the_lines_that_matter() {
        let out = ConsoleOutput::read(BOOT, Some("2026-11-20T09:45:00Z".into()), true);
        let kinds: Vec<ConsoleSignal> = out.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                ConsoleSignal::AgentStarted,
                ConsoleSignal::DiskFull,
                ConsoleSignal::AgentServiceFailed
            ]
        );
        assert!(!out.lines.iter().any(|l| l.text.contains("hunter2")));
        // The systemd "Started" line is not a failure.
        assert!(!out.lines.iter().any(|l| l.text.contains("[  OK  ]")));
        let started = out.of(ConsoleSignal::AgentStarted).next().unwrap();
        assert_eq!(started.time.as_deref(), Some("2026-11-20T08:31:02Z"));
        assert_eq!(started.agent_version(), Some("3.3.1142.0"));
        assert!(!out.empty);
    }

    #[test]
    fn an_empty_output_is_said_to_be_empty_and_long_ones_keep_their_latest_lines() {
        assert!(ConsoleOutput::read("  \n", None, false).empty);
        let many = "Kernel panic - not syncing: VFS: Unable to mount root fs\n".repeat(30)
            + &"x".repeat(500)
            + " No space left on device\n";
        let out = ConsoleOutput::read(&many, None, false);
        assert_eq!(out.lines.len(), MAX_LINES);
        assert_eq!(out.lines.last().unwrap().kind, ConsoleSignal::DiskFull);
        assert_eq!(out.lines.last().unwrap().text.chars().count(), MAX_LINE);
    }
}
