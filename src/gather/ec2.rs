//! EC2 facts: the instance and its network, each Describe call filtered to the instance's VPC and paginated.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::facts::*;
use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use aws_sdk_ec2::Client;
use std::net::IpAddr;

fn vpc_filter(vpc: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc).build()
}

fn net(s: &str) -> Option<ipnet::IpNet> {
    s.parse().ok()
}

/// The instances a selection names: by id (as a filter, so that an unknown id is absent rather than an error for
/// the whole list), by the user's filters, or all; paginated.
pub async fn instances(c: &Client, filters: Vec<Filter>) -> Result<Vec<Instance>, Failure> {
    // The largest page EC2 allows: a fleet of up to a thousand is one call, not a chain of pages.
    let pages = c
        .describe_instances()
        .set_filters((!filters.is_empty()).then_some(filters))
        .max_results(1000)
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeInstances", |p| {
        p.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(instance)
            .collect::<Vec<_>>()
    })
    .await
}

/// An EC2 filter: `instance-id`, `tag:Env`, ...
pub fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

fn instance(i: &aws_sdk_ec2::types::Instance) -> Instance {
    let mut groups: Vec<String> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    for eni in i.network_interfaces() {
        for g in eni.groups() {
            if let Some(id) = g.group_id() {
                if !groups.iter().any(|x| x == id) {
                    groups.push(id.to_string());
                }
            }
        }
    }
    Instance {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        platform: i.platform().map(|p| p.as_str().to_string()),
        name: i
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value().map(str::to_string)),
        vpc_id: i.vpc_id().map(str::to_string),
        subnet_id: i.subnet_id().map(str::to_string),
        availability_zone: i
            .placement()
            .and_then(|p| p.availability_zone())
            .map(str::to_string),
        private_ip: i.private_ip_address().and_then(|a| a.parse().ok()),
        public_ip: i.public_ip_address().and_then(|a| a.parse().ok()),
        ipv6_addresses: i
            .network_interfaces()
            .iter()
            .flat_map(|n| n.ipv6_addresses())
            .filter_map(|a| a.ipv6_address().and_then(|s| s.parse().ok()))
            .collect(),
        security_group_ids: groups,
        instance_profile_arn: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
        metadata_options: i.metadata_options().map(|m| MetadataOptions {
            http_endpoint: m
                .http_endpoint()
                .map(|e| e.as_str().to_string())
                .unwrap_or_else(|| "enabled".into()),
            http_tokens: m
                .http_tokens()
                .map(|t| t.as_str().to_string())
                .unwrap_or_else(|| "optional".into()),
            http_put_response_hop_limit: m.http_put_response_hop_limit(),
        }),
        tags: Some(
            i.tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        ),
        image_id: i.image_id().map(str::to_string),
        launch_time: i.launch_time().and_then(rfc3339),
    }
}

/// An SDK time as RFC 3339.
pub fn rfc3339(t: &aws_smithy_types::DateTime) -> Option<String> {
    t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

/// Regions where `id` exists, for a target not found in the chosen region (a quick look, bounded).
pub async fn find_elsewhere(config: &aws_types::SdkConfig, id: &str) -> Vec<String> {
    let c = Client::new(config);
    let Ok(regions) = c.describe_regions().send().await else {
        return Vec::new();
    };
    let names: Vec<String> = regions
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    let lookups = names.into_iter().map(|region| {
        let conf = aws_sdk_ec2::config::Builder::from(config)
            .region(aws_types::region::Region::new(region.clone()))
            .build();
        let client = Client::from_conf(conf);
        let id = id.to_string();
        async move {
            let found = client
                .describe_instances()
                .instance_ids(&id)
                .send()
                .await
                .is_ok_and(|o| !o.reservations().is_empty());
            found.then_some(region)
        }
    });
    futures_util::future::join_all(lookups)
        .await
        .into_iter()
        .flatten()
        .collect()
}

pub async fn vpc(c: &Client, vpc: &str) -> Result<Vpc, Failure> {
    let out = c
        .describe_vpcs()
        .vpc_ids(vpc)
        .send()
        .await
        .map_err(|e| classify(&e, "ec2:DescribeVpcs"))?;
    let v = out.vpcs().first().ok_or_else(|| {
        Failure::Fact(Unavailable::NotFound {
            what: format!("no VPC {vpc}"),
        })
    })?;
    let mut cidr_blocks: Vec<ipnet::IpNet> = v
        .cidr_block_association_set()
        .iter()
        .filter_map(|a| a.cidr_block().and_then(net))
        .collect();
    if cidr_blocks.is_empty() {
        cidr_blocks.extend(v.cidr_block().and_then(net));
    }
    Ok(Vpc {
        vpc_id: vpc.to_string(),
        cidr_blocks,
        primary_cidr_block: v.cidr_block().and_then(net),
    })
}

pub async fn vpc_dns(c: &Client, vpc: &str) -> Result<VpcDns, Failure> {
    let ask = |attr: VpcAttributeName| {
        c.describe_vpc_attribute()
            .vpc_id(vpc)
            .attribute(attr)
            .send()
    };
    let (support, hostnames) = tokio::join!(
        ask(VpcAttributeName::EnableDnsSupport),
        ask(VpcAttributeName::EnableDnsHostnames)
    );
    let support = support.map_err(|e| classify(&e, "ec2:DescribeVpcAttribute"))?;
    let hostnames = hostnames.map_err(|e| classify(&e, "ec2:DescribeVpcAttribute"))?;
    Ok(VpcDns {
        enable_dns_support: support
            .enable_dns_support()
            .and_then(|v| v.value())
            .unwrap_or(false),
        enable_dns_hostnames: hostnames
            .enable_dns_hostnames()
            .and_then(|v| v.value())
            .unwrap_or(false),
    })
}

pub async fn subnets(c: &Client, vpc: &str) -> Result<Vec<Subnet>, Failure> {
    let pages = c
        .describe_subnets()
        .filters(vpc_filter(vpc))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeSubnets", |p| {
        p.subnets().iter().map(subnet).collect::<Vec<_>>()
    })
    .await
}

