//! `network-path`: The agent can reach ssm, ec2messages and ssmmessages (`rules/network-path.toml`).

use crate::network::path::{Analysis, Via};
use crate::network::route::TargetKind;
use crate::rules::outcome::{Outcome, Status, Verdict};
use crate::rules::shared::findings::Findings;
use crate::rules::shared::needs::Need;
use crate::rules::shared::paths::{create_endpoint, legs, Leg};
use crate::rules::shared::Check;

/// The Systems Manager services agents talk to: the core of every session.
const CORE: [&str; 3] = ["ssm", "ssmmessages", "ec2messages"];

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs: Vec<Leg> = legs(c, &a)
        .into_iter()
        .filter(|l| CORE.contains(&l.service))
        .collect();
    let mut evidence = vec![format!(
        "{} uses route table {}",
        a.subnet_id, a.table.route_table_id
    )];
    let broken = follow(&a, &legs, &mut evidence);
    let notes = ec2messages_note(c);
    Ok(if broken.is_empty() {
        notes
            .into_iter()
            .fold(reached(&a, &legs, evidence), Outcome::note)
    } else {
        unreachable(&a, &broken, evidence, notes)
    })
}

/// Follows each service's way, noting it; returns those that have none.
fn follow<'l, 'a>(
    a: &Analysis,
    legs: &'l [Leg<'a>],
    evidence: &mut Vec<String>,
) -> Vec<&'l Leg<'a>> {
    let mut broken = Vec::new();
    for leg in legs {
        match leg.path.via {
            Via::Endpoint(e) => evidence.push(format!(
                "{} → {} (interface endpoint, private DNS)",
                leg.service, e.vpc_endpoint_id
            )),
            Via::Internet if a.internet.works() => evidence.push(format!(
                "{} → public endpoint over {}",
                leg.service,
                a.internet.describe()
            )),
            Via::Internet => broken.push(leg),
        }
    }
    broken
}

/// Why ec2messages is left out, when it is.
fn ec2messages_note(c: &Check) -> Option<String> {
    match c
        .services()
        .into_iter()
        .find(|s| s.service == "ec2messages")
        .map(|s| s.need)
    {
        Some(Need::NotNeeded(why)) => Some(format!(
            "ec2messages is not checked: {why}. Windows Server 2012 and earlier and Nano Server keep using it for Run Command and agent updates."
        )),
        _ => None,
    }
}

fn reached(a: &Analysis, legs: &[Leg], evidence: Vec<String>) -> Outcome {
    let names: Vec<&str> = legs.iter().map(|l| l.service).collect();
    let out = Outcome::pass(format!("the instance has a way to {}", and_list(&names)))
        .evidence_all(evidence);
    match a
        .internet
        .beyond()
        .filter(|_| legs.iter().any(|l| matches!(l.path.via, Via::Internet)))
    {
        Some(beyond) => out.note(beyond),
        None => out,
    }
}

/// Some services have no way: a failure, or Unknown when the endpoints may be in a shared VPC.
fn unreachable(
    a: &Analysis,
    broken: &[&Leg],
    evidence: Vec<String>,
    notes: Option<String>,
) -> Outcome {
    let names: Vec<&str> = broken.iter().map(|l| l.service).collect();
    // Endpoints that exist but whose names do not answer here, and services with no endpoint at all.
    let (silent, absent): (Vec<&&Leg>, Vec<&&Leg>) =
        broken.iter().partition(|l| l.path.endpoint.is_some());
    let problem = format!(
        "the agent cannot reach {} from {}: {}, and {}",
        names.join(", "),
        a.subnet_id,
        reasons(&silent, &absent).join("; "),
        a.internet.describe()
    );
    // Endpoints in another VPC, reached over a transit gateway or peering, are invisible from here.
    let shared = routes_to_shared_networks(a);
    if !shared.is_empty() && silent.is_empty() {
        return Outcome::unknown(format!(
            "{problem}; but the subnet routes to shared networks ({}), where the endpoints may be centralised",
            shared.join(", ")
        ))
        .evidence_all(evidence)
        .note("In a hub-and-spoke layout a shared-services VPC holds the endpoints, and a Route 53 private hosted zone associated with this VPC answers for the services' names; look there, or run `ssm-cli get-diagnostics` on the instance.");
    }
    let mut f = Findings::new();
    for line in evidence {
        f.evidence(line);
    }
    for leg in broken {
        f.problem_for(&leg.need, leg.service);
    }
    let mut out = f.finish(|_| Outcome::fail(problem));
    if out.status == Status::Fail {
        out = out.remedy(remedy(a, silent.is_empty(), &absent).join("\n"));
        if absent.is_empty() {
            // Only endpoints whose names do not answer: turning private DNS on is the whole fix.
            out = out.fixed_by("endpoint-private-dns");
        }
        for leg in broken
            .iter()
            .filter(|l| matches!(l.need, Need::Required(_)))
        {
            if leg.service == "ec2messages" {
                out = out.note(leg.need.reason().to_string());
            }
        }
    }
    notes.into_iter().fold(out, Outcome::note)
}

fn reasons(silent: &[&&Leg], absent: &[&&Leg]) -> Vec<String> {
    let mut reasons = Vec::new();
    if !silent.is_empty() {
        let list: Vec<String> = silent
            .iter()
            .map(|l| {
                format!(
                    "{} ({})",
                    l.path.endpoint.map_or("", |e| e.vpc_endpoint_id.as_str()),
                    l.service
                )
            })
            .collect();
        reasons.push(format!(
            "the endpoints {} exist but their private DNS names do not answer in this VPC (see endpoint-private-dns)",
            list.join(", ")
        ));
    }
    if !absent.is_empty() {
        let services: Vec<&str> = absent.iter().map(|l| l.service).collect();
        reasons.push(format!("no interface endpoint for {}", services.join(", ")));
    }
    reasons
}

fn remedy(a: &Analysis, none_silent: bool, absent: &[&&Leg]) -> Vec<String> {
    let mut remedy = vec![match (none_silent, absent.is_empty()) {
        (true, _) => "Either create the interface endpoints (the layout for a private subnet), with ENDPOINT_SG_ID a security group that admits TCP 443 from the instance:",
        (false, true) => "Either make the endpoints answer (see endpoint-private-dns),",
        (false, false) => "Either make the endpoints answer (see endpoint-private-dns) and create the missing ones, with ENDPOINT_SG_ID a security group that admits TCP 443 from the instance:",
    }
    .to_string()];
    remedy.extend(absent.iter().map(|l| create_endpoint(a, l.service)));
    remedy.push(format!(
        "or give the subnet a way out through a NAT gateway:\naws ec2 create-route --route-table-id {} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT_GATEWAY_ID",
        a.table.route_table_id
    ));
    remedy
}

/// Routes to a transit gateway or a peering connection: endpoints may live in a shared VPC behind them, with a
/// private hosted zone for the services' names (AWS's centralised-endpoint pattern), which the facts cannot see.
fn routes_to_shared_networks(a: &Analysis) -> Vec<String> {
    a.table
        .routes
        .iter()
        .filter(|r| {
            matches!(
                TargetKind::of(&r.target),
                TargetKind::TransitGateway | TargetKind::Peering
            )
        })
        .map(crate::network::route::describe)
        .collect()
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => "nothing".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
