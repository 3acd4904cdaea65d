//! `client-plugin`: session-manager-plugin is on PATH and new enough (`rules/client-plugin.toml`).

use crate::options::Mode;
use crate::rules::outcome::{Outcome, Status, Verdict};
use crate::rules::shared::minimums::{judge, Minimum};
use crate::rules::shared::Check;
use crate::version::{parse_plugin, Version4};

pub fn check(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    let install = match client.os.as_str() {
        "macos" => "brew install --cask session-manager-plugin (or the bundled installer from the AWS plugin page)",
        "windows" => "run SessionManagerPluginSetup.exe from the AWS plugin page",
        _ => "install the .deb or .rpm from the AWS plugin page (sudo dpkg -i session-manager-plugin.deb, or sudo yum install -y session-manager-plugin.rpm)",
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
                source: "“Port forwarding with Session Manager”, an article in docs/sources.md",
            });
            if c.options.port == Some(3389) {
                mins.push(Minimum {
                    version: Version4::new(1, 1, 31, 0),
                    topic: "port forwarding",
                    source: "“RDP over port forwarding”, an article in docs/sources.md, for RDP",
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
    if out.status == Status::Pass && have < support[0].version {
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
