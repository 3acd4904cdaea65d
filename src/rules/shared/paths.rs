//! The network questions several rules share: which services the session's traffic must reach and by which way
//! (`legs`), how to weigh a problem by whether its service is needed (`Problems`), and which ports the replies
//! come back to (`ephemeral`).

use super::context::Check;
use super::needs::{Need, ServiceNeed};
use crate::facts::{Subnet, VpcEndpoint};
use crate::network::path::{Analysis, ServicePath, Via};
use crate::network::ports::PortSet;
use crate::network::{subnet_of, Peer};
use crate::rules::outcome::Outcome;

/// A service the session may need, how the instance reaches it, and whether it must.
pub struct Leg<'a> {
    pub service: &'static str,
    pub path: ServicePath<'a>,
    pub need: Need,
}

/// The services to check, each with its path.
pub fn legs<'a>(c: &Check<'a>, a: &Analysis<'a>) -> Vec<Leg<'a>> {
    c.services_to_check()
        .into_iter()
        .map(|ServiceNeed { service, need }| Leg {
            service,
            path: a.service_path(service),
            need,
        })
        .collect()
}

/// The interface endpoints the session's traffic actually goes to.
pub fn endpoints_in_use<'l, 'a>(legs: &'l [Leg<'a>]) -> Vec<(&'l Leg<'a>, &'a VpcEndpoint)> {
    legs.iter()
        .filter_map(|l| match l.path.via {
            Via::Endpoint(e) => Some((l, e)),
            Via::Internet => None,
        })
        .collect()
}

/// The ports an instance's own connections come from, which the replies return to: by platform, as AWS's
/// "Ephemeral ports" page gives them (Linux kernels 32768-61000, Windows Server 2008 and later 49152-65535); macOS
/// uses the IANA range 49152-65535 by default. An unknown platform is judged on the whole 1024-65535.
pub struct Ephemeral {
    pub ports: PortSet,
    /// e.g. `Linux (32768-61000)`.
    pub label: String,
    pub known: bool,
}

pub fn ephemeral(c: &Check) -> Ephemeral {
    let registered = c
        .facts
        .registration
        .value()
        .and_then(|r| r.platform_type.as_deref());
    let windows_instance = c
        .facts
        .instance
        .value()
        .is_some_and(|i| i.platform.as_deref() == Some("windows"));
    // The agent's own report of its platform first; EC2's `Platform` says only whether it is Windows.
    let (from, to, name) = match (registered, windows_instance) {
        (Some(p), _) if p.eq_ignore_ascii_case("Windows") => (49152, 65535, "Windows"),
        (Some(p), _) if p.eq_ignore_ascii_case("Linux") => (32768, 61000, "Linux"),
        (Some(p), _) if p.eq_ignore_ascii_case("MacOS") => (49152, 65535, "macOS"),
        (None, true) => (49152, 65535, "Windows"),
        _ => {
            return Ephemeral {
                ports: PortSet::range(1024, 65535),
                label: "1024-65535 (the platform is not known)".into(),
                known: false,
            }
        }
    };
    Ephemeral {
        ports: PortSet::range(from, to),
        label: format!("{from}-{to} ({name} ephemeral ports)"),
        known: true,
    }
}

/// The command that creates `service`'s interface endpoint in the instance's subnet; ENDPOINT_SG_ID is a security
/// group that admits TCP 443 from the instance (see endpoint-sg-ingress).
pub fn create_endpoint(a: &Analysis, service: &str) -> String {
    format!(
        "aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id {} --service-name com.amazonaws.{}.{service} \
         --subnet-ids {} --security-group-ids ENDPOINT_SG_ID --private-dns-enabled --region {}",
        a.instance.vpc_id.as_deref().unwrap_or("VPC_ID"),
        a.region(),
        a.subnet_id,
        a.region()
    )
}

/// Interface endpoints for the services to check, present in the VPC, used or not.
pub fn endpoints_present<'l, 'a>(legs: &'l [Leg<'a>]) -> Vec<(&'l Leg<'a>, &'a VpcEndpoint)> {
    legs.iter()
        .filter_map(|l| l.path.endpoint.map(|e| (l, e)))
        .collect()
}

/// Why an endpoint rule has nothing to look at: no endpoints, or endpoints the agent's traffic does not use.
pub fn no_endpoints(a: &Analysis, legs: &[Leg]) -> Outcome {
    let what = if endpoints_present(legs).is_empty() {
        "no Systems Manager interface endpoints in this VPC"
    } else {
        "the VPC's Systems Manager interface endpoints are not in use (their private DNS names do not answer here; see endpoint-private-dns)"
    };
    if a.internet.works() {
        Outcome::skip(format!(
            "{what}: the instance goes out over {}",
            a.internet.describe()
        ))
    } else {
        Outcome::skip(format!(
            "{what}, and the instance has no working way out either (see network-path)"
        ))
    }
}

/// Where the agent's traffic goes: one peer per endpoint address, or the internet; with the need of the service.
pub struct Destination<'a> {
    pub label: String,
    pub peer: Peer<'a>,
    pub need: Need,
}

pub fn destinations<'a>(
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
pub fn source(a: &Analysis) -> String {
    match a.instance.private_ip {
        Some(ip) => format!("{} {ip}", a.instance.instance_id),
        None => a.instance.instance_id.clone(),
    }
}

/// The instance's private IPv4 address, which the endpoints see as the source (analysis() has already refused
/// instances without one; a document that lacks it is Unknown, never a pass).
pub fn private_ipv4(a: &Analysis) -> Result<std::net::Ipv4Addr, Outcome> {
    a.instance
        .private_ip
        .ok_or_else(|| Outcome::unknown("the instance's private address is not in the facts"))
}
