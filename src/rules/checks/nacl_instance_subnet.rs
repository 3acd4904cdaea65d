//! `nacl-instance-subnet`: The instance subnet's network ACL passes 443 out and the replies in (`rules/nacl-instance-subnet.toml`).

use crate::network::nacl;
use crate::network::path::Analysis;
use crate::network::ports::PortSet;
use crate::network::subnet_of;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::acl::{self, cidr_of, cross, nacl_line, Words};
use crate::rules::shared::findings::Findings;
use crate::rules::shared::paths::{destinations, ephemeral, legs, Destination};
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
    let eph = ephemeral(c);
    let id = &acl.network_acl_id;
    let mut f = Findings::new();
    for d in &dests {
        if same_subnet(c, &a, d) {
            f.evidence(format!(
                "→ {}: same subnet, the ACL is not crossed",
                d.label
            ));
            continue;
        }
        let https = PortSet::range(443, 443);
        let crossing = cross(acl, true, https.clone(), &d.peer, &eph);
        let to = format!("→ {}", d.label);
        f.evidence(nacl_line(id, "outbound", "443", &to, &crossing.there));
        let from = format!("← {}", d.label);
        let ports = eph.ports.to_string();
        f.evidence(nacl_line(id, "inbound", &ports, &from, &crossing.back));
        let why = crossing.why_back();
        let words = Words {
            there: format!(
                "outbound 443 to {} ({})",
                d.label,
                crossing.there.blockers()
            ),
            back: format!("inbound replies from {} on {} ({why})", d.label, eph.label),
            partly: format!("inbound from {} ({why})", d.label),
        };
        crossing.record(&mut f, &d.need, words, (&https, &cidr_of(&d.peer)), &eph);
    }
    Ok(acl::outcome(
        f,
        &format!("{id} lets 443 out and the replies back in"),
        &eph,
        &format!("network ACL {id} of {}", a.subnet_id),
    ))
}

/// Traffic between two addresses of one subnet never crosses its ACL.
fn same_subnet(c: &Check, a: &Analysis, d: &Destination) -> bool {
    match (d.peer.ip, c.facts.subnets.value()) {
        (Some(ip), Some(subnets)) => {
            subnet_of(subnets, ip).is_some_and(|s| s.subnet_id == a.subnet_id)
        }
        _ => false,
    }
}
