//! `remote-host-reachable`: The instance can reach the remote host (`rules/remote-host-reachable.toml`).

use crate::facts::{RemoteDestination, Unavailable};
use crate::network::nacl;
use crate::network::path::Analysis;
use crate::network::ports::PortSet;
use crate::network::route::{self, TargetKind};
use crate::network::sg::{self, SgVerdict};
use crate::network::subnet_of;
use crate::network::Peer;
use crate::options::Mode;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::acl::{cross, Replies};
use crate::rules::shared::findings::{Findings, Summary};
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
    let mut path = RemotePath {
        c,
        a: &a,
        port,
        eph: ephemeral(c),
        f: Findings::new(),
    };
    for ip in &addresses {
        path.address(*ip)?;
    }
    let mut f = path.f;
    if let Some(action) = c
        .facts
        .remote_destination
        .reason()
        .and_then(Unavailable::missing_action)
    {
        f.need(action);
    }
    let no_remedy = !f.has_remedy();
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => {
            let out = Outcome::fail(format!("the instance cannot reach {host}:{port}: {p}"));
            if no_remedy {
                out.remedy("Open the entries named above.")
            } else {
                out
            }
        }
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(format!(
            "nothing seen stops TCP {port} from the instance to {host}, but not all of the way can be seen: {u}"
        )),
        Summary::Clear => Outcome::pass(format!("the instance can open TCP {port} to {host}")),
    }))
}

/// Every way the forwarded connection can be stopped, checked for each address of the host.
struct RemotePath<'c, 'a> {
    c: &'c Check<'a>,
    a: &'c Analysis<'a>,
    port: u16,
    eph: Ephemeral,
    f: Findings,
}

