//! Security groups and network ACLs on the path to the endpoints or the internet.

use super::{Check, Outcome, Verdict};
use crate::facts::Subnet;
use crate::network::nacl::{self, AclResult};
use crate::network::path::{Analysis, Via};
use crate::network::ports::PortSet;
use crate::network::sg::{self, SgVerdict};
use crate::network::Peer;
use std::net::IpAddr;

fn subnet_of(subnets: &[Subnet], ip: IpAddr) -> Option<&Subnet> {
    subnets.iter().find(|s| {
        s.cidr_block.is_some_and(|c| c.contains(&ip))
            || s.ipv6_cidr_blocks.iter().any(|c| c.contains(&ip))
    })
}

/// Where the agent's traffic goes: one peer per endpoint address, or the internet.
struct Destination<'a> {
    label: String,
    peer: Peer<'a>,
}

fn destinations<'a>(
    a: &Analysis<'a>,
    subnets: Option<&[Subnet]>,
) -> Result<Vec<Destination<'a>>, Outcome> {
    let mut out = Vec::new();
    let mut internet = false;
    for p in a.core_paths() {
        match p.via {
            Via::Endpoint(e) => {
                if e.interface_ips.is_empty() {
                    return Err(Outcome::unknown(format!(
                        "the addresses of {} are not in the facts",
                        e.vpc_endpoint_id
                    ))
                    .needs("ec2:DescribeNetworkInterfaces"));
                }
                for ip in &e.interface_ips {
                    out.push(Destination {
                        label: format!(
                            "{} ({}) {ip}{}",
                            e.vpc_endpoint_id,
                            p.service,
                            subnets
                                .and_then(|s| subnet_of(s, *ip))
                                .map_or(String::new(), |s| format!(" in {}", s.availability_zone))
                        ),
                        peer: Peer {
                            ip: Some(*ip),
                            groups: &e.security_group_ids,
                            ..Default::default()
                        },
                    });
                }
            }
            Via::Internet if a.internet.works() && !internet => {
                internet = true;
                out.push(Destination {
                    label: "the public endpoints (0.0.0.0/0)".into(),
                    peer: Peer {
                        internet: true,
                        ..Default::default()
                    },
                });
            }
            Via::Internet => {}
        }
    }
    Ok(out)
}

/// `i-… 10.0.1.15`: where the agent's connections start.
fn source(a: &Analysis) -> String {
    match a.instance.private_ip {
        Some(ip) => format!("{} {ip}", a.instance.instance_id),
        None => a.instance.instance_id.clone(),
    }
}

type EndpointSide<'a> = (
    Analysis<'a>,
    Vec<(&'static str, &'a crate::facts::VpcEndpoint)>,
    std::net::Ipv4Addr,
);

/// The path analysis, the endpoints in use and the instance's address — or why there is nothing to check.
fn endpoint_side<'a>(c: &Check<'a>) -> Result<EndpointSide<'a>, Outcome> {
    let a = c.analysis()?;
    let in_use = a.endpoints_in_use();
    if in_use.is_empty() {
        return Err(Outcome::skip("no interface endpoint in use"));
    }
    // analysis() has already refused instances without an IPv4 address.
    let ip = a
        .instance
        .private_ip
        .ok_or_else(|| Outcome::unknown("the instance's private address is not in the facts"))?;
    Ok((a, in_use, ip))
}

