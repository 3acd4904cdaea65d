//! `remote-host-reachable`: The instance can reach the remote host (`rules/remote-host-reachable.toml`).

use crate::facts::Unavailable;
use crate::network::nacl;
use crate::network::path::Analysis;
use crate::network::ports::PortSet;
use crate::network::route::{self, TargetKind};
use crate::network::sg::{self, SgVerdict};
use crate::network::subnet_of;
use crate::network::Peer;
use crate::options::Mode;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::paths::{ephemeral, Ephemeral};
use crate::rules::shared::remote_host::{remote_addresses, remote_host};
use crate::rules::shared::Check;
use std::net::IpAddr;

pub fn check(c: &Check) -> Verdict {
    debug_assert_eq!(c.options.mode, Mode::RemotePort);
    let host = remote_host(c)?;
    let addresses = remote_addresses(c, &host)?;
    let a = c.analysis()?;
    let port = c.options.port_or_default();
    let subnets = c.facts.subnets.value().map(Vec::as_slice);
    let eph = ephemeral(c);
    let mut path = RemotePath {
        c,
        port,
        evidence: Vec::new(),
        problems: Vec::new(),
        unknown: Vec::new(),
        remedy: Vec::new(),
    };
    for ip in &addresses {
        if ip.is_loopback() {
            path.evidence.push(format!(
                "{ip} is the instance itself: no network is crossed"
            ));
            continue;
        }
        // What is known of the destination: its security groups and subnet, when its interface is in the account.
        let dest = match c.facts.remote_destination.get_ref() {
            Ok(d) => Some(d),
            Err(Unavailable::NotApplicable { .. }) => {
                path.unknown.push(
                    "the facts were gathered without --remote-host, so the destination was not looked up (gather again with it)"
                        .into(),
                );
                None
            }
            Err(reason) => {
                path.unknown.push(format!(
                    "the destination's network interface could not be seen ({})",
                    reason.describe()
                ));
                None
            }
        };
        let dest_groups: &[String] = dest.map_or(&[], |d| d.security_group_ids.as_slice());
        let dest_subnet = dest.and_then(|d| d.subnet_id.clone()).or_else(|| {
            subnets
                .and_then(|s| subnet_of(s, *ip))
                .map(|s| s.subnet_id.clone())
        });
        let peer = Peer {
            ip: Some(*ip),
            groups: dest_groups,
            ..Default::default()
        };
        path.route(&a, *ip);
        path.instance_egress(&a, *ip, &peer)?;
        let same_subnet = dest_subnet.as_deref() == Some(a.subnet_id);
        if same_subnet {
            path.evidence.push(format!(
                "{ip} is in the instance's subnet {}: no network ACL is crossed",
                a.subnet_id
            ));
        } else {
            path.acl(a.subnet_id, true, &peer, &eph, "the instance's subnet");
            let from = Peer {
                ip: a.instance.private_ip.map(IpAddr::V4),
                ..Default::default()
            };
            match &dest_subnet {
                Some(s) => path.acl(s, false, &from, &eph, "the destination's subnet"),
                None => path.unknown.push(format!(
                    "{ip} is in no subnet of the facts: the network ACLs and firewall on its side are not known"
                )),
            }
        }
        // The destination's own security groups must admit the instance.
        if dest_groups.is_empty() {
            if dest.is_some() {
                path.unknown.push(format!(
                    "no network interface with {ip} was found in this account, so what admits the instance on its side is not known"
                ));
            }
        } else {
            let dg = c.groups(dest_groups)?;
            let from = Peer {
                ip: a.instance.private_ip.map(IpAddr::V4),
                groups: &a.instance.security_group_ids,
                ..Default::default()
            };
            match sg::permits(&dg, false, port, &from, c.prefix_lists()) {
                SgVerdict::Allowed { group, rule } => path.evidence.push(format!(
                    "{ip}:{port} ← instance: {} ✓",
                    sg::describe(group, rule, false)
                )),
                SgVerdict::Denied => {
                    path.problems.push(format!(
                        "the destination's security groups ({}) do not admit TCP {port} from the instance",
                        dest_groups.join(", ")
                    ));
                    path.remedy.push(format!(
                        "aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp --port {port} --source-group {}",
                        dest_groups[0],
                        a.instance.security_group_ids.first().map(String::as_str).unwrap_or("<instance-sg>")
                    ));
                }
                SgVerdict::Unknown(why) => path.unknown.push(why),
            }
        }
    }
    if !path.problems.is_empty() {
        return Ok(Outcome::fail(format!(
            "the instance cannot reach {host}:{port}: {}",
            path.problems.join("; ")
        ))
        .evidence_all(path.evidence)
        .remedy(if path.remedy.is_empty() {
            "Open the entries named above.".to_string()
        } else {
            path.remedy.join("\n")
        }));
    }
    if !path.unknown.is_empty() {
        let mut out = Outcome::unknown(format!(
            "nothing seen stops TCP {port} from the instance to {host}, but not all of the way can be seen: {}",
            path.unknown.join("; ")
        ))
        .evidence_all(path.evidence);
        if let Some(action) = c
            .facts
            .remote_destination
            .reason()
            .and_then(Unavailable::missing_action)
        {
            out = out.needs(action);
        }
        return Ok(out);
    }
    Ok(
        Outcome::pass(format!("the instance can open TCP {port} to {host}"))
            .evidence_all(path.evidence),
    )
}

