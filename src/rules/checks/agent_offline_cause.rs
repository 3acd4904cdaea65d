//! `agent-offline-cause`: Why the agent is not online, as seen from outside the host
//! (`rules/agent-offline-cause.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::offline::{diagnose, ways_in, Diagnosis, WayIn};
use crate::rules::shared::Check;

/// What is left when nothing seen from outside explains it.
const HOST_CAUSES: &str = "a proxy the agent must use (HTTPS_PROXY in its service environment), an OS firewall \
    that blocks outbound HTTPS, a clock out of sync (signatures are refused), or the agent's configuration \
    (amazon-ssm-agent.json naming another region or endpoint)";

pub fn check(c: &Check) -> Verdict {
    let reg = c.facts.registration.need("the agent's registration")?;
    let id = &c.facts.target.id;
    if reg.registered && reg.ping_status.as_deref() == Some("Online") {
        return Ok(Outcome::skip(format!("the agent on {id} is online")));
    }
    let Some(mut d) = diagnose(c) else {
        return Ok(Outcome::skip(format!(
            "{id} is not running: start it first (see instance-running)"
        )));
    };
    let way_in = ways_in(c, &mut d);
    let out = if !d.causes.is_empty() {
        cause(&mut d, way_in)
    } else if let Some(line) = d.registering.clone() {
        Outcome::warn(format!("{id} is most likely still registering: {line}"))
            .remedy(
                "Give it a few minutes (AWS: \"wait a few minutes\" after a launch) and check again. An agent whose \
                 first attempt failed waits five minutes or more before the next; a reboot makes it try at once.",
            )
    } else if let Some(line) = d.reconnecting.clone() {
        Outcome::warn(format!("the agent on {id} is most likely reconnecting: {line}")).remedy(
            "Give it a few minutes and check again: after a reboot or a restart the agent reconnects once the OS is \
             up. If it stays lost, the cause is on the host (see agent-online).",
        )
    } else if !d.gathered {
        Outcome::unknown(
            "what EC2 and Systems Manager show from outside (image, console output, status checks) is not in \
             these facts: gather them again with this version",
        )
    } else if !d.denied().is_empty() {
        let mut out = Outcome::unknown(
            "nothing seen from outside explains it, but some signals could not be seen",
        );
        for action in d.denied() {
            out = out.needs(action);
        }
        out
    } else {
        Outcome::fail(format!(
            "nothing EC2 or Systems Manager shows explains it: the cause is on the host. Left: {HOST_CAUSES}"
        ))
        .remedy([way_in.access, way_in.log].concat().join("\n"))
    };
    Ok(finish(out, d))
}

/// The most likely cause first, with its evidence and fix; the others listed after it.
fn cause(d: &mut Diagnosis, way_in: WayIn) -> Outcome {
    let top = d.causes.remove(0);
    let fixed_by = top.rule;
    let settles = top.settles;
    let remedy = if top.on_host {
        [way_in.access, top.remedy, way_in.log].concat()
    } else {
        top.remedy
    };
    let mut out = Outcome::fail(format!("most likely: {}", top.summary))
        .evidence_all(top.evidence)
        .remedy(remedy.join("\n"));
    for other in std::mem::take(&mut d.causes) {
        out = out.evidence(format!("also: {}", other.summary));
        out = out.evidence_all(other.evidence);
    }
    out.settles = settles;
    match fixed_by {
        Some(rule) => out.fixed_by(rule),
        None => out,
    }
}

/// What else the signals show, what could not be seen, and the notes.
fn finish(mut out: Outcome, d: Diagnosis) -> Outcome {
    for line in [&d.registering, &d.reconnecting].into_iter().flatten() {
        if out.status != crate::rules::outcome::Status::Warn {
            out = out.evidence(line.clone());
        }
    }
    out = out.evidence_all(d.also);
    for (what, reason) in d.unseen {
        if d.gathered {
            out = out.evidence(format!("could not see {what}: {}", reason.describe()));
        }
    }
    for note in d.notes {
        out = out.note(note);
    }
    out
}
