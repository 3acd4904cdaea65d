//! The instance's way out to Systems Manager: per service, an interface endpoint (when its private DNS name
//! answers in this VPC) or the public endpoint over the subnet's default route.

use super::route::{self, TargetKind};
use crate::facts::{Facts, Instance, Missing, Route, RouteTable, Unavailable, VpcDns, VpcEndpoint};
use std::net::Ipv4Addr;

/// The services the agent must reach for a session (ec2messages is unused by agents ≥ 3.3.40.0 once
/// ssmmessages works, but AWS still documents all three).
pub const CORE_SERVICES: [&str; 3] = ["ssm", "ec2messages", "ssmmessages"];

#[derive(Debug, Clone)]
pub enum Internet<'a> {
    /// A default route to an internet gateway and a public IPv4 address.
    Direct {
        route: &'a Route,
        public_ip: Ipv4Addr,
    },
    /// A default route to an internet gateway, but no public address to use it with.
    NoPublicIp {
        route: &'a Route,
    },
    /// A default route to a NAT gateway, transit gateway, appliance...: its far side is not in the facts.
    Egress {
        route: &'a Route,
        kind: TargetKind,
    },
    /// A default route that cannot lead out: a blackhole, or a peering connection.
    Blocked {
        route: &'a Route,
        why: &'static str,
    },
    NoRoute,
}

impl Internet<'_> {
    /// What must hold beyond a route whose far side the facts do not show.
    pub fn beyond(&self) -> Option<String> {
        let Internet::Egress { route: r, kind } = self else {
            return None;
        };
        let what = match kind {
            TargetKind::NatGateway => "the NAT gateway must be public and sit in a subnet that routes to an internet gateway",
            TargetKind::TransitGateway => "the transit gateway's route table must lead to an egress VPC or appliance",
            TargetKind::NetworkInterface | TargetKind::Instance => {
                "the NAT instance or appliance must have source/destination checking off and its own way out"
            }
            TargetKind::VpcEndpoint => "the firewall's subnet must route to an internet gateway, and its rules allow 443",
            TargetKind::VirtualPrivateGateway => "the on-premises network must route it to the internet",
            _ => "the target must lead to the internet",
        };
        Some(format!(
            "Beyond {} the path is not in the facts: {what}.",
            r.target
        ))
    }

    pub fn works(&self) -> bool {
        matches!(self, Internet::Direct { .. } | Internet::Egress { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Internet::Direct { route: r, public_ip } => {
                format!("{} with public IP {public_ip}", route::describe(r))
            }
            Internet::NoPublicIp { route: r } => format!(
                "{} but the instance has no public IPv4 address, so the internet gateway cannot carry its traffic",
                route::describe(r)
            ),
            Internet::Egress { route: r, kind } => format!("{}, {}", route::describe(r), kind.noun()),
            Internet::Blocked { route: r, why } => format!("{} {why}", route::describe(r)),
            Internet::NoRoute => "no 0.0.0.0/0 route".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Via<'a> {
    Endpoint(&'a VpcEndpoint),
    Internet,
}

#[derive(Debug, Clone)]
pub struct ServicePath<'a> {
    pub service: &'static str,
    /// The interface endpoint for the service in this VPC, used or not.
    pub endpoint: Option<&'a VpcEndpoint>,
    pub via: Via<'a>,
}

#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    pub instance: &'a Instance,
    pub subnet_id: &'a str,
    pub table: &'a RouteTable,
    pub internet: Internet<'a>,
    /// `None` when the VPC's DNS attributes are not in the facts.
    pub dns: Option<&'a VpcDns>,
    pub endpoints: &'a [VpcEndpoint],
    region: &'a str,
}

pub fn analyse(facts: &Facts) -> Result<Analysis<'_>, Missing> {
    let instance = facts.instance.need("the instance")?;
    let subnet_id = instance.subnet_id.as_deref().ok_or_else(|| Missing {
        what: "the instance's subnet",
        reason: Unavailable::NotApplicable {
            why: "the instance is in no subnet".into(),
        },
    })?;
    let tables = facts.route_tables.need("the route tables")?;
    let table = route::table_for_subnet(tables, subnet_id).ok_or_else(|| Missing {
        what: "the subnet's route table",
        reason: Unavailable::NotFound {
            what: format!("no route table for {subnet_id} and no main table"),
        },
    })?;
    let endpoints = facts.vpc_endpoints.need("the VPC endpoints")?;
    let internet = match route::default_route(table, false) {
        None => Internet::NoRoute,
        Some(r) if r.state == "blackhole" => Internet::Blocked {
            route: r,
            why: "is a blackhole: its target no longer exists",
        },
        Some(r) => match TargetKind::of(&r.target) {
            TargetKind::InternetGateway => match instance.public_ip {
                Some(public_ip) => Internet::Direct {
                    route: r,
                    public_ip,
                },
                None => Internet::NoPublicIp { route: r },
            },
            TargetKind::Peering => Internet::Blocked {
                route: r,
                why: "goes to a peering connection, which carries no traffic to the internet (no edge-to-edge routing)",
            },
            kind => Internet::Egress { route: r, kind },
        },
    };
    Ok(Analysis {
        instance,
        subnet_id,
        table,
        internet,
        dns: facts.vpc_dns.value(),
        endpoints,
        region: &facts.target.region,
    })
}

