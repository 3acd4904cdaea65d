//! `instance-sg-egress`: The instance's security groups let 443 out (`rules/instance-sg-egress.toml`).

use crate::network::sg::{self, SgVerdict};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::Problems;
use crate::rules::shared::paths::{destinations, legs, source};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let dests = destinations(&a, &legs, c.facts.subnets.value().map(Vec::as_slice))?;
    if dests.is_empty() {
        return Ok(Outcome::skip("no path to check (see network-path)"));
    }
    let ig = c.groups(&a.instance.security_group_ids)?;
    let source = source(&a);
    let mut evidence = Vec::new();
    let mut problems = Problems::new();
    let mut remedy = Vec::new();
    let group = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("<instance-sg>");
    for d in &dests {
        match sg::permits(&ig, true, 443, &d.peer, c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => evidence.push(format!(
                "{source} → {} → {} ✓",
                sg::describe(group, rule, true),
                d.label
            )),
            SgVerdict::Denied => {
                evidence.push(format!(
                    "{source} → {}: no egress rule of {} allows TCP 443 ✗",
                    d.label,
                    a.instance.security_group_ids.join(", ")
                ));
                problems.add(&d.need, d.label.clone());
                let target = match (d.peer.groups.first(), d.peer.internet) {
                    (Some(g), _) => format!("UserIdGroupPairs=[{{GroupId={g}}}]"),
                    (None, true) => "IpRanges=[{CidrIp=0.0.0.0/0}]".to_string(),
                    (None, false) => format!("IpRanges=[{{CidrIp={}/32}}]", d.peer.describe()),
                };
                let cmd = format!("aws ec2 authorize-security-group-egress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,{target}'");
                if !remedy.contains(&cmd) && !d.need.is_not_needed() {
                    remedy.push(cmd);
                }
            }
            SgVerdict::Unknown(why) => return Ok(Outcome::unknown(why).evidence_all(evidence)),
        }
    }
    Ok(
        match problems.outcome(|p| {
            Outcome::fail(format!(
                "the instance's security groups do not let TCP 443 out to {p}"
            ))
            .remedy(remedy.join("\n"))
        }) {
            Some(out) => out.evidence_all(evidence),
            None => {
                Outcome::pass("the instance's security groups let TCP 443 out to every destination")
                    .evidence_all(evidence)
            }
        },
    )
}
