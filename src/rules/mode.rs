//! What the chosen mode itself requires: where port forwarding can reach.

use super::paths::{ephemeral, Ephemeral};
use super::{Check, Outcome, Verdict};
use crate::facts::Unavailable;
use crate::network::nacl;
use crate::network::path::Analysis;
use crate::network::ports::PortSet;
use crate::network::route::{self, TargetKind};
use crate::network::sg::{self, SgVerdict};
use crate::network::subnet_of;
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

/// The agent's default deny list for remote-host forwarding (amazon-ssm-agent `agent/appconfig/constants.go`,
/// `DefaultDeniedPortForwardingRemoteIPs`): the instance metadata service, the VPC's DNS, Amazon Time Sync and the
/// Windows licence activation servers, in IPv4 and IPv6.
const DEFAULT_DENIED: [(&str, &str); 9] = [
    ("169.254.169.254", "the instance metadata service"),
    ("fd00:ec2::254", "the instance metadata service (IPv6)"),
    ("169.254.169.253", "the Amazon DNS server"),
    ("fd00:ec2::253", "the Amazon DNS server (IPv6)"),
    ("169.254.169.123", "Amazon Time Sync"),
    ("fd00:ec2::123", "Amazon Time Sync (IPv6)"),
    ("169.254.169.250", "Windows licence activation"),
    ("169.254.169.251", "Windows licence activation"),
    ("fd00:ec2::240", "Windows licence activation (IPv6)"),
];

/// From this version the agent also refuses loopback and the ECS/EKS credential endpoints.
const REFUSES_LOOPBACK: Version4 = Version4::new(3, 3, 4851, 0);

const CONFIGURABLE: &str = "The list is the agent's default: an administrator can replace it with `Mgs.DeniedPortForwardingRemoteIPs` in amazon-ssm-agent.json (the VPC's own addresses are always added).";

/// Why the agent refuses `ip`, if it does; `Err` when that cannot be told.
fn refused(c: &Check, ip: IpAddr) -> Result<Option<String>, String> {
    if let Some((_, what)) = DEFAULT_DENIED
        .iter()
        .find(|(addr, _)| addr.parse::<IpAddr>().ok() == Some(ip))
    {
        return Ok(Some(format!(
            "{ip} is {what}, on the agent's default deny list"
        )));
    }
    let newer = c.agent_version().is_none_or(|v| v >= REFUSES_LOOPBACK);
    let credential_endpoints: [IpAddr; 3] = [
        [169, 254, 170, 2].into(),
        [169, 254, 170, 23].into(),
        "fd00:ec2::23".parse().expect("an IPv6 address"),
    ];
    if newer && ip.is_loopback() {
        return Ok(Some(format!(
            "{ip} is loopback, refused from agent {REFUSES_LOOPBACK}"
        )));
    }
    if newer && credential_endpoints.contains(&ip) {
        return Ok(Some(format!(
            "{ip} is an ECS/EKS credential endpoint, refused from agent {REFUSES_LOOPBACK}"
        )));
    }
    vpc_reserved(c, ip)
}

