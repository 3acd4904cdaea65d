//! Security groups and network ACLs on the path to the endpoints or the internet, for every service the session
//! needs (see `needs.rs`), with each platform's own ephemeral ports for the replies.

use super::needs::Need;
use super::paths::{endpoints_in_use, ephemeral, legs, Ephemeral, Leg, Problems};
use super::{Check, Outcome, Verdict};
use crate::facts::{NetworkAcl, Subnet};
use crate::network::nacl::{self, AclResult};
use crate::network::path::{Analysis, Via};
use crate::network::ports::PortSet;
use crate::network::sg::{self, SgVerdict};
use crate::network::subnet_of;
use crate::network::Peer;
use std::net::IpAddr;

/// Where the agent's traffic goes: one peer per endpoint address, or the internet; with the need of the service.
struct Destination<'a> {
    label: String,
    peer: Peer<'a>,
    need: Need,
}

fn destinations<'a>(
    a: &Analysis<'a>,
    legs: &[Leg<'a>],
    subnets: Option<&[Subnet]>,
) -> Result<Vec<Destination<'a>>, Outcome> {
    let mut out: Vec<Destination> = Vec::new();
    for leg in legs {
        match leg.path.via {
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
                            leg.service,
                            subnets
                                .and_then(|s| subnet_of(s, *ip))
                                .map_or(String::new(), |s| format!(" in {}", s.availability_zone))
                        ),
                        peer: Peer {
                            ip: Some(*ip),
                            groups: &e.security_group_ids,
                            ..Default::default()
                        },
                        need: leg.need.clone(),
                    });
                }
            }
            Via::Internet if a.internet.works() => {
                // One destination for every service that goes out: the strongest need among them counts.
                match out.iter_mut().find(|d| d.peer.internet) {
                    Some(d) => {
                        if matches!(leg.need, Need::Required(_)) {
                            d.need = leg.need.clone();
                        }
                    }
                    None => out.push(Destination {
                        label: "the public endpoints (0.0.0.0/0)".into(),
                        peer: Peer {
                            internet: true,
                            ..Default::default()
                        },
                        need: leg.need.clone(),
                    }),
                }
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

/// The instance's private IPv4 address, which the endpoints see as the source (analysis() has already refused
/// instances without one; a document that lacks it is Unknown, never a pass).
fn private_ipv4(a: &Analysis) -> Result<std::net::Ipv4Addr, Outcome> {
    a.instance
        .private_ip
        .ok_or_else(|| Outcome::unknown("the instance's private address is not in the facts"))
}

pub fn endpoint_sg_ingress(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(Outcome::skip("no interface endpoint in use"));
    }
    let ip = private_ipv4(&a)?;
    let peer = Peer {
        ip: Some(IpAddr::V4(ip)),
        groups: &a.instance.security_group_ids,
        ..Default::default()
    };
    let source = source(&a);
    let mut evidence = Vec::new();
    let mut problems = Problems::new();
    let mut groups_to_open: Vec<&str> = Vec::new();
    let mut self_only = Vec::new();
    for (leg, e) in &in_use {
        let eg = c.groups(&e.security_group_ids)?;
        match sg::permits(&eg, false, 443, &peer, c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => evidence.push(format!(
                "{source} → {} ({}): {} ✓",
                e.vpc_endpoint_id,
                leg.service,
                sg::describe(group, rule, false)
            )),
            SgVerdict::Denied => {
                evidence.push(format!(
                    "{source} → {} ({}): {} admit no TCP 443 from it ✗",
                    e.vpc_endpoint_id,
                    leg.service,
                    e.security_group_ids.join(", ")
                ));
                problems.add(
                    &leg.need,
                    format!("{} ({})", e.vpc_endpoint_id, leg.service),
                );
                if !leg.need.is_not_needed() {
                    groups_to_open.extend(e.security_group_ids.iter().map(String::as_str));
                }
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
    groups_to_open.sort();
    groups_to_open.dedup();
    let instance_group = a
        .instance
        .security_group_ids
        .first()
        .map(String::as_str)
        .unwrap_or("<instance-sg>");
    let Some(mut out) = problems.outcome(|p| {
        Outcome::fail(format!(
            "the security group of {p} does not admit TCP 443 from the instance ({ip})"
        ))
        .remedy(
            groups_to_open
                .iter()
                .map(|g| format!("aws ec2 authorize-security-group-ingress --group-id {g} --protocol tcp --port 443 --source-group {instance_group}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }) else {
        return Ok(Outcome::pass(
            "every endpoint's security group admits TCP 443 from the instance",
        )
        .evidence_all(evidence));
    };
    out = out.evidence_all(evidence);
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

/// How a stateless ACL treats the replies to the instance's connections: blocked for its platform is a
/// failure; for an unknown platform, a partly open range is a warning and a closed one a failure.
enum Replies {
    Open,
    Blocked(String),
    /// Part of 1024-65535 is closed, and the platform is not known.
    Partly(String),
}

fn replies(acl: &NetworkAcl, egress: bool, peer: &Peer, eph: &Ephemeral) -> (Replies, AclResult) {
    let r = nacl::evaluate(acl, egress, eph.ports.clone(), peer);
    let verdict = if r.denied.is_empty() {
        Replies::Open
    } else if eph.known || r.allowed.is_empty() {
        Replies::Blocked(r.blockers())
    } else {
        Replies::Partly(r.blockers())
    };
    (verdict, r)
}

fn nacl_line(acl: &str, dir: &str, ports: &str, peer: &str, r: &AclResult) -> String {
    let mark = if r.denied.is_empty() { "✓" } else { "✗" };
    format!("{acl} {dir} tcp {ports} {peer}: {} {mark}", r.describe())
}

fn acl_entry_cmd(acl: &str, ingress: bool, ports: &PortSet, cidr: &str) -> String {
    let (from, to) = ports.bounds().unwrap_or((1024, 65535));
    format!(
        "aws ec2 create-network-acl-entry --network-acl-id {acl} {} --rule-number <n> --protocol tcp --port-range From={from},To={to} --cidr-block {cidr} --rule-action allow",
        if ingress { "--ingress" } else { "--egress" },
    )
}

fn cidr_of(peer: &Peer) -> String {
    match peer.ip {
        Some(IpAddr::V4(ip)) => format!("{ip}/32"),
        Some(IpAddr::V6(ip)) => format!("{ip}/128"),
        None => "0.0.0.0/0".into(),
    }
}

/// ACL problems: failures by need, and the warnings an unknown platform's partly open range gives.
struct AclFindings {
    problems: Problems,
    partly: Vec<String>,
    remedy: Vec<String>,
    evidence: Vec<String>,
}

impl AclFindings {
    fn new() -> Self {
        AclFindings {
            problems: Problems::new(),
            partly: Vec::new(),
            remedy: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn outcome(mut self, pass: &str, eph: &Ephemeral, subject: &str) -> Outcome {
        self.remedy.dedup();
        let remedy = self.remedy.join("\n");
        let note = format!(
            "Network ACLs are stateless: the replies need their own rule, on the instance's ephemeral ports {}.",
            eph.label
        );
        if let Some(out) = self
            .problems
            .outcome(|p| Outcome::fail(format!("{subject} blocks {p}")).remedy(remedy.clone()))
        {
            return out.evidence_all(self.evidence).note(note);
        }
        if !self.partly.is_empty() {
            return Outcome::warn(format!(
                "{subject} closes part of the ephemeral range 1024-65535, and the instance's platform is not known: {}",
                self.partly.join("; ")
            ))
            .evidence_all(self.evidence)
            .note("Linux uses 32768-61000 and Windows 49152-65535 (AWS \"Ephemeral ports\"): with the platform known, this is a pass or a failure.")
            .remedy(remedy);
        }
        Outcome::pass(pass).evidence_all(self.evidence)
    }
}

pub fn nacl_instance_subnet(c: &Check) -> Verdict {
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

pub fn nacl_endpoint_subnets(c: &Check) -> Verdict {
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
