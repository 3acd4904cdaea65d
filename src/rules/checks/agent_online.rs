//! `agent-online`: The agent is registered and online (`rules/agent-online.toml`).

use crate::facts::Registration;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::offline::{diagnose, since, time, REGISTERING_SECONDS};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let out = online(c)?;
    // Seen from outside: just launched, or a cause another rule names (and whose fix fixes this).
    Ok(match diagnose(c) {
        // Not a session yet (StartSession says TargetNotConnected), but one that comes by itself.
        Some(d) if d.causes.is_empty() && d.registering.is_some() => {
            let id = &c.facts.target.id;
            Outcome::fail(format!(
                "{id} is not registered yet, and most likely still registering"
            ))
            .evidence_all(out.evidence)
            .evidence_all(d.registering)
            .settles(format!("the agent on {id} to register"))
            .remedy(format!(
                "Give it a few minutes (see agent-offline-cause); to check until it is ready:\n\
                 ssm-check {id} --region {} --wait 10m",
                c.facts.target.region
            ))
        }
        // Another rule names the cause (the role, the network): its fix fixes this.
        // A cause seen from outside does not go away by itself: nothing to wait for.
        Some(d) if d.causes.first().is_some_and(|c| c.rule.is_some()) => Outcome {
            settles: None,
            ..out
        }
        .fixed_by(d.causes[0].rule.unwrap_or("agent-offline-cause")),
        Some(d) if !d.causes.is_empty() => Outcome {
            settles: None,
            ..out
        }
        .fixed_by("agent-offline-cause")
            .remedy("Fix the cause seen from outside: see agent-offline-cause."),
        Some(d) if d.gathered => out.remedy(
            "See agent-offline-cause: what EC2 and Systems Manager show from outside, and how to read the host.",
        ),
        _ => out,
    })
}

fn online(c: &Check) -> Verdict {
    let reg = c.facts.registration.need("the agent's registration")?;
    let id = &c.facts.target.id;
    let stopped = c
        .facts
        .instance
        .value()
        .is_some_and(|i| i.state != "running");
    if !reg.registered {
        let out = Outcome::fail(format!(
            "Systems Manager does not list {id} as a managed node"
        ))
        .evidence(format!(
            "ssm:DescribeInstanceInformation returned nothing for {id}"
        ));
        let starting = c
            .facts
            .instance
            .value()
            .is_some_and(|i| i.state == "pending");
        return Ok(if starting {
            out.settles(format!("the agent on {id} to register"))
                .note("The instance is still starting: the agent registers once it runs (see instance-running).")
        } else if stopped {
            out.note("Stopped instances are not listed; start it first (see instance-running).")
        } else {
            out.remedy(
                "The agent has never registered, or not since it was stopped. With the role, network and agent checks \
                 above passing, look at the host: is the amazon-ssm-agent service running, is there a proxy or OS \
                 firewall in the way, a full disk? Right after creating resources, give it a few minutes or reboot the instance.",
            )
        });
    }
    let status = reg.ping_status.as_deref().unwrap_or("unknown");
    let last = reg
        .last_ping
        .as_deref()
        .map(|t| format!(", last ping {t}"))
        .unwrap_or_default();
    let evidence = format!("PingStatus {status}{last}");
    Ok(match status {
        "Online" => Outcome::pass(format!("the agent on {id} is online")).evidence(evidence),
        "ConnectionLost" => reconnecting(c, reg, Outcome::fail(format!("the agent on {id} has lost its connection to Systems Manager"))
            .evidence(evidence))
            .remedy(
                "With role and network correct, the cause is on the host: the agent stopped, an OS firewall or proxy, \
                 a full disk, or starved CPU/memory. Restart the agent from the EC2 Serial Console (Linux, then Windows):\n\
                 sudo systemctl restart amazon-ssm-agent\n\
                 Restart-Service AmazonSSMAgent\n\
                 or reboot the instance.",
            ),
        other => Outcome::fail(format!("the agent on {id} is not online ({other})"))
            .evidence(evidence)
            .remedy("Start the instance and the agent; an Inactive node has not pinged for a long time."),
    })
}

/// A connection lost moments ago (a reboot, a restarted agent) comes back by itself: a failure `--wait` waits on,
/// for as long as an agent takes to register.
fn reconnecting(c: &Check, reg: &Registration, out: Outcome) -> Outcome {
    let now = c.facts.gathered_at.as_deref().and_then(time);
    let recent = reg
        .last_ping
        .as_deref()
        .and_then(|t| since(t, now))
        .is_some_and(|s| s < REGISTERING_SECONDS);
    if recent {
        out.settles(format!("the agent on {} to reconnect", c.facts.target.id))
    } else {
        out
    }
}
