//! What the user asks for, beside the facts: the kind of session and its parameters. A leaf: every layer may
//! use it, it uses none of them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the user wants to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
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
    pub const ALL: [Mode; 4] = [Mode::Shell, Mode::Ssh, Mode::Port, Mode::RemotePort];

    /// The SSM document the session runs.
    pub fn document(self) -> &'static str {
        match self {
            Mode::Shell => "SSM-SessionManagerRunShell",
            Mode::Ssh => "AWS-StartSSHSession",
            Mode::Port => "AWS-StartPortForwardingSession",
            Mode::RemotePort => "AWS-StartPortForwardingSessionToRemoteHost",
        }
    }

    /// The name `--mode` takes.
    pub fn id(self) -> &'static str {
        match self {
            Mode::Shell => "shell",
            Mode::Ssh => "ssh",
            Mode::Port => "port",
            Mode::RemotePort => "remote-port",
        }
    }

    /// The mode in a sentence: "ready for {noun} to i-…".
    pub fn noun(self) -> &'static str {
        match self {
            Mode::Shell => "a shell session",
            Mode::Ssh => "SSH",
            Mode::Port => "port forwarding",
            Mode::RemotePort => "remote-host port forwarding",
        }
    }

    /// Port forwarding and SSH all run the agent's Port plugin; only the shell runs an interactive session,
    /// which is the only kind that is logged or KMS-encrypted.
    pub fn is_shell(self) -> bool {
        self == Mode::Shell
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.id() == s)
            .ok_or_else(|| format!("`{s}` is not a mode: shell, ssh, port or remote-port"))
    }
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

    /// Whether the remote host fits the mode of a check: remote-port takes one, and port mode too, so a report can
    /// say why port forwarding alone cannot reach another host.
    pub fn validate(&self) -> Result<(), String> {
        if self.remote_host.is_some() && !matches!(self.mode, Mode::RemotePort | Mode::Port) {
            return Err("--remote-host goes with --mode remote-port (or --mode port, to see why port forwarding alone cannot reach another host)".into());
        }
        Ok(())
    }

    /// Whether the remote host fits the mode of a session to start: stricter than a check, as the session's
    /// document takes a host in remote-port mode only, and cannot start there without one.
    pub fn validate_for_session(&self) -> Result<(), String> {
        match (self.mode, &self.remote_host) {
            (Mode::RemotePort, None) => Err("--mode remote-port needs --remote-host".into()),
            (Mode::RemotePort, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err("--remote-host goes with --mode remote-port".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_host(mode: Mode, host: Option<&str>) -> Options {
        Options {
            mode,
            port: None,
            remote_host: host.map(str::to_string),
        }
    }

    #[test]
    fn a_check_takes_a_remote_host_in_the_port_modes() {
        for mode in Mode::ALL {
            assert!(with_host(mode, None).validate().is_ok(), "{mode:?}");
            let ok = matches!(mode, Mode::Port | Mode::RemotePort);
            assert_eq!(
                with_host(mode, Some("db")).validate().is_ok(),
                ok,
                "{mode:?}"
            );
        }
    }

    #[test]
    fn a_session_needs_one_in_remote_port_mode_and_takes_none_elsewhere() {
        for mode in Mode::ALL {
            let remote = mode == Mode::RemotePort;
            assert_eq!(
                with_host(mode, None).validate_for_session().is_ok(),
                !remote
            );
            assert_eq!(
                with_host(mode, Some("db")).validate_for_session().is_ok(),
                remote
            );
        }
    }
}
