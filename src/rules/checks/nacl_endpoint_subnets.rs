//! `nacl-endpoint-subnets`: The endpoint subnets' network ACLs pass 443 in and the replies out (`rules/nacl-endpoint-subnets.toml`).

use crate::facts::{NetworkAcl, Subnet};
use crate::network::nacl;
use crate::network::ports::PortSet;
use crate::network::subnet_of;
use crate::network::Peer;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::acl::{self, cidr_of, cross, nacl_line, Words};
use crate::rules::shared::findings::Findings;
use crate::rules::shared::needs::Need;
use crate::rules::shared::paths::{endpoints_in_use, ephemeral, legs, private_ipv4, Ephemeral};
use crate::rules::shared::Check;
use std::net::{IpAddr, Ipv4Addr};

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(Outcome::skip("no interface endpoint in use"));
    }
    let ip = private_ipv4(&a)?;
    let subnets = c.facts.subnets.need("the subnets")?;
    let acls = c.facts.network_acls.need("the network ACLs")?;
    let eph = ephemeral(c);
    let mut seen: Vec<String> = Vec::new();
    let mut f = Findings::new();
    for (leg, e) in &in_use {
        for eip in &e.interface_ips {
            let Some(subnet) = subnet_of(subnets, *eip) else {
                return Ok(Outcome::unknown(format!(
                    "the subnet of {} address {eip} is not in the facts",
                    e.vpc_endpoint_id
                )));
            };
            if seen.contains(&subnet.subnet_id) {
                continue;
            }
            seen.push(subnet.subnet_id.clone());
            if subnet.subnet_id == a.subnet_id {
                f.evidence(format!(
                    "{} is the instance's own subnet: no ACL is crossed",
                    subnet.subnet_id
                ));
                continue;
            }
            let Some(acl) = nacl::for_subnet(acls, &subnet.subnet_id) else {
                return Ok(Outcome::unknown(format!(
                    "no network ACL for {} in the facts",
                    subnet.subnet_id
                )));
            };
            endpoint_subnet(&mut f, acl, subnet, (ip, &leg.need), &eph);
        }
    }
    Ok(acl::outcome(
        f,
        "the endpoints' subnets let 443 in from the instance and the replies out",
        &eph,
        "an endpoint subnet's network ACL",
    ))
}

/// One endpoint subnet's ACL: 443 in from the instance, the replies out to its ephemeral ports.
fn endpoint_subnet(
    f: &mut Findings,
    acl: &NetworkAcl,
    subnet: &Subnet,
    (ip, need): (Ipv4Addr, &Need),
    eph: &Ephemeral,
) {
    let peer = Peer {
        ip: Some(IpAddr::V4(ip)),
        ..Default::default()
    };
    let id = &acl.network_acl_id;
    let sid = &subnet.subnet_id;
    let https = PortSet::range(443, 443);
    let crossing = cross(acl, false, https.clone(), &peer, eph);
    let from = format!("← {ip} ({sid})");
    f.evidence(nacl_line(id, "inbound", "443", &from, &crossing.there));
    let to = format!("→ {ip} ({sid})");
    let ports = eph.ports.to_string();
    f.evidence(nacl_line(id, "outbound", &ports, &to, &crossing.back));
    let why = crossing.why_back();
    let words = Words {
        there: format!(
            "443 in from {ip} at {id} ({sid}: {})",
            crossing.there.blockers()
        ),
        back: format!(
            "the replies to {ip} on {} at {id} ({sid}: {why})",
            eph.label
        ),
        partly: format!("outbound to {ip} at {id} ({why})"),
    };
    crossing.record(f, need, words, (&https, &cidr_of(&peer)), eph);
}
