//! `client-ssh-config`: ssh sends i-* hosts through Session Manager (`rules/client-ssh-config.toml`).

use crate::policy::wildcard_match;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

/// How the user's ssh finds the session. Not a condition of the session itself (a tool may pass
/// `-o ProxyCommand=…`, or start AWS-StartSSHSession directly), so what is missing here is a warning.
pub fn check(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    let windows = client.os == "windows";
    let snippet = if windows {
        SSH_SNIPPET_WINDOWS
    } else {
        SSH_SNIPPET
    };
    if client.ssh.is_none() {
        return Ok(Outcome::warn(
            "no ssh client on PATH: the session can open, but not from this machine's ssh",
        )
        .remedy(format!(
            "Install an OpenSSH client, then add to ~/.ssh/config:\n{snippet}"
        )));
    }
    let target = &c.facts.target.id;
    // A `Host` whose patterns match the id, or an alias whose `HostName` is the id (ProxyCommand's %h is the HostName).
    let entry = client.ssh_proxy_entries.iter().find(|e| {
        let names_target = e
            .host_patterns
            .split_whitespace()
            .any(|p| wildcard_match(p, target, true))
            || e.host_name.as_deref() == Some(target.as_str());
        names_target && e.opens_ssh_over_ssm()
    });
    let Some(entry) = entry else {
        return Ok(Outcome::warn(format!(
            "~/.ssh/config has no ProxyCommand that starts an SSM session for {target}: `ssh {target}` will not use Session Manager"
        ))
        .note("The session itself does not need it: `ssh -o ProxyCommand=…` or a tool that starts AWS-StartSSHSession works without.")
        .remedy(format!("Add to ~/.ssh/config:\n{snippet}")));
    };
    let alias = entry
        .host_name
        .as_deref()
        .filter(|h| *h == target.as_str())
        .map(|_| format!(" (HostName {target})"))
        .unwrap_or_default();
    let evidence = format!(
        "Host {}{alias} → ProxyCommand {}",
        entry.host_patterns, entry.proxy_command
    );
    if windows {
        let command = entry
            .proxy_command
            .trim_start_matches("sh -c ")
            .trim_start_matches(['"', '\'']);
        let absolute = command.get(1..3) == Some(":\\")
            || command.starts_with('/')
            || command.starts_with('\\');
        if !absolute {
            return Ok(Outcome::warn("on Windows, ProxyCommand needs an absolute path: ssh runs it without a shell's PATH lookup")
                .evidence(evidence)
                .remedy(format!("Use AWS's Windows form:\n{SSH_SNIPPET_WINDOWS}")));
        }
    }
    Ok(Outcome::pass(format!("ssh sends {target} through Session Manager")).evidence(evidence))
}

/// AWS's documented `~/.ssh/config` entries (session-manager-getting-started-enable-ssh-connections).
const SSH_SNIPPET: &str = "# SSH over Session Manager\nHost i-* mi-*\n    ProxyCommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'\"";

const SSH_SNIPPET_WINDOWS: &str = "# SSH over Session Manager (C:\\Users\\<username>\\.ssh\\config)\nHost i-* mi-*\n    ProxyCommand C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p\"";
