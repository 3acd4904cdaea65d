//! `instance-sg-egress`: The instance's security groups let 443 out (`rules/instance-sg-egress.toml`).

use crate::network::sg::{self, SgVerdict};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{destinations, legs, source, Destination};
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
    let mut f = Findings::new();
    let group = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("INSTANCE_SG_ID");
    for d in &dests {
        match sg::permits(&ig, true, 443, &d.peer, c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => f.evidence(format!(
                "{source} → {} → {} ✓",
                sg::describe(group, rule, true),
                d.label
            )),
            SgVerdict::Denied => {
                f.evidence(format!(
                    "{source} → {}: no egress rule of {} allows TCP 443 ✗",
                    d.label,
                    a.instance.security_group_ids.join(", ")
                ));
                f.problem_for(&d.need, d.label.clone());
                if !d.need.is_not_needed() {
                    f.remedy(open_egress(group, d));
                }
            }
            SgVerdict::Unknown(why) => return Ok(f.stop(Outcome::unknown(why))),
        }
    }
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!(
            "the instance's security groups do not let TCP 443 out to {p}"
        )),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => {
            Outcome::pass("the instance's security groups let TCP 443 out to every destination")
        }
    }))
}

/// The egress rule that lets `group` reach `d` on 443: its security group, the internet, or its address.
fn open_egress(group: &str, d: &Destination) -> String {
    let target = match (d.peer.groups.first(), d.peer.internet) {
        (Some(g), _) => format!("UserIdGroupPairs=[{{GroupId={g}}}]"),
        (None, true) => "IpRanges=[{CidrIp=0.0.0.0/0}]".to_string(),
        (None, false) => format!("IpRanges=[{{CidrIp={}/32}}]", d.peer.describe()),
    };
    format!("aws ec2 authorize-security-group-egress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,{target}'")
}
