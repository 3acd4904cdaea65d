//! `nacl-instance-subnet`: The instance subnet's network ACL passes 443 out and the replies in (`rules/nacl-instance-subnet.toml`).

use crate::network::nacl::{self};
use crate::network::ports::PortSet;
use crate::network::subnet_of;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::acl::{acl_entry_cmd, cidr_of, nacl_line, replies, AclFindings, Replies};
use crate::rules::shared::paths::{destinations, ephemeral, legs};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let dests = destinations(&a, &legs, c.facts.subnets.value().map(Vec::as_slice))?;
    if dests.is_empty() {
        return Ok(Outcome::skip("no path to check (see network-path)"));
    }
    let acls = c.facts.network_acls.need("the network ACLs")?;
    let Some(acl) = nacl::for_subnet(acls, a.subnet_id) else {
        return Ok(Outcome::unknown(format!(
            "no network ACL for {} in the facts",
            a.subnet_id
        )));
    };
    let subnets = c.facts.subnets.value();
    let eph = ephemeral(c);
    let id = &acl.network_acl_id;
    let mut f = AclFindings::new();
    for d in &dests {
        // Traffic between two addresses of one subnet never crosses its ACL.
        if let (Some(ip), Some(subnets)) = (d.peer.ip, subnets) {
            if subnet_of(subnets, ip).is_some_and(|s| s.subnet_id == a.subnet_id) {
                f.evidence.push(format!(
                    "→ {}: same subnet, the ACL is not crossed",
                    d.label
                ));
                continue;
            }
        }
        let out = nacl::evaluate(acl, true, PortSet::range(443, 443), &d.peer);
        let (back, result) = replies(acl, false, &d.peer, &eph);
        f.evidence.push(nacl_line(
            id,
            "outbound",
            "443",
            &format!("→ {}", d.label),
            &out,
        ));
        f.evidence.push(nacl_line(
            id,
            "inbound",
            &eph.ports.to_string(),
            &format!("← {}", d.label),
            &result,
        ));
        if !out.denied.is_empty() {
            f.problems.add(
                &d.need,
                format!("outbound 443 to {} ({})", d.label, out.blockers()),
            );
            f.remedy.push(acl_entry_cmd(
                id,
                false,
                &PortSet::range(443, 443),
                &cidr_of(&d.peer),
            ));
        }
        match back {
            Replies::Open => {}
            Replies::Blocked(why) => {
                f.problems.add(
                    &d.need,
                    format!("inbound replies from {} on {} ({why})", d.label, eph.label),
                );
                f.remedy
                    .push(acl_entry_cmd(id, true, &eph.ports, &cidr_of(&d.peer)));
            }
            Replies::Partly(why) => {
                if !d.need.is_not_needed() {
                    f.partly.push(format!("inbound from {} ({why})", d.label));
                    f.remedy
                        .push(acl_entry_cmd(id, true, &eph.ports, &cidr_of(&d.peer)));
                }
            }
        }
    }
    Ok(f.outcome(
        &format!("{id} lets 443 out and the replies back in"),
        &eph,
        &format!("network ACL {id} of {}", a.subnet_id),
    ))
}
