//! `agent-online`: The agent is registered and online (`rules/agent-online.toml`).

use crate::rules::outcome::{Outcome, Status, Verdict};
use crate::rules::shared::offline::diagnose;
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let out = online(c)?;
    let id = &c.facts.target.id;
    let region = &c.facts.target.region;
    let wait = format!("to check until it is ready:\nssm-check {id} --region {region} --wait 10m");
    // Seen from outside: just launched or started, or a cause another rule names (and whose fix fixes this).
    Ok(match diagnose(c) {
        // Not a session yet (StartSession says TargetNotConnected), but one that comes by itself.
        Some(d) if d.causes.is_empty() && d.registering.is_some() => Outcome::fail(format!(
            "{id} is not registered yet, and most likely still registering"
        ))
        .evidence_all(out.evidence)
        .evidence_all(d.registering)
        .settles(format!("the agent on {id} to register"))
        .remedy(format!(
            "Give it a few minutes (see agent-offline-cause); {wait}"
        )),
        Some(d) if d.causes.is_empty() && d.reconnecting.is_some() => out
            .evidence_all(d.reconnecting)
            .settles(format!("the agent on {id} to reconnect"))
            .remedy(format!(
                "Give it a few minutes: an agent reconnects by itself after a reboot or a restart; {wait}"
            )),
        // Another rule names the cause (the role, the network): its fix fixes this. It settles only when that
        // failure does (an endpoint being created); a cause seen from outside does not go away by itself.
        Some(mut d) if d.causes.first().is_some_and(|c| c.rule.is_some()) => {
            let top = d.causes.remove(0);
            Outcome {
                settles: top.settles,
                ..out
            }
            .fixed_by(top.rule.unwrap_or("agent-offline-cause"))
        }
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
    let starting = c
        .facts
        .instance
        .value()
        .is_some_and(|i| i.state == "pending");
    if !reg.registered {
        let out = Outcome::fail(format!(
            "Systems Manager does not list {id} as a managed node"
        ))
        .evidence(format!(
            "ssm:DescribeInstanceInformation returned nothing for {id}"
        ));
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
    let out = match status {
        "Online" => Outcome::pass(format!("the agent on {id} is online")).evidence(evidence),
        "ConnectionLost" => Outcome::fail(format!("the agent on {id} has lost its connection to Systems Manager"))
            .evidence(evidence)
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
    };
    // Started again (a stop and a start): its registration is the one from before, until the agent runs.
    Ok(if starting && out.status == Status::Fail {
        out.settles(format!("the agent on {id} to reconnect"))
            .note("The instance is still starting: the agent reconnects once it runs (see instance-running).")
    } else {
        out
    })
}
