//! The rule engine: every rule is a pure function of the facts and the user's options.

// A verdict is built once per rule and returned at once: boxing the early-return Outcome buys nothing.
#![allow(clippy::result_large_err)]

mod agent;
mod audit;
mod caller;
mod client;
mod firewall;
mod instance;
mod meta;
mod minimums;
mod mode;
mod network;
mod outcome;
mod registry;
mod role;

pub use meta::{Area, RuleMeta, Severity};
pub use outcome::{Outcome, Status, Verdict};
pub use registry::{all, find, Rule};

use crate::facts::Facts;
use crate::report::{Finding, Report};
use clap::ValueEnum;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the user wants to open.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// An interactive shell (`aws ssm start-session --target i-…`).
    Shell,
    /// SSH or SCP over Session Manager (`AWS-StartSSHSession`).
    Ssh,
    /// Port forwarding to a port on the instance itself (`AWS-StartPortForwardingSession`; RDP is 3389).
    Port,
    /// Port forwarding through the instance to another host (`AWS-StartPortForwardingSessionToRemoteHost`).
    RemotePort,
}

impl Mode {
    pub fn document(self) -> &'static str {
        match self {
            Mode::Shell => "SSM-SessionManagerRunShell",
            Mode::Ssh => "AWS-StartSSHSession",
            Mode::Port => "AWS-StartPortForwardingSession",
            Mode::RemotePort => "AWS-StartPortForwardingSessionToRemoteHost",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Mode::Shell => "shell",
            Mode::Ssh => "ssh",
            Mode::Port => "port",
            Mode::RemotePort => "remote-port",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Mode::Shell => "a shell session",
            Mode::Ssh => "SSH",
            Mode::Port => "port forwarding",
            Mode::RemotePort => "remote-host port forwarding",
        }
    }

    pub const ALL: [Mode; 4] = [Mode::Shell, Mode::Ssh, Mode::Port, Mode::RemotePort];
}

/// What the user asked for, beside the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Options {
    pub mode: Mode,
    /// The port to forward to (port modes); the document's default is 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The host to forward to (remote-port mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
}

impl Options {
    pub fn new(mode: Mode) -> Self {
        Options {
            mode,
            port: None,
            remote_host: None,
        }
    }

    /// The port in effect: as given, else the document's default.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.mode {
            Mode::Ssh => 22,
            _ => 80,
        })
    }
}

/// What a rule sees.
pub struct Check<'a> {
    pub facts: &'a Facts,
    pub options: &'a Options,
}

/// Runs every rule, in registry order.
pub fn evaluate(facts: &Facts, options: &Options) -> Report {
    let check = Check { facts, options };
    let findings = all()
        .iter()
        .map(|rule| {
            let meta = rule.meta();
            let outcome = if meta.applies_to(options.mode) {
                match (rule.check)(&check) {
                    Ok(o) | Err(o) => o,
                }
            } else {
                Outcome::skip(format!("not needed for {}", options.mode.noun()))
            };
            Finding::new(meta, outcome)
        })
        .collect();
    Report::new(facts, options, findings)
}