impl<'a> RemotePath<'_, 'a> {
    fn address(&mut self, ip: IpAddr) -> Result<(), Outcome> {
        if ip.is_loopback() {
            self.f.evidence(format!(
                "{ip} is the instance itself: no network is crossed"
            ));
            return Ok(());
        }
        let dest = self.destination();
        let dest_groups: &[String] = dest.map_or(&[], |d| d.security_group_ids.as_slice());
        let dest_subnet = dest.and_then(|d| d.subnet_id.clone()).or_else(|| {
            self.c
                .facts
                .subnets
                .value()
                .and_then(|s| subnet_of(s, ip))
                .map(|s| s.subnet_id.clone())
        });
        let peer = Peer {
            ip: Some(ip),
            groups: dest_groups,
            ..Default::default()
        };
        self.route(ip);
        self.instance_egress(ip, &peer)?;
        self.acls(ip, &peer, dest_subnet.as_deref());
        self.destination_groups(ip, dest.is_some(), dest_groups)
    }

    /// What is known of the destination: its security groups and subnet, when its interface is in the account.
    fn destination(&mut self) -> Option<&'a RemoteDestination> {
        match self.c.facts.remote_destination.get_ref() {
            Ok(d) => Some(d),
            Err(Unavailable::NotApplicable { .. }) => {
                self.f.unknown(
                    "the facts were gathered without --remote-host, so the destination was not looked up (gather again with it)",
                );
                None
            }
            Err(reason) => {
                self.f.unknown(format!(
                    "the destination's network interface could not be seen ({})",
                    reason.describe()
                ));
                None
            }
        }
    }

    fn route(&mut self, ip: IpAddr) {
        let a = self.a;
        match route::lookup(a.table, ip) {
            Some(r) if r.state == "blackhole" => self
                .f
                .problem(format!("route {} is a blackhole", route::describe(r))),
            Some(r) => {
                let kind = TargetKind::of(&r.target);
                self.f.evidence(format!(
                    "route to {ip}: {}, {}",
                    route::describe(r),
                    kind.noun()
                ));
                if kind == TargetKind::InternetGateway && a.instance.public_ip.is_none() {
                    self.f.problem(format!(
                        "{ip} is reached through {} but the instance has no public address",
                        r.target
                    ));
                }
            }
            None => self.f.problem(format!(
                "route table {} has no route to {ip}",
                a.table.route_table_id
            )),
        }
    }

    fn instance_egress(&mut self, ip: IpAddr, peer: &Peer) -> Result<(), Outcome> {
        let (a, port) = (self.a, self.port);
        let ig = self.c.groups(&a.instance.security_group_ids)?;
        match sg::permits(&ig, true, port, peer, self.c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => self.f.evidence(format!(
                "→ {ip}:{port}: {} ✓",
                sg::describe(group, rule, true)
            )),
            SgVerdict::Denied => {
                self.f.problem(format!(
                    "the instance's security groups do not let TCP {port} out to {ip}"
                ));
                self.f.remedy(format!(
                    "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},IpRanges=[{{CidrIp={ip}/{}}}]'",
                    a.instance.security_group_ids.first().map(String::as_str).unwrap_or("INSTANCE_SG_ID"),
                    if ip.is_ipv4() { 32 } else { 128 }
                ));
            }
            SgVerdict::Unknown(why) => self.f.unknown(why),
        }
        Ok(())
    }

    /// The network ACLs of both subnets, unless the destination shares the instance's.
    fn acls(&mut self, ip: IpAddr, peer: &Peer, dest_subnet: Option<&str>) {
        let a = self.a;
        if dest_subnet == Some(a.subnet_id) {
            self.f.evidence(format!(
                "{ip} is in the instance's subnet {}: no network ACL is crossed",
                a.subnet_id
            ));
            return;
        }
        self.acl(a.subnet_id, true, peer, "the instance's subnet");
        let from = Peer {
            ip: a.instance.private_ip.map(IpAddr::V4),
            ..Default::default()
        };
        match dest_subnet {
            Some(s) => self.acl(s, false, &from, "the destination's subnet"),
            None => self.f.unknown(format!(
                "{ip} is in no subnet of the facts: the network ACLs and firewall on its side are not known"
            )),
        }
    }

    /// One subnet's network ACL, crossed by the connection in `outward_egress`'s direction.
    fn acl(&mut self, subnet: &str, outward_egress: bool, peer: &Peer, what: &str) {
        let acls = match self.c.facts.network_acls.get_ref() {
            Ok(a) => a,
            Err(reason) => {
                self.f.unknown(format!(
                    "the network ACL of {subnet} could not be seen ({})",
                    reason.describe()
                ));
                return;
            }
        };
        let Some(acl) = nacl::for_subnet(acls, subnet) else {
            self.f
                .unknown(format!("no network ACL for {subnet} in the facts"));
            return;
        };
        let (port, eph) = (self.port, &self.eph);
        let crossing = cross(acl, outward_egress, PortSet::range(port, port), peer, eph);
        let id = crossing.id();
        self.f.evidence(format!(
            "{id} ({what}) {port}: {}; replies {}: {}",
            crossing.there.describe(),
            eph.label,
            crossing.back.describe()
        ));
        if !crossing.there.denied.is_empty() {
            self.f.problem(format!(
                "{id} ({what}) blocks TCP {port} ({})",
                crossing.there.blockers()
            ));
        }
        if !crossing.back.denied.is_empty() {
            let text = format!(
                "{id} ({what}) blocks the replies on {} ({})",
                eph.label,
                crossing.back.blockers()
            );
            match crossing.replies {
                Replies::Partly(_) => self.f.unknown(format!(
                    "{text}, which matters only for some platforms, and this one is not known"
                )),
                _ => self.f.problem(text),
            }
        }
    }

    /// The destination's own security groups must admit the instance.
    fn destination_groups(
        &mut self,
        ip: IpAddr,
        looked_up: bool,
        dest_groups: &[String],
    ) -> Result<(), Outcome> {
        let (a, port) = (self.a, self.port);
        if dest_groups.is_empty() {
            if looked_up {
                self.f.unknown(format!(
                    "no network interface with {ip} was found in this account, so what admits the instance on its side is not known"
                ));
            }
            return Ok(());
        }
        let dg = self.c.groups(dest_groups)?;
        let from = Peer {
            ip: a.instance.private_ip.map(IpAddr::V4),
            groups: &a.instance.security_group_ids,
            ..Default::default()
        };
        match sg::permits(&dg, false, port, &from, self.c.prefix_lists()) {
            SgVerdict::Allowed { group, rule } => self.f.evidence(format!(
                "{ip}:{port} ← instance: {} ✓",
                sg::describe(group, rule, false)
            )),
            SgVerdict::Denied => {
                self.f.problem(format!(
                    "the destination's security groups ({}) do not admit TCP {port} from the instance",
                    dest_groups.join(", ")
                ));
                self.f.remedy(format!(
                    "aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp --port {port} --source-group {}",
                    dest_groups[0],
                    a.instance.security_group_ids.first().map(String::as_str).unwrap_or("INSTANCE_SG_ID")
                ));
            }
            SgVerdict::Unknown(why) => self.f.unknown(why),
        }
        Ok(())
    }
}
