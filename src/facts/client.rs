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
