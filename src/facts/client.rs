//! Facts about the machine the session starts from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// `linux`, `macos` or `windows`.
    pub os: String,
    /// Absent when `aws` is not on PATH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_cli: Option<Tool>,
    /// Absent when `session-manager-plugin` is not on PATH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_manager_plugin: Option<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<Tool>,
    /// `Host` entries of `~/.ssh/config` whose ProxyCommand starts an SSM session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_proxy_entries: Vec<SshProxyEntry>,
    /// Names of the proxy variables that are set (values are never recorded: they can hold passwords).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_variables: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub path: String,
    /// What `--version` printed (first line).
    pub version_output: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SshProxyEntry {
    /// The `Host` patterns, e.g. `i-* mi-*`.
    pub host_patterns: String,
    /// The block's `HostName`, when it has one: an alias whose HostName is an instance id reaches that instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    pub proxy_command: String,
}

impl SshProxyEntry {
    /// Whether the ProxyCommand runs `ssm-check proxy`, which checks and then starts AWS-StartSSHSession itself.
    pub fn is_ssm_check_proxy(command: &str) -> bool {
        let mut words = command.split_whitespace();
        words.any(|w| {
            let program = w.rsplit(['/', '\\']).next().unwrap_or(w).trim_matches('"');
            program.eq_ignore_ascii_case("ssm-check")
                || program.eq_ignore_ascii_case("ssm-check.exe")
        }) && words.next() == Some("proxy")
    }

    /// Whether the ProxyCommand opens SSH over Session Manager: `aws ssm start-session` with AWS-StartSSHSession,
    /// or `ssm-check proxy`.
    pub fn opens_ssh_over_ssm(&self) -> bool {
        let c = &self.proxy_command;
        (c.contains("start-session") && c.contains("AWS-StartSSHSession"))
            || SshProxyEntry::is_ssm_check_proxy(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(command: &str) -> SshProxyEntry {
        SshProxyEntry {
            host_patterns: "i-*".into(),
            host_name: None,
            proxy_command: command.into(),
        }
    }

    #[test]
    fn ssh_over_session_manager_by_the_aws_cli_or_ssm_check() {
        assert!(entry("aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p").opens_ssh_over_ssm());
        assert!(entry("ssm-check proxy %h %p").opens_ssh_over_ssm());
        assert!(entry("/usr/local/bin/ssm-check proxy %h %p --profile prod").opens_ssh_over_ssm());
        assert!(entry(r"C:\Tools\ssm-check.exe proxy %h %p").opens_ssh_over_ssm());
        assert!(!entry("aws ssm start-session --target %h").opens_ssh_over_ssm());
        assert!(!entry("ssm-check gather %h").opens_ssh_over_ssm());
        assert!(!entry("nc %h %p").opens_ssh_over_ssm());
    }
}
