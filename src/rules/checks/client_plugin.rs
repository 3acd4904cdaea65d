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
        version: MINIMUM_SUPPORTED,
        topic: "support",
        source: "AWS's plugin version history calls 1.2.764.0 (released November 19, 2025) the current minimum supported version: with an earlier one \"your Session Manager operations might not succeed\"",
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
        .note("The plugin version history page gives no date for the new minimum; older copies of it said 1.1.17.0. The install page also asks for 1.2.764.0 or later (it signs OpenDataChannel requests).")
        .remedy(remedy.clone());
    }
    let out = withdrawn(out, have, &remedy);
    Ok(out.evidence(format!("{}: {}", plugin.path, plugin.version_output.trim())))
}

/// The current minimum supported version ("Session Manager plugin latest version and release history").
const MINIMUM_SUPPORTED: Version4 = Version4::new(1, 2, 764, 0);

/// Versions AWS's release history marks deprecated: the version, when, and why.
const WITHDRAWN: [(Version4, &str, &str); 2] = [
    (
        Version4::new(1, 2, 688, 0),
        "11/20/2024",
        "it added credentials to OpenDataChannel requests, which 1.2.694.0 rolled back",
    ),
    (
        Version4::new(1, 2, 889, 0),
        "10/9/2026",
        "its connection-failure reporting was reverted in 1.2.896.0",
    ),
];

/// A version the release history says was deprecated is a warning (or, beside a failure, a note).
fn withdrawn(out: Outcome, have: Version4, remedy: &str) -> Outcome {
    let Some((_, when, why)) = WITHDRAWN.iter().find(|(v, _, _)| *v == have) else {
        return out;
    };
    let said = format!(
        "AWS's plugin release history says session-manager-plugin {have} \"was deprecated on {when}\": {why}"
    );
    match out.status {
        Status::Pass => Outcome::warn(said)
            .evidence_all(out.evidence)
            .remedy(remedy.to_string()),
        Status::Warn => Outcome {
            message: format!("{}; and {said}", out.message),
            ..out
        },
        _ => out.note(said),
    }
}