fn subnet(s: &aws_sdk_ec2::types::Subnet) -> Subnet {
    Subnet {
        subnet_id: s.subnet_id().unwrap_or_default().to_string(),
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        availability_zone: s.availability_zone().unwrap_or_default().to_string(),
        cidr_block: s.cidr_block().and_then(net),
        ipv6_cidr_blocks: s
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|a| a.ipv6_cidr_block().and_then(net))
            .collect(),
    }
}

pub async fn route_tables(c: &Client, vpc: &str) -> Result<Vec<RouteTable>, Failure> {
    let pages = c
        .describe_route_tables()
        .filters(vpc_filter(vpc))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeRouteTables", |p| {
        p.route_tables().iter().map(route_table).collect::<Vec<_>>()
    })
    .await
}

fn route_table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        route_table_id: t.route_table_id().unwrap_or_default().to_string(),
        main: t.associations().iter().any(|a| a.main() == Some(true)),
        subnet_ids: t
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect(),
        routes: t.routes().iter().map(route).collect(),
    }
}

fn route(r: &aws_sdk_ec2::types::Route) -> Route {
    Route {
        destination: r
            .destination_cidr_block()
            .or(r.destination_ipv6_cidr_block())
            .and_then(net),
        destination_prefix_list_id: r.destination_prefix_list_id().map(str::to_string),
        target: [
            r.gateway_id(),
            r.nat_gateway_id(),
            r.transit_gateway_id(),
            r.vpc_peering_connection_id(),
            r.egress_only_internet_gateway_id(),
            r.network_interface_id(),
            r.instance_id(),
            r.local_gateway_id(),
            r.carrier_gateway_id(),
        ]
        .into_iter()
        .flatten()
        .next()
        .unwrap_or("unknown")
        .to_string(),
        state: r
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "active".into()),
    }
}

/// The endpoints, each with the ids of its network interfaces (whose addresses come in a later call).
pub async fn vpc_endpoints(
    c: &Client,
    vpc: &str,
) -> Result<Vec<(VpcEndpoint, Vec<String>)>, Failure> {
    let pages = c
        .describe_vpc_endpoints()
        .filters(vpc_filter(vpc))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeVpcEndpoints", |p| {
        p.vpc_endpoints()
            .iter()
            .map(|e| (vpc_endpoint(e, vpc), e.network_interface_ids().to_vec()))
            .collect::<Vec<_>>()
    })
    .await
}

fn vpc_endpoint(e: &aws_sdk_ec2::types::VpcEndpoint, vpc: &str) -> VpcEndpoint {
    VpcEndpoint {
        vpc_endpoint_id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
        vpc_id: e.vpc_id().unwrap_or(vpc).to_string(),
        service_name: e.service_name().unwrap_or_default().to_string(),
        endpoint_type: e
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        state: e
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
        subnet_ids: e.subnet_ids().to_vec(),
        security_group_ids: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        // Filled from the network interfaces.
        interface_ips: Vec::new(),
        route_table_ids: e.route_table_ids().to_vec(),
        // Kept as text when it does not parse: the rule then says Unknown, never "default policy".
        policy: e.policy_document().map(|p| {
            serde_json::from_str(p).unwrap_or_else(|_| serde_json::Value::String(p.to_string()))
        }),
    }
}

