//! `endpoint-sg-ingress`: The endpoints' security groups admit 443 from the instance (`rules/endpoint-sg-ingress.toml`).

use crate::facts::{Peer, SecurityGroup};
use crate::network::sg::{self, SgVerdict};
use crate::network::Peer as Source;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{endpoints_in_use, legs, private_ipv4, source};
use crate::rules::shared::Check;
use std::net::IpAddr;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(Outcome::skip("no interface endpoint in use"));
    }
    let ip = private_ipv4(&a)?;
    let peer = Source {
        ip: Some(IpAddr::V4(ip)),
        groups: &a.instance.security_group_ids,
        ..Default::default()
    };
    let source = source(&a);
    let mut f = Findings::new();
    let mut groups_to_open: Vec<&str> = Vec::new();
    let mut self_only = Vec::new();
    for (leg, e) in &in_use {
        let eg = c.groups(&e.security_group_ids)?;
        let to = format!("{source} → {} ({})", e.vpc_endpoint_id, leg.service);
        match sg::permits(&eg, false, 443, &peer, c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => {
                f.evidence(format!("{to}: {} ✓", sg::describe(group, rule, false)))
            }
            SgVerdict::Denied => {
                let groups = e.security_group_ids.join(", ");
                let verb = if e.security_group_ids.len() == 1 {
                    "admits"
                } else {
                    "admit"
                };
                f.evidence(format!("{to}: {groups} {verb} no TCP 443 from it ✗"));
                f.problem_for(
                    &leg.need,
                    format!("{} ({})", e.vpc_endpoint_id, leg.service),
                );
                if !leg.need.is_not_needed() {
                    groups_to_open.extend(e.security_group_ids.iter().map(String::as_str));
                }
                if admit_only_themselves(&eg) {
                    self_only.push(e.vpc_endpoint_id.clone());
                }
            }
            SgVerdict::Unknown(why) => return Ok(f.stop(Outcome::unknown(why))),
        }
    }
    groups_to_open.sort();
    groups_to_open.dedup();
    let instance_group = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("INSTANCE_SG_ID");
    let remedy = groups_to_open
        .iter()
        .map(|g| format!("aws ec2 authorize-security-group-ingress --group-id {g} --protocol tcp --port 443 --source-group {instance_group}"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!(
            "the security group of {p} does not admit TCP 443 from the instance ({ip})"
        ))
        .remedy(remedy),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => {
            Outcome::pass("every endpoint's security group admits TCP 443 from the instance")
        }
    });
    if !self_only.is_empty() {
        out = out.note(format!(
            "{}: the group admits only its own members, a common mistake.",
            self_only.join(", ")
        ));
    }
    Ok(out)
}

/// Groups whose every ingress rule admits only their own members: a common mistake for an endpoint's group.
fn admit_only_themselves(groups: &[&SecurityGroup]) -> bool {
    groups.iter().all(|g| {
        !g.ingress.is_empty()
            && g.ingress
                .iter()
                .all(|r| matches!(&r.peer, Peer::SecurityGroup(id) if id == &g.group_id))
    })
}
