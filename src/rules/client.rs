//! The machine the session starts from: AWS CLI, Session Manager plugin, SSH configuration, proxies.

use super::minimums::{judge, Minimum};
use super::{Check, Outcome, Verdict};
use crate::options::Mode;
use crate::policy::wildcard_match;
use crate::version::{parse_aws_cli, parse_plugin, Version4};

pub fn aws_cli(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    let Some(cli) = &client.aws_cli else {
        return Ok(Outcome::fail("the AWS CLI is not installed (no `aws` on PATH)")
            .remedy("Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"));
    };
    let Some(have) = parse_aws_cli(&cli.version_output) else {
        return Ok(Outcome::unknown(format!(
            "cannot read the version from `{}`",
            cli.version_output.trim()
        )));
    };
    let mut mins = vec![Minimum {
        version: semver::Version::new(1, 16, 12),
        topic: "Session Manager plugin support",
        source: "article ssh-assume-role; AWS plugin page",
    }];
    if matches!(c.options.mode, Mode::Port | Mode::RemotePort) {
        mins.push(Minimum {
            version: semver::Version::new(1, 16, 234),
            topic: "port forwarding",
            source: "article rdp-requirements",
        });
    }
    let out = judge_semver("AWS CLI", &have, &mins);
    Ok(out.evidence(format!("{}: {}", cli.path, cli.version_output.trim())))
}

/// semver versions are not Copy; judge on their numeric triple.
fn judge_semver(
    subject: &str,
    have: &semver::Version,
    mins: &[Minimum<semver::Version>],
) -> Outcome {
    let as4 = |v: &semver::Version| Version4::new(v.major, v.minor, v.patch, 0);
    let mins4: Vec<Minimum<Version4>> = mins
        .iter()
        .map(|m| Minimum {
            version: as4(&m.version),
            topic: m.topic,
            source: m.source,
        })
        .collect();
    let mut out = judge(
        subject,
        as4(have),
        &mins4,
        "Update it: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
    );
    // Show the CLI's own three-part form.
    out.message = out
        .message
        .replace(&as4(have).to_string(), &have.to_string());
    out
}

pub fn plugin(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    let install = match client.os.as_str() {
        "macos" => "brew install --cask session-manager-plugin (or the bundled installer from the AWS plugin page)",
        "windows" => "run SessionManagerPluginSetup.exe from the AWS plugin page",
        _ => "install the .deb or .rpm from the AWS plugin page (`sudo dpkg -i session-manager-plugin.deb`)",
    };
    let Some(plugin) = &client.session_manager_plugin else {
        return Ok(Outcome::fail("session-manager-plugin is not on PATH: the CLI will say `SessionManagerPlugin is not found`")
            .note("GUI apps, root and tools like packer often run with a minimal PATH; check the PATH of whatever starts the session.")
            .remedy(format!("Install it: {install}")));
    };
    let Some(have) = parse_plugin(&plugin.version_output) else {
        return Ok(Outcome::unknown(format!(
            "cannot read the version from `{}`",
            plugin.version_output.trim()
        )));
    };
    let mut mins = Vec::new();
    match c.options.mode {
        Mode::Ssh => mins.push(Minimum {
            version: Version4::new(1, 1, 23, 0),
            topic: "SSH",
            source: "AWS SSH page",
        }),
        Mode::Port | Mode::RemotePort => {
            mins.push(Minimum {
                version: Version4::new(1, 1, 26, 0),
                topic: "port forwarding",
                source: "article port-forwarding-howto",
            });
            if c.options.port == Some(3389) {
                mins.push(Minimum {
                    version: Version4::new(1, 1, 31, 0),
                    topic: "port forwarding",
                    source: "article rdp-requirements, for RDP",
                });
            }
        }
        Mode::Shell => {}
    }
    mins.push(Minimum {
        version: Version4::new(1, 2, 764, 0),
        topic: "support",
        source: "AWS's plugin install page says older versions will soon stop being supported",
    });
    // Being below the support line alone is a warning, not a failure: judge it separately.
    let (support, needs): (Vec<_>, Vec<_>) = mins.into_iter().partition(|m| m.topic == "support");
    let remedy = format!("Update it: {install}");
    let mut out = if needs.is_empty() {
        Outcome::pass(format!("session-manager-plugin {have} is installed"))
    } else {
        judge("session-manager-plugin", have, &needs, &remedy)
    };
    if out.status == super::Status::Pass && have < support[0].version {
        out = Outcome::warn(format!(
            "session-manager-plugin {have} works for this mode, but {}",
            support[0].source
        ))
        .evidence_all(out.evidence)
        .note("AWS's pages disagree: the plugin version history gives 1.1.17.0 as the current minimum supported version, the install page asks for 1.2.764.0 (which signs OpenDataChannel requests).")
        .remedy(remedy);
    }
    Ok(out.evidence(format!("{}: {}", plugin.path, plugin.version_output.trim())))
}

/// AWS's documented `~/.ssh/config` entries (session-manager-getting-started-enable-ssh-connections).
const SSH_SNIPPET: &str = "# SSH over Session Manager\nHost i-* mi-*\n    ProxyCommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'\"";
const SSH_SNIPPET_WINDOWS: &str = "# SSH over Session Manager (C:\\Users\\<username>\\.ssh\\config)\nHost i-* mi-*\n    ProxyCommand C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p\"";

/// How the user's ssh finds the session. Not a condition of the session itself (a tool may pass
/// `-o ProxyCommand=…`, or start AWS-StartSSHSession directly), so what is missing here is a warning.
pub fn ssh_config(c: &Check) -> Verdict {
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

pub fn proxy(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    if client.proxy_variables.is_empty() {
        return Ok(Outcome::pass("no HTTP proxy is set"));
    }
    Ok(Outcome::warn(format!(
        "{} set: start-session can hang when the proxy does not pass the WebSocket stream to wss://ssmmessages.{}.amazonaws.com",
        client.proxy_variables.join(", "),
        c.facts.target.region
    ))
    .remedy(format!(
        "Let the proxy pass ssm.{0}.amazonaws.com and ssmmessages.{0}.amazonaws.com, or exempt them with NO_PROXY.",
        c.facts.target.region
    )))
}