pub fn endpoint_sg_ingress(c: &Check) -> Verdict {
    let (a, in_use, ip) = endpoint_side(c)?;
    let peer = Peer {
        ip: Some(IpAddr::V4(ip)),
        groups: &a.instance.security_group_ids,
        ..Default::default()
    };
    let source = source(&a);
    let mut evidence = Vec::new();
    let mut blocked = Vec::new();
    let mut self_only = Vec::new();
    for (service, e) in &in_use {
        let eg = c.groups(&e.security_group_ids)?;
        match sg::permits(&eg, false, 443, &peer, c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => evidence.push(format!(
                "{source} → {} ({service}): {} ✓",
                e.vpc_endpoint_id,
                sg::describe(group, rule, false)
            )),
            SgVerdict::Denied => {
                evidence.push(format!(
                    "{source} → {} ({service}): {} admit no TCP 443 from it ✗",
                    e.vpc_endpoint_id,
                    e.security_group_ids.join(", ")
                ));
                blocked.push((service, *e));
                let refs_only_self = eg.iter().all(|g| {
                    !g.ingress.is_empty()
                        && g.ingress.iter().all(|r| matches!(&r.peer, crate::facts::Peer::SecurityGroup(id) if id == &g.group_id))
                });
                if refs_only_self {
                    self_only.push(e.vpc_endpoint_id.clone());
                }
            }
            SgVerdict::Unknown(why) => return Ok(Outcome::unknown(why).evidence_all(evidence)),
        }
    }
    if blocked.is_empty() {
        return Ok(Outcome::pass(
            "every endpoint's security group admits TCP 443 from the instance",
        )
        .evidence_all(evidence));
    }
    let mut sgs: Vec<&str> = blocked
        .iter()
        .flat_map(|(_, e)| e.security_group_ids.iter().map(String::as_str))
        .collect();
    sgs.dedup();
    let source = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("<instance-sg>");
    let mut out = Outcome::fail(format!(
        "the security group of {} does not admit TCP 443 from the instance ({ip})",
        blocked.iter().map(|(s, e)| format!("{} ({s})", e.vpc_endpoint_id)).collect::<Vec<_>>().join(", ")
    ))
    .evidence_all(evidence)
    .remedy(
        sgs.iter()
            .map(|g| format!("aws ec2 authorize-security-group-ingress --group-id {g} --protocol tcp --port 443 --source-group {source}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    if !self_only.is_empty() {
        out = out.note(format!(
            "{}: the group admits only its own members, a common mistake.",
            self_only.join(", ")
        ));
    }
    Ok(out)
}

pub fn instance_sg_egress(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let dests = destinations(&a, c.facts.subnets.value().map(Vec::as_slice))?;
    if dests.is_empty() {
        return Ok(Outcome::skip("no path to check (see network-path)"));
    }
    let ig = c.groups(&a.instance.security_group_ids)?;
    let source = source(&a);
    let mut evidence = Vec::new();
    let mut blocked = Vec::new();
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
                blocked.push(d);
            }
            SgVerdict::Unknown(why) => return Ok(Outcome::unknown(why).evidence_all(evidence)),
        }
    }
    if blocked.is_empty() {
        return Ok(Outcome::pass(
            "the instance's security groups let TCP 443 out to every destination",
        )
        .evidence_all(evidence));
    }
    let group = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("<instance-sg>");
    let mut remedy = Vec::new();
    for d in &blocked {
        let target = match (d.peer.groups.first(), d.peer.internet) {
            (Some(g), _) => format!("UserIdGroupPairs=[{{GroupId={g}}}]"),
            (None, true) => "IpRanges=[{CidrIp=0.0.0.0/0}]".to_string(),
            (None, false) => format!("IpRanges=[{{CidrIp={}/32}}]", d.peer.describe()),
        };
        let cmd = format!("aws ec2 authorize-security-group-egress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,{target}'");
        if !remedy.contains(&cmd) {
            remedy.push(cmd);
        }
    }
    Ok(Outcome::fail(format!(
        "the instance's security groups do not let TCP 443 out to {}",
        blocked
            .iter()
            .map(|d| d.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .evidence_all(evidence)
    .remedy(remedy.join("\n")))
}

fn ephemeral() -> PortSet {
    PortSet::range(1024, 65535)
}

fn nacl_line(acl: &str, dir: &str, ports: &str, peer: &str, r: &AclResult) -> String {
    let mark = if r.denied.is_empty() { "✓" } else { "✗" };
    format!("{acl} {dir} tcp {ports} {peer}: {} {mark}", r.describe())
}

fn acl_entry_cmd(acl: &str, ingress: bool, ports: (u16, u16), cidr: &str) -> String {
    format!(
        "aws ec2 create-network-acl-entry --network-acl-id {acl} {} --rule-number <n> --protocol tcp --port-range From={},To={} --cidr-block {cidr} --rule-action allow",
        if ingress { "--ingress" } else { "--egress" },
        ports.0,
        ports.1
    )
}

fn cidr_of(peer: &Peer) -> String {
    match peer.ip {
        Some(IpAddr::V4(ip)) => format!("{ip}/32"),
        Some(IpAddr::V6(ip)) => format!("{ip}/128"),
        None => "0.0.0.0/0".into(),
    }
}

pub fn nacl_instance_subnet(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let dests = destinations(&a, c.facts.subnets.value().map(Vec::as_slice))?;
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
    let id = &acl.network_acl_id;
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut remedy = Vec::new();
    for d in &dests {
        // Traffic between two addresses of one subnet never crosses its ACL.
        if let (Some(ip), Some(subnets)) = (d.peer.ip, subnets) {
            if subnet_of(subnets, ip).is_some_and(|s| s.subnet_id == a.subnet_id) {
                evidence.push(format!(
                    "→ {}: same subnet, the ACL is not crossed",
                    d.label
                ));
                continue;
            }
        }
        let out = nacl::evaluate(acl, true, PortSet::range(443, 443), &d.peer);
        let back = nacl::evaluate(acl, false, ephemeral(), &d.peer);
        evidence.push(nacl_line(
            id,
            "outbound",
            "443",
            &format!("→ {}", d.label),
            &out,
        ));
        evidence.push(nacl_line(
            id,
            "inbound",
            "1024-65535",
            &format!("← {}", d.label),
            &back,
        ));
        if !out.denied.is_empty() {
            problems.push(format!("outbound 443 to {} ({})", d.label, out.blockers()));
            remedy.push(acl_entry_cmd(id, false, (443, 443), &cidr_of(&d.peer)));
        }
        if !back.denied.is_empty() {
            problems.push(format!(
                "inbound replies from {} ({})",
                d.label,
                back.blockers()
            ));
            remedy.push(acl_entry_cmd(id, true, (1024, 65535), &cidr_of(&d.peer)));
        }
    }
    if problems.is_empty() {
        return Ok(
            Outcome::pass(format!("{id} lets 443 out and the replies back in"))
                .evidence_all(evidence),
        );
    }
    remedy.dedup();
    Ok(Outcome::fail(format!("network ACL {id} of {} blocks {}", a.subnet_id, problems.join("; ")))
        .evidence_all(evidence)
        .note("Network ACLs are stateless: the replies on ephemeral ports 1024-65535 need their own inbound rule.")
        .remedy(remedy.join("\n")))
}

pub fn nacl_endpoint_subnets(c: &Check) -> Verdict {
    let (a, in_use, ip) = endpoint_side(c)?;
    let subnets = c.facts.subnets.need("the subnets")?;
    let acls = c.facts.network_acls.need("the network ACLs")?;
    let peer = Peer {
        ip: Some(IpAddr::V4(ip)),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut remedy = Vec::new();
    for (_, e) in &in_use {
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
                evidence.push(format!(
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
            let outbound = nacl::evaluate(acl, true, ephemeral(), &peer);
            evidence.push(nacl_line(
                id,
                "inbound",
                "443",
                &format!("← {ip} ({})", subnet.subnet_id),
                &inbound,
            ));
            evidence.push(nacl_line(
                id,
                "outbound",
                "1024-65535",
                &format!("→ {ip} ({})", subnet.subnet_id),
                &outbound,
            ));
            if !inbound.denied.is_empty() {
                problems.push(format!(
                    "{id} ({}) blocks 443 in from {ip} ({})",
                    subnet.subnet_id,
                    inbound.blockers()
                ));
                remedy.push(acl_entry_cmd(id, true, (443, 443), &cidr_of(&peer)));
            }
            if !outbound.denied.is_empty() {
                problems.push(format!(
                    "{id} ({}) blocks the replies to {ip} ({})",
                    subnet.subnet_id,
                    outbound.blockers()
                ));
                remedy.push(acl_entry_cmd(id, false, (1024, 65535), &cidr_of(&peer)));
            }
        }
    }
    if problems.is_empty() {
        return Ok(Outcome::pass(
            "the endpoints' subnets let 443 in from the instance and the replies out",
        )
        .evidence_all(evidence));
    }
    Ok(Outcome::fail(problems.join("; "))
        .evidence_all(evidence)
        .remedy(remedy.join("\n")))
}

pub fn instance_sg_inbound(c: &Check) -> Verdict {
    if c.facts.is_hybrid() {
        return Ok(Outcome::skip(
            "hybrid managed node: its network is not in AWS",
        ));
    }
    let instance = c.facts.instance.need("the instance")?;
    let ig = c.groups(&instance.security_group_ids)?;
    let mut open_world = Vec::new();
    let mut open_some = Vec::new();
    for g in &ig {
        for r in &g.ingress {
            let ports = PortSet::of_rule(r.from_port, r.to_port);
            let tcp = crate::network::protocol_matches_tcp(&r.protocol);
            if !tcp || !(ports.contains(22) || ports.contains(3389)) {
                continue;
            }
            let line = sg::describe(g, r, false);
            match &r.peer {
                crate::facts::Peer::Cidr(net) if net.prefix_len() == 0 => open_world.push(line),
                _ => open_some.push(line),
            }
        }
    }
    if !open_world.is_empty() {
        return Ok(Outcome::warn("SSH or RDP is open to the whole internet; Session Manager needs no inbound rule at all")
            .evidence_all(open_world)
            .remedy("If the rule was opened for Session Manager, remove it: `aws ec2 revoke-security-group-ingress --group-id <sg> --protocol tcp --port <22|3389> --cidr 0.0.0.0/0`"));
    }
    let out =
        Outcome::pass("Session Manager needs no inbound rule, and none is open to the internet");
    Ok(if open_some.is_empty() {
        out
    } else {
        out.evidence_all(open_some)
            .note("The inbound 22/3389 rules above are not needed for Session Manager.")
    })
}
