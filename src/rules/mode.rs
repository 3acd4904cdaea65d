//! What the chosen mode itself requires: where port forwarding can reach.

use super::{Check, Outcome, Verdict};
use crate::network::nacl;
use crate::network::ports::PortSet;
use crate::network::route::{self, TargetKind};
use crate::network::sg::{self, SgVerdict};
use crate::network::Peer;
use crate::options::Mode;
use crate::version::Version4;
use std::net::IpAddr;

pub fn port_forward_scope(c: &Check) -> Verdict {
    let port = c.options.port_or_default();
    if let Some(host) = &c.options.remote_host {
        return Ok(Outcome::fail(format!(
            "AWS-StartPortForwardingSession reaches only ports on the instance itself, not {host}"
        ))
        .remedy(format!(
            "Use remote-host port forwarding (`--mode remote-port`, document AWS-StartPortForwardingSessionToRemoteHost \
             with host={host}), or SSH over Session Manager with `ssh -L`."
        )));
    }
    let mut out = Outcome::pass(format!(
        "forwards to port {port} on the instance itself (like `ssh -L {port}:localhost:{port}`): the service must listen there"
    ));
    if port == 3389
        && c.facts
            .instance
            .value()
            .is_some_and(|i| i.platform.as_deref() != Some("windows"))
    {
        out = Outcome::warn(
            "port 3389 is RDP, but the instance is not Windows: is anything listening on it?",
        );
    }
    Ok(out)
}

/// Addresses the agent refuses to forward to (agent `port` plugin; loopback and the container credential
/// endpoints from agent 3.3.4851.0).
fn refused(ip: IpAddr, vpc_cidrs: &[ipnet::IpNet], agent: Option<Version4>) -> Option<String> {
    for net in vpc_cidrs {
        if !net.contains(&ip) {
            continue;
        }
        let (IpAddr::V4(ip4), ipnet::IpNet::V4(n4)) = (ip, net) else {
            continue;
        };
        let offset = u32::from(ip4) - u32::from(n4.network());
        if offset <= 3 || ip4 == n4.broadcast() {
            return Some(format!("{ip} is a reserved address of the VPC range {net}"));
        }
    }
    let newer = agent.is_none_or(|v| v >= Version4::new(3, 3, 4851, 0));
    let credential_endpoints: [IpAddr; 2] = [[169, 254, 170, 2].into(), [169, 254, 170, 23].into()];
    if newer && ip.is_loopback() {
        return Some(format!("{ip} is loopback, refused from agent 3.3.4851.0"));
    }
    if newer && credential_endpoints.contains(&ip) {
        return Some(format!(
            "{ip} is an ECS/EKS credential endpoint, refused from agent 3.3.4851.0"
        ));
    }
    None
}

fn remote_host(c: &Check) -> Result<String, Outcome> {
    c.options.remote_host.clone().ok_or_else(|| {
        Outcome::fail("remote-host port forwarding needs a host: pass --remote-host")
            .remedy("ssm-check --mode remote-port --remote-host <host> --port <port> …")
    })
}

/// The remote host's addresses: the host itself when it is an address, else what the facts resolved.
fn remote_addresses(c: &Check, host: &str) -> Result<Vec<IpAddr>, Outcome> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(vec![IpAddr::from([127, 0, 0, 1])]);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let dest = c
        .facts
        .remote_destination
        .need("the remote host's addresses")?;
    if dest.addresses.is_empty() {
        return Err(Outcome::unknown(format!(
            "{host} is a name, and what it resolves to on the instance is not in the facts"
        )));
    }
    Ok(dest.addresses.clone())
}

