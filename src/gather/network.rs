//! One VPC's network facts, fetched once for every target in it: one round of VPC-filtered Describe calls, then
//! the endpoints' addresses and the prefix lists that security groups and routes name.

use super::ec2;
use super::errors::{classify, Failure};
use super::store::Store;
use crate::facts::*;
use std::time::Duration;

/// Fetches the VPC's facts and files them under its region in the store.
pub async fn vpc(c: &aws_sdk_ec2::Client, region: &str, vpc: &str, store: &Store) {
    let (v, dns, subnets, tables, endpoints, groups, acls) = tokio::join!(
        ec2::vpc(c, vpc),
        ec2::vpc_dns(c, vpc),
        ec2::subnets(c, vpc),
        ec2::route_tables(c, vpc),
        ec2::vpc_endpoints(c, vpc),
        ec2::security_groups(c, vpc),
        ec2::network_acls(c, vpc)
    );
    let mut lists: Vec<String> = Vec::new();
    if let Ok(groups) = &groups {
        for rule in groups
            .iter()
            .flat_map(|g| g.ingress.iter().chain(&g.egress))
        {
            if let crate::facts::Peer::PrefixList(id) = &rule.peer {
                lists.push(id.clone());
            }
        }
    }
    if let Ok(tables) = &tables {
        lists.extend(
            tables
                .iter()
                .flat_map(|t| &t.routes)
                .filter_map(|r| r.destination_prefix_list_id.clone()),
        );
    }
    lists.sort();
    lists.dedup();
    let enis: Vec<String> = endpoints
        .iter()
        .flatten()
        .flat_map(|(_, ids)| ids.clone())
        .collect();
    let (addresses, prefix_lists) = tokio::join!(
        ec2::interface_addresses(c, &enis),
        ec2::prefix_lists(c, &lists)
    );
    // Without the addresses the endpoints are still known; rules that need addresses say so (Unknown).
    let addresses = addresses.unwrap_or_default();
    let endpoints = endpoints.map(|eps| {
        eps.into_iter()
            .map(|(mut e, ids)| {
                e.interface_ips = addresses
                    .iter()
                    .filter(|(id, _)| ids.contains(id))
                    .map(|(_, ip)| *ip)
                    .collect();
                e
            })
            .collect()
    });
    let facts = VpcFacts {
        vpc: store.fact(v),
        vpc_dns: store.fact(dns),
        subnets: store.fact(subnets),
        route_tables: store.fact(tables),
        vpc_endpoints: store.fact(endpoints),
        security_groups: store.fact(groups),
        network_acls: store.fact(acls),
        prefix_lists: store.fact(prefix_lists),
        instance_connect_endpoints: Fact::not_gathered("no target in the VPC is offline"),
    };
    store.with(|f| {
        let vpcs = &mut f.region_mut(region).vpcs;
        let mut facts = facts;
        // Filed beside this, for offline targets only.
        if let Some(earlier) = vpcs.get(vpc) {
            facts.instance_connect_endpoints = earlier.instance_connect_endpoints.clone();
        }
        vpcs.insert(vpc.to_string(), facts);
    });
}

/// What is known of the remote-host destination from this region: its addresses (a name is resolved here, as
/// the instance would), and the security groups and subnet of the network interface that holds the first one.
pub async fn remote_destination(
    c: &aws_sdk_ec2::Client,
    host: &str,
) -> Result<RemoteDestination, Failure> {
    let addresses: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => {
            match tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((host, 0)))
                .await
            {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                _ => Vec::new(),
            }
        }
    };
    let mut dest = RemoteDestination {
        host: host.to_string(),
        addresses: addresses.clone(),
        security_group_ids: Vec::new(),
        subnet_id: None,
    };
    if let Some(ip) = addresses.first() {
        let out = c
            .describe_network_interfaces()
            .filters(ec2::filter(
                "addresses.private-ip-address",
                &[ip.to_string()],
            ))
            .send()
            .await
            .map_err(|e| classify(&e, "ec2:DescribeNetworkInterfaces"))?;
        if let Some(eni) = out.network_interfaces().first() {
            dest.security_group_ids = eni
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect();
            dest.subnet_id = eni.subnet_id().map(str::to_string);
        }
    }
    Ok(dest)
}