impl<'a> Analysis<'a> {
    /// The interface endpoint for `service` (`ssm`, `kms`, ...) in the instance's VPC.
    pub fn interface_endpoint(&self, service: &str) -> Option<&'a VpcEndpoint> {
        let suffix = format!(".{}.{service}", self.region);
        let vpc = self.instance.vpc_id.as_deref();
        let mut found = self.endpoints.iter().filter(|e| {
            e.endpoint_type.eq_ignore_ascii_case("Interface")
                && e.service_name.ends_with(&suffix)
                && vpc.is_none_or(|v| v == e.vpc_id)
                && !matches!(e.state.as_str(), "deleted" | "deleting")
        });
        let first = found.next()?;
        Some(if first.private_dns_enabled {
            first
        } else {
            found.find(|e| e.private_dns_enabled).unwrap_or(first)
        })
    }

    /// The S3 gateway endpoint in the instance's VPC.
    pub fn s3_gateway(&self) -> Option<&'a VpcEndpoint> {
        let suffix = format!(".{}.s3", self.region);
        self.endpoints.iter().find(|e| {
            e.endpoint_type.eq_ignore_ascii_case("Gateway") && e.service_name.ends_with(&suffix)
        })
    }

    /// Private DNS makes the service's public name resolve to the endpoint, but only when the VPC resolves
    /// names at all (`enableDnsSupport`) and hands out private names (`enableDnsHostnames`).
    pub fn dns_answers_for(&self, endpoint: &VpcEndpoint) -> bool {
        endpoint.private_dns_enabled
            && self
                .dns
                .is_none_or(|d| d.enable_dns_support && d.enable_dns_hostnames)
    }

    pub fn service_path(&self, service: &'static str) -> ServicePath<'a> {
        let endpoint = self.interface_endpoint(service);
        let via = match endpoint {
            Some(e) if self.dns_answers_for(e) => Via::Endpoint(e),
            _ => Via::Internet,
        };
        ServicePath {
            service,
            endpoint,
            via,
        }
    }

    pub fn core_paths(&self) -> Vec<ServicePath<'a>> {
        CORE_SERVICES.iter().map(|s| self.service_path(s)).collect()
    }

    /// The interface endpoints the agent's traffic actually goes to, by service.
    pub fn endpoints_in_use(&self) -> Vec<(&'static str, &'a VpcEndpoint)> {
        self.core_paths()
            .into_iter()
            .filter_map(|p| match p.via {
                Via::Endpoint(e) => Some((p.service, e)),
                Via::Internet => None,
            })
            .collect()
    }

    /// True when at least one core service goes out over the default route.
    pub fn uses_internet(&self) -> bool {
        self.core_paths()
            .iter()
            .any(|p| matches!(p.via, Via::Internet))
    }

    pub fn region(&self) -> &str {
        self.region
    }
}