pub fn remote_host_allowed(c: &Check) -> Verdict {
    let host = remote_host(c)?;
    let addresses = remote_addresses(c, &host)?;
    let vpc = c
        .facts
        .vpc
        .value()
        .map(|v| v.cidr_blocks.clone())
        .unwrap_or_default();
    let agent = c.agent_version();
    let refusals: Vec<String> = addresses
        .iter()
        .filter_map(|ip| refused(*ip, &vpc, agent))
        .collect();
    if !refusals.is_empty() {
        return Ok(Outcome::fail(format!("the agent will refuse it: {}", refusals.join("; ")))
            .note("The session then fails with `Forwarding to IP address … is forbidden`.")
            .remedy(if addresses.iter().any(|ip| ip.is_loopback()) {
                "For a port on the instance itself use plain port forwarding (`--mode port`, AWS-StartPortForwardingSession)."
            } else {
                "Forward to the host's own address instead."
            }));
    }
    let mut out = Outcome::pass(format!("the agent forwards to {host}")).evidence(format!(
        "{host} → {}",
        addresses
            .iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if addresses.iter().any(IpAddr::is_loopback) {
        out = out.note(
            "Agents from 3.3.4851.0 refuse loopback: updating the agent will break this; use --mode port for the instance's own ports.",
        );
    }
    if vpc.is_empty() {
        out = out
            .note("the VPC's ranges are not in the facts: reserved VPC addresses were not checked");
    }
    Ok(out)
}

pub fn remote_host_reachable(c: &Check) -> Verdict {
    debug_assert_eq!(c.options.mode, Mode::RemotePort);
    let host = remote_host(c)?;
    let addresses = remote_addresses(c, &host)?;
    let a = c.analysis()?;
    let port = c.options.port_or_default();
    let ig = c.groups(&a.instance.security_group_ids)?;
    let dest_groups: Vec<String> = c
        .facts
        .remote_destination
        .value()
        .map(|d| d.security_group_ids.clone())
        .unwrap_or_default();
    let acls = c.facts.network_acls.need("the network ACLs")?;
    let acl = nacl::for_subnet(acls, a.subnet_id);
    let pls = c.prefix_lists();
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut remedy = Vec::new();
    for ip in &addresses {
        if ip.is_loopback() {
            evidence.push(format!(
                "{ip} is the instance itself: no network is crossed"
            ));
            continue;
        }
        let peer = Peer {
            ip: Some(*ip),
            groups: &dest_groups,
            ..Default::default()
        };
        match route::lookup(a.table, *ip) {
            Some(r) if r.state == "blackhole" => {
                problems.push(format!("route {} is a blackhole", route::describe(r)))
            }
            Some(r) => {
                let kind = TargetKind::of(&r.target);
                evidence.push(format!(
                    "route to {ip}: {} ({})",
                    route::describe(r),
                    kind.noun()
                ));
                if kind == TargetKind::InternetGateway && a.instance.public_ip.is_none() {
                    problems.push(format!(
                        "{ip} is reached through {} but the instance has no public address",
                        r.target
                    ));
                }
            }
            None => problems.push(format!(
                "route table {} has no route to {ip}",
                a.table.route_table_id
            )),
        }
        match sg::permits(&ig, true, port, &peer, pls) {
            SgVerdict::Allowed { group, rule } => evidence.push(format!(
                "→ {ip}:{port}: {} ✓",
                sg::describe(group, rule, true)
            )),
            SgVerdict::Denied => {
                problems.push(format!(
                    "the instance's security groups do not let TCP {port} out to {ip}"
                ));
                remedy.push(format!(
                    "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},IpRanges=[{{CidrIp={ip}/32}}]'",
                    a.instance.security_group_ids.first().map(String::as_str).unwrap_or("<sg>")
                ));
            }
            SgVerdict::Unknown(why) => return Ok(Outcome::unknown(why).evidence_all(evidence)),
        }
        if let Some(acl) = acl {
            let same_subnet = c.facts.subnets.value().is_some_and(|subnets| {
                subnets.iter().any(|s| {
                    s.subnet_id == a.subnet_id && s.cidr_block.is_some_and(|n| n.contains(ip))
                })
            });
            if !same_subnet {
                let out = nacl::evaluate(acl, true, PortSet::range(port, port), &peer);
                let back = nacl::evaluate(acl, false, PortSet::range(1024, 65535), &peer);
                if !out.denied.is_empty() {
                    problems.push(format!(
                        "{} blocks {port} out to {ip} ({})",
                        acl.network_acl_id,
                        out.blockers()
                    ));
                }
                if !back.denied.is_empty() {
                    problems.push(format!(
                        "{} blocks the replies from {ip} ({})",
                        acl.network_acl_id,
                        back.blockers()
                    ));
                }
            }
        }
        if !dest_groups.is_empty() {
            let dg = c.groups(&dest_groups)?;
            let from = Peer {
                ip: a.instance.private_ip.map(IpAddr::V4),
                groups: &a.instance.security_group_ids,
                ..Default::default()
            };
            match sg::permits(&dg, false, port, &from, pls) {
                SgVerdict::Allowed { group, rule } => evidence.push(format!(
                    "{ip}:{port} ← instance: {} ✓",
                    sg::describe(group, rule, false)
                )),
                SgVerdict::Denied => {
                    problems.push(format!("the destination's security groups ({}) do not admit TCP {port} from the instance", dest_groups.join(", ")));
                    remedy.push(format!(
                        "aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp --port {port} --source-group {}",
                        dest_groups[0],
                        a.instance.security_group_ids.first().map(String::as_str).unwrap_or("<instance-sg>")
                    ));
                }
                SgVerdict::Unknown(why) => return Ok(Outcome::unknown(why).evidence_all(evidence)),
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Outcome::fail(format!(
            "the instance cannot reach {host}:{port}: {}",
            problems.join("; ")
        ))
        .evidence_all(evidence)
        .remedy(if remedy.is_empty() {
            "Open the entries named above.".to_string()
        } else {
            remedy.join("\n")
        }));
    }
    let mut out =
        Outcome::pass(format!("the instance can open TCP {port} to {host}")).evidence_all(evidence);
    if dest_groups.is_empty() {
        out = out.note(
            "The destination's own security group is not in the facts; it must admit the instance.",
        );
    }
    Ok(out)
}