/// The private addresses of network interfaces, by interface id.
pub async fn interface_addresses(
    c: &Client,
    ids: &[String],
) -> Result<Vec<(String, IpAddr)>, Failure> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let pages = c
        .describe_network_interfaces()
        .set_network_interface_ids(Some(ids.to_vec()))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeNetworkInterfaces", |p| {
        p.network_interfaces()
            .iter()
            .filter_map(|n| {
                let ip = n.private_ip_address()?.parse().ok()?;
                Some((n.network_interface_id()?.to_string(), ip))
            })
            .collect::<Vec<_>>()
    })
    .await
}

fn sg_rules(perms: &[aws_sdk_ec2::types::IpPermission]) -> Vec<SgRule> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let (from_port, to_port) = (p.from_port(), p.to_port());
        let mut push = |peer: crate::facts::Peer, description: Option<&str>| {
            out.push(SgRule {
                protocol: protocol.clone(),
                from_port,
                to_port,
                peer,
                description: description.map(str::to_string),
            });
        };
        for r in p.ip_ranges() {
            if let Some(n) = r.cidr_ip().and_then(net) {
                push(crate::facts::Peer::Cidr(n), r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(n) = r.cidr_ipv6().and_then(net) {
                push(crate::facts::Peer::Cidr(n), r.description());
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                push(
                    crate::facts::Peer::SecurityGroup(id.to_string()),
                    g.description(),
                );
            }
        }
        for l in p.prefix_list_ids() {
            if let Some(id) = l.prefix_list_id() {
                push(
                    crate::facts::Peer::PrefixList(id.to_string()),
                    l.description(),
                );
            }
        }
    }
    out
}

/// Every security group of the VPC: the instance's and the endpoints' come in one call.
pub async fn security_groups(c: &Client, vpc: &str) -> Result<Vec<SecurityGroup>, Failure> {
    let pages = c
        .describe_security_groups()
        .filters(vpc_filter(vpc))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeSecurityGroups", |p| {
        p.security_groups()
            .iter()
            .map(|g| SecurityGroup {
                group_id: g.group_id().unwrap_or_default().to_string(),
                group_name: g.group_name().unwrap_or_default().to_string(),
                ingress: sg_rules(g.ip_permissions()),
                egress: sg_rules(g.ip_permissions_egress()),
            })
            .collect::<Vec<_>>()
    })
    .await
}

pub async fn network_acls(c: &Client, vpc: &str) -> Result<Vec<NetworkAcl>, Failure> {
    let pages = c
        .describe_network_acls()
        .filters(vpc_filter(vpc))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeNetworkAcls", |p| {
        p.network_acls().iter().map(network_acl).collect::<Vec<_>>()
    })
    .await
}

fn network_acl(a: &aws_sdk_ec2::types::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: a.network_acl_id().unwrap_or_default().to_string(),
        is_default: a.is_default().unwrap_or(false),
        subnet_ids: a
            .associations()
            .iter()
            .filter_map(|x| x.subnet_id().map(str::to_string))
            .collect(),
        entries: a
            .entries()
            .iter()
            .filter_map(|e| {
                Some(AclEntry {
                    rule_number: e.rule_number()?,
                    egress: e.egress().unwrap_or(false),
                    protocol: e.protocol().unwrap_or("-1").to_string(),
                    from_port: e.port_range().and_then(|p| p.from()),
                    to_port: e.port_range().and_then(|p| p.to()),
                    cidr: e.cidr_block().or(e.ipv6_cidr_block()).and_then(net)?,
                    action: e
                        .rule_action()
                        .map(|r| r.as_str().to_string())
                        .unwrap_or_else(|| "deny".into()),
                })
            })
            .collect(),
    }
}

/// AWS-managed prefix lists (S3, DynamoDB) with their CIDRs.
pub async fn prefix_lists(c: &Client, ids: &[String]) -> Result<Vec<PrefixList>, Failure> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let out = c
        .describe_prefix_lists()
        .set_prefix_list_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| classify(&e, "ec2:DescribePrefixLists"))?;
    Ok(out
        .prefix_lists()
        .iter()
        .map(|p| PrefixList {
            prefix_list_id: p.prefix_list_id().unwrap_or_default().to_string(),
            name: p.prefix_list_name().unwrap_or_default().to_string(),
            cidrs: p.cidrs().iter().filter_map(|c| net(c)).collect(),
        })
        .collect())
}
