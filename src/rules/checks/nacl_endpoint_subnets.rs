//! `nacl-endpoint-subnets`: The endpoint subnets' network ACLs pass 443 in and the replies out (`rules/nacl-endpoint-subnets.toml`).

use crate::network::nacl::{self};
use crate::network::ports::PortSet;
use crate::network::subnet_of;
use crate::network::Peer;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::acl::{acl_entry_cmd, cidr_of, nacl_line, replies, AclFindings, Replies};
use crate::rules::shared::paths::{endpoints_in_use, ephemeral, legs, private_ipv4};
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
    let subnets = c.facts.subnets.need("the subnets")?;
    let acls = c.facts.network_acls.need("the network ACLs")?;
    let peer = Peer {
        ip: Some(IpAddr::V4(ip)),
        ..Default::default()
    };
    let eph = ephemeral(c);
    let mut seen: Vec<String> = Vec::new();
    let mut f = AclFindings::new();
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
                f.evidence.push(format!(
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
            let id = &acl.network_acl_id;
            let inbound = nacl::evaluate(acl, false, PortSet::range(443, 443), &peer);
            let (back, result) = replies(acl, true, &peer, &eph);
            f.evidence.push(nacl_line(
                id,
                "inbound",
                "443",
                &format!("← {ip} ({})", subnet.subnet_id),
                &inbound,
            ));
            f.evidence.push(nacl_line(
                id,
                "outbound",
                &eph.ports.to_string(),
                &format!("→ {ip} ({})", subnet.subnet_id),
                &result,
            ));
            if !inbound.denied.is_empty() {
                f.problems.add(
                    &leg.need,
                    format!(
                        "443 in from {ip} at {id} ({}: {})",
                        subnet.subnet_id,
                        inbound.blockers()
                    ),
                );
                f.remedy.push(acl_entry_cmd(
                    id,
                    true,
                    &PortSet::range(443, 443),
                    &cidr_of(&peer),
                ));
            }
            match back {
                Replies::Open => {}
                Replies::Blocked(why) => {
                    f.problems.add(
                        &leg.need,
                        format!(
                            "the replies to {ip} on {} at {id} ({}: {why})",
                            eph.label, subnet.subnet_id
                        ),
                    );
                    f.remedy
                        .push(acl_entry_cmd(id, false, &eph.ports, &cidr_of(&peer)));
                }
                Replies::Partly(why) => {
                    if !leg.need.is_not_needed() {
                        f.partly.push(format!("outbound to {ip} at {id} ({why})"));
                        f.remedy
                            .push(acl_entry_cmd(id, false, &eph.ports, &cidr_of(&peer)));
                    }
                }
            }
        }
    }
    Ok(f.outcome(
        "the endpoints' subnets let 443 in from the instance and the replies out",
        &eph,
        "an endpoint subnet's network ACL",
    ))
}