/// The agent adds the first four and the last address of the VPC's primary IPv4 range to its deny list
/// (agent `agent/session/plugins/port/port.go`; AWS's pages name only the DNS resolver, base + 2).
fn vpc_reserved(c: &Check, ip: IpAddr) -> Result<Option<String>, String> {
    let IpAddr::V4(ip4) = ip else { return Ok(None) };
    let vpc = match c.facts.vpc.get_ref() {
        Ok(v) => v,
        Err(_) if c.facts.is_hybrid() => return Ok(None),
        Err(reason) => {
            return Err(format!(
            "the VPC's ranges could not be seen ({}), so its reserved addresses were not checked",
            reason.describe()
        ))
        }
    };
    let reserved = |net: &ipnet::IpNet| match net {
        ipnet::IpNet::V4(n4) if n4.contains(&ip4) => {
            let offset = u32::from(ip4) - u32::from(n4.network());
            offset <= 3 || ip4 == n4.broadcast()
        }
        _ => false,
    };
    match vpc.primary_cidr_block {
        Some(primary) if reserved(&primary) => Ok(Some(format!(
            "{ip} is a reserved address of the VPC's primary range {primary} (its first four and its last address)"
        ))),
        Some(_) => Ok(None),
        None if vpc.cidr_blocks.iter().any(reserved) => Err(format!(
            "{ip} is a reserved address of a VPC range, and which range is the primary one (whose reserved addresses the agent refuses) is not in the facts"
        )),
        None => Ok(None),
    }
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
    let mut refusals = Vec::new();
    let mut undecided = Vec::new();
    for ip in &addresses {
        match refused(c, *ip) {
            Ok(Some(why)) => refusals.push(why),
            Ok(None) => {}
            Err(why) => undecided.push(why),
        }
    }
    if !refusals.is_empty() {
        return Ok(Outcome::fail(format!("the agent will refuse it: {}", refusals.join("; ")))
            .note("The session then fails with `Forwarding to IP address … is forbidden`.")
            .note(CONFIGURABLE)
            .remedy(if addresses.iter().any(|ip| ip.is_loopback()) {
                "For a port on the instance itself use plain port forwarding (`--mode port`, AWS-StartPortForwardingSession)."
            } else {
                "Forward to the host's own address instead."
            }));
    }
    let listed = addresses
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let resolved = if listed == host {
        format!("{host} is on no deny list of the agent")
    } else {
        format!("{host} → {listed}, on no deny list of the agent")
    };
    if !undecided.is_empty() {
        return Ok(Outcome::unknown(format!(
            "cannot tell whether the agent forwards to {host}: {}",
            undecided.join("; ")
        ))
        .evidence(resolved)
        .needs("ec2:DescribeVpcs"));
    }
    let mut out = Outcome::pass(format!("the agent forwards to {host}"))
        .evidence(resolved)
        .note(CONFIGURABLE);
    if addresses.iter().any(IpAddr::is_loopback) {
        out = out.note(format!(
            "Agents from {REFUSES_LOOPBACK} refuse loopback: updating the agent will break this; use --mode port for the instance's own ports."
        ));
    }
    Ok(out)
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

pub fn remote_host_reachable(c: &Check) -> Verdict {
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

/// With log encryption enforced, the agent refuses a shell unless the log group has a KMS key and the bucket has
/// default encryption (`AES256` or `aws:kms`), as it checks them (agent `shell.go`, validate).
pub fn log_encryption(c: &Check) -> Verdict {
    c.shell_only()?;
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let cloudwatch = prefs
        .cloudwatch_log_group
        .as_deref()
        .filter(|_| prefs.cloudwatch_encryption_enabled);
    let s3 = prefs
        .s3_bucket
        .as_deref()
        .filter(|_| prefs.s3_encryption_enabled);
    if cloudwatch.is_none() && s3.is_none() {
        return Ok(Outcome::skip(
            "the session preferences enforce no encryption of session logs",
        ));
    }
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let mut needs = Vec::new();
    let mut remedy = Vec::new();
    if let Some(group) = cloudwatch {
        match c.facts.log_group.get_ref() {
            Ok(g) if !g.exists => {
                problems.push(format!(
                    "the log group {group} does not exist, which the agent reads as unencrypted"
                ));
                remedy.push(format!(
                    "aws logs create-log-group --log-group-name {group} --kms-key-id <key-arn>"
                ));
            }
            Ok(g) => match &g.kms_key_id {
                Some(key) => evidence.push(format!("log group {group} is encrypted with {key}")),
                None => {
                    problems.push(format!("the log group {group} has no KMS key"));
                    remedy.push(format!(
                        "aws logs associate-kms-key --log-group-name {group} --kms-key-id <key-arn>  (the key policy must let logs.{}.amazonaws.com use it)",
                        c.facts.target.region
                    ));
                }
            },
            Err(reason) => {
                unknown.push(format!("the log group {group}: {}", reason.describe()));
                needs.extend(reason.missing_action().map(str::to_string));
            }
        }
    }
    if let Some(bucket) = s3 {
        match c.facts.log_bucket_encryption.get_ref() {
            Ok(b) if !b.exists => {
                problems.push(format!(
                    "the bucket {bucket} does not exist, so the agent cannot validate its encryption"
                ));
                remedy.push(format!("aws s3api create-bucket --bucket {bucket}  (new buckets encrypt with AES256 by default)"));
            }
            Ok(b) => match b.algorithm.as_deref() {
                Some(a @ ("AES256" | "aws:kms")) => {
                    evidence.push(format!("bucket {bucket} encrypts by default with {a}"))
                }
                Some(other) => {
                    problems.push(format!(
                        "the bucket {bucket} encrypts with {other}, which the agent does not count (only AES256 and aws:kms)"
                    ));
                    remedy.push(put_bucket_encryption(bucket));
                }
                None => {
                    problems.push(format!("the bucket {bucket} has no default encryption"));
                    remedy.push(put_bucket_encryption(bucket));
                }
            },
            Err(reason) => {
                unknown.push(format!("the bucket {bucket}: {}", reason.describe()));
                needs.extend(reason.missing_action().map(str::to_string));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Outcome::fail(format!(
            "encryption of session logs is enforced, and {}: the agent refuses every shell session",
            problems.join("; ")
        ))
        .evidence_all(evidence)
        .note("The agent says: \"We couldn't start the session because encryption is not set up on the selected CloudWatch Logs log group\" (or Amazon S3 bucket).")
        .remedy(format!("{}\nor stop enforcing encryption in the Session Manager preferences.", remedy.join("\n"))));
    }
    if !unknown.is_empty() {
        let mut out = Outcome::unknown(format!(
            "encryption of session logs is enforced, and what it is checked on could not be seen: {}",
            unknown.join("; ")
        ))
        .evidence_all(evidence);
        for n in needs {
            out = out.needs(n);
        }
        return Ok(out);
    }
    Ok(Outcome::pass("the enforced log encryption is set up").evidence_all(evidence))
}

fn put_bucket_encryption(bucket: &str) -> String {
    format!(
        "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"
    )
}
