//! The remote host of remote-host port forwarding: its addresses, and whether the agent refuses them.

use super::context::Check;
use crate::rules::outcome::Outcome;
use crate::version::Version4;
use std::net::IpAddr;

/// The agent's default deny list for remote-host forwarding (amazon-ssm-agent `agent/appconfig/constants.go`,
/// `DefaultDeniedPortForwardingRemoteIPs`): the instance metadata service, the VPC's DNS, Amazon Time Sync and the
/// Windows licence activation servers, in IPv4 and IPv6.
pub const DEFAULT_DENIED: [(&str, &str); 9] = [
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
pub const REFUSES_LOOPBACK: Version4 = Version4::new(3, 3, 4851, 0);

pub const CONFIGURABLE: &str = "The list is the agent's default: an administrator can replace it with `Mgs.DeniedPortForwardingRemoteIPs` in amazon-ssm-agent.json (the VPC's own addresses are always added).";

/// Why the agent refuses `ip`, if it does; `Err` when that cannot be told.
pub fn refused(c: &Check, ip: IpAddr) -> Result<Option<String>, String> {
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
pub fn vpc_reserved(c: &Check, ip: IpAddr) -> Result<Option<String>, String> {
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

pub fn remote_host(c: &Check) -> Result<String, Outcome> {
    c.options.remote_host.clone().ok_or_else(|| {
        Outcome::fail("remote-host port forwarding needs a host: pass --remote-host")
            .remedy("Name the host: ssm-check … --mode remote-port --remote-host HOST --port PORT")
    })
}

/// The remote host's addresses: the host itself when it is an address, else what the facts resolved.
pub fn remote_addresses(c: &Check, host: &str) -> Result<Vec<IpAddr>, Outcome> {
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
