//! Facts about this machine: the AWS CLI, the plugin, ssh and its config, proxies, and where the credentials
//! come from. Nothing secret is read into the facts: no keys, no tokens, no proxy URLs.

use crate::facts::{Client, Credentials, SshProxyEntry, Tool};
use std::path::{Path, PathBuf};
use std::time::Duration;

const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

pub async fn client() -> Client {
    let os = match std::env::consts::OS {
        "macos" => "macos",
        "windows" => "windows",
        _ => "linux",
    };
    let (aws, plugin, ssh) = tokio::join!(
        tool("aws", &["--version"]),
        tool("session-manager-plugin", &["--version"]),
        tool("ssh", &["-V"])
    );
    Client {
        os: os.to_string(),
        aws_cli: aws,
        session_manager_plugin: plugin,
        ssh,
        ssh_proxy_entries: home()
            .map(|h| ssh_proxy_entries(&h.join(".ssh").join("config")))
            .unwrap_or_default(),
        proxy_variables: PROXY_VARIABLES
            .iter()
            .filter(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
            .map(|v| v.to_string())
            .collect(),
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// Finds `name` on PATH the way a shell would.
fn which(name: &str) -> Option<PathBuf> {
    let exts: &[&str] = if cfg!(windows) {
        &[".exe", ".cmd", ".bat", ""]
    } else {
        &[""]
    };
    std::env::split_paths(&std::env::var_os("PATH")?)
        .flat_map(|dir| exts.iter().map(move |e| dir.join(format!("{name}{e}"))))
        .find(|p| p.is_file())
}

/// The tool's path and the first line it prints for `args`, or `None` when it is not on PATH.
async fn tool(name: &str, args: &[&str]) -> Option<Tool> {
    let path = which(name)?;
    let run = tokio::process::Command::new(&path)
        .args(args)
        .kill_on_drop(true)
        .output();
    let version_output = match tokio::time::timeout(Duration::from_secs(5), run).await {
        Ok(Ok(out)) => {
            // `aws` v1 and `ssh -V` print on stderr.
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Ok(Err(e)) => format!("could not run: {e}"),
        Err(_) => "did not answer within 5s".to_string(),
    };
    Some(Tool {
        path: path.display().to_string(),
        version_output,
    })
}

/// `Host` blocks whose ProxyCommand starts an SSM session.
pub fn ssh_proxy_entries(config: &Path) -> Vec<SshProxyEntry> {
    let Ok(text) = std::fs::read_to_string(config) else {
        return Vec::new();
    };
    /// One `Host` block as read so far.
    #[derive(Default)]
    struct Block {
        patterns: Option<String>,
        host_name: Option<String>,
        proxy_command: Option<String>,
    }
    fn flush(block: Block, out: &mut Vec<SshProxyEntry>) {
        if let (Some(host_patterns), Some(proxy_command)) = (block.patterns, block.proxy_command) {
            if proxy_command.contains("start-session")
                || SshProxyEntry::is_ssm_check_proxy(&proxy_command)
            {
                out.push(SshProxyEntry {
                    host_patterns,
                    host_name: block.host_name,
                    proxy_command,
                });
            }
        }
    }
    let mut out = Vec::new();
    let mut block = Block::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(|c: char| c.is_whitespace() || c == '=') else {
            continue;
        };
        let value = value
            .trim_start_matches(|c: char| c.is_whitespace() || c == '=')
            .trim();
        match key.to_ascii_lowercase().as_str() {
            "host" => {
                flush(std::mem::take(&mut block), &mut out);
                block.patterns = Some(value.to_string());
            }
            "match" => flush(std::mem::take(&mut block), &mut out),
            // ssh takes the first value of a keyword.
            "hostname" if block.host_name.is_none() => block.host_name = Some(value.to_string()),
            "proxycommand" if block.proxy_command.is_none() => {
                block.proxy_command = Some(value.to_string())
            }
            _ => {}
        }
    }
    flush(block, &mut out);
    out
}

/// Where the credentials come from, from the shared config and the resolved credentials; never their values.
pub async fn credentials(
    config: &aws_types::SdkConfig,
    profile: Option<&str>,
) -> Result<Credentials, String> {
    use aws_credential_types::provider::ProvideCredentials;
    let provider = config
        .credentials_provider()
        .ok_or("no credentials provider is configured")?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| super::errors::describe_chain(&e))?;
    let selected = profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".into());
    let section = profile_settings(&selected);
    let get = |k: &str| section.as_ref().and_then(|s| s.get(k)).map(str::to_string);
    let from_env = std::env::var_os("AWS_ACCESS_KEY_ID").is_some() && profile.is_none();
    // A profile may live in the credentials file alone (keys, no settings).
    let defined =
        section.is_some() || super::session::credentials::profile_names().contains(&selected);
    let role_arn = if from_env { None } else { get("role_arn") };
    let source = if from_env {
        "environment"
    } else if role_arn.is_some() {
        "assume_role"
    } else if get("sso_session").is_some() || get("sso_start_url").is_some() {
        "sso"
    } else if get("credential_process").is_some() {
        "process"
    } else if defined {
        "profile"
    } else {
        "instance_or_container"
    };
    let mfa_serial = if from_env { None } else { get("mfa_serial") };
    let temporary = creds.session_token().is_some();
    Ok(Credentials {
        source: source.to_string(),
        profile: (!from_env && defined).then_some(selected),
        temporary,
        expires_at: creds
            .expiry()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.to_string()),
        // The CLI asks for the code when a role profile names an MFA device.
        mfa_authenticated: if role_arn.is_some() && mfa_serial.is_some() {
            Some(true)
        } else {
            None
        },
        source_profile: if role_arn.is_some() {
            get("source_profile")
        } else {
            None
        },
        role_arn,
        mfa_serial,
        source_identity_arn: None,
    })
}

/// The settings of `profile` in the shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`): `[default]` or
/// `[profile NAME]`. Only names of sources are read from it (role_arn, source_profile, mfa_serial, sso_*,
/// credential_process), never a secret.
pub(super) fn profile_settings(profile: &str) -> Option<ini::Properties> {
    let path = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join("config")))?;
    let file = ini::Ini::load_from_file_noescape(path).ok()?;
    let names = [format!("profile {profile}"), profile.to_string()];
    names
        .iter()
        .find_map(|n| file.section(Some(n.as_str())))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ssm_proxy_commands_in_ssh_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "# comment\nHost bastion\n  HostName 10.0.0.5\nhost i-* mi-*\n    ProxyCommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'\"\nHost other\n  ProxyCommand=nc %h %p\nHost web\n  ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p\n  HostName i-0123456789abcdef0\n",
        )
        .unwrap();
        let entries = ssh_proxy_entries(&path);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].host_patterns, "i-* mi-*");
        assert_eq!(entries[0].host_name, None);
        assert!(entries[0].proxy_command.contains("AWS-StartSSHSession"));
        // An alias: the HostName after the ProxyCommand still belongs to its block.
        assert_eq!(entries[1].host_patterns, "web");
        assert_eq!(entries[1].host_name.as_deref(), Some("i-0123456789abcdef0"));
        assert!(ssh_proxy_entries(&dir.path().join("missing")).is_empty());
    }
}