/// One way the forwarded connection can be stopped, checked for every address of the host.
struct RemotePath<'c, 'a> {
    c: &'c Check<'a>,
    port: u16,
    evidence: Vec<String>,
    problems: Vec<String>,
    unknown: Vec<String>,
    remedy: Vec<String>,
}

impl RemotePath<'_, '_> {
    fn route(&mut self, a: &Analysis, ip: IpAddr) {
        match route::lookup(a.table, ip) {
            Some(r) if r.state == "blackhole" => self
                .problems
                .push(format!("route {} is a blackhole", route::describe(r))),
            Some(r) => {
                let kind = TargetKind::of(&r.target);
                self.evidence.push(format!(
                    "route to {ip}: {}, {}",
                    route::describe(r),
                    kind.noun()
                ));
                if kind == TargetKind::InternetGateway && a.instance.public_ip.is_none() {
                    self.problems.push(format!(
                        "{ip} is reached through {} but the instance has no public address",
                        r.target
                    ));
                }
            }
            None => self.problems.push(format!(
                "route table {} has no route to {ip}",
                a.table.route_table_id
            )),
        }
    }

    fn instance_egress(&mut self, a: &Analysis, ip: IpAddr, peer: &Peer) -> Result<(), Outcome> {
        let port = self.port;
        let ig = self.c.groups(&a.instance.security_group_ids)?;
        match sg::permits(&ig, true, port, peer, self.c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => self.evidence.push(format!(
                "→ {ip}:{port}: {} ✓",
                sg::describe(group, rule, true)
            )),
            SgVerdict::Denied => {
                self.problems.push(format!(
                    "the instance's security groups do not let TCP {port} out to {ip}"
                ));
                self.remedy.push(format!(
                    "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},IpRanges=[{{CidrIp={ip}/{}}}]'",
                    a.instance.security_group_ids.first().map(String::as_str).unwrap_or("<sg>"),
                    if ip.is_ipv4() { 32 } else { 128 }
                ));
            }
            SgVerdict::Unknown(why) => self.unknown.push(why),
        }
        Ok(())
    }

    /// A network ACL on the way: `outward` is the direction of the connection through this subnet's ACL
    /// (out of the instance's subnet, into the destination's); the replies cross it the other way, to the
    /// instance's ephemeral ports.
    fn acl(
        &mut self,
        subnet: &str,
        outward_egress: bool,
        peer: &Peer,
        eph: &Ephemeral,
        what: &str,
    ) {
        let acls = match self.c.facts.network_acls.get_ref() {
            Ok(a) => a,
            Err(reason) => {
                self.unknown.push(format!(
                    "the network ACL of {subnet} could not be seen ({})",
                    reason.describe()
                ));
                return;
            }
        };
        let Some(acl) = nacl::for_subnet(acls, subnet) else {
            self.unknown
                .push(format!("no network ACL for {subnet} in the facts"));
            return;
        };
        let port = self.port;
        let id = &acl.network_acl_id;
        let there = nacl::evaluate(acl, outward_egress, PortSet::range(port, port), peer);
        let back = nacl::evaluate(acl, !outward_egress, eph.ports.clone(), peer);
        self.evidence.push(format!(
            "{id} ({what}) {port}: {}; replies {}: {}",
            there.describe(),
            eph.label,
            back.describe()
        ));
        if !there.denied.is_empty() {
            self.problems.push(format!(
                "{id} ({what}) blocks TCP {port} ({})",
                there.blockers()
            ));
        }
        if !back.denied.is_empty() {
            let partly_unknown = !eph.known && !back.allowed.is_empty();
            let text = format!(
                "{id} ({what}) blocks the replies on {} ({})",
                eph.label,
                back.blockers()
            );
            if partly_unknown {
                self.unknown.push(format!(
                    "{text}, which matters only for some platforms, and this one is not known"
                ));
            } else {
                self.problems.push(text);
            }
        }
    }
}
