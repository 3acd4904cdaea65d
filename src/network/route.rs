//! Route tables: which table serves a subnet, and where traffic for an address goes.

use crate::facts::{Route, RouteTable};
use std::net::IpAddr;

/// What a route's target is, from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Local,
    InternetGateway,
    EgressOnlyInternetGateway,
    NatGateway,
    TransitGateway,
    Peering,
    /// A gateway endpoint or a Gateway Load Balancer / Network Firewall endpoint.
    VpcEndpoint,
    NetworkInterface,
    Instance,
    VirtualPrivateGateway,
    Other,
}

impl TargetKind {
    pub fn of(target: &str) -> TargetKind {
        let prefix = target.split('-').next().unwrap_or("");
        match prefix {
            "local" => TargetKind::Local,
            "igw" => TargetKind::InternetGateway,
            "eigw" => TargetKind::EgressOnlyInternetGateway,
            "nat" => TargetKind::NatGateway,
            "tgw" => TargetKind::TransitGateway,
            "pcx" => TargetKind::Peering,
            "vpce" => TargetKind::VpcEndpoint,
            "eni" => TargetKind::NetworkInterface,
            "i" => TargetKind::Instance,
            "vgw" => TargetKind::VirtualPrivateGateway,
            _ => TargetKind::Other,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            TargetKind::Local => "the VPC (local)",
            TargetKind::InternetGateway => "an internet gateway",
            TargetKind::EgressOnlyInternetGateway => "an egress-only internet gateway",
            TargetKind::NatGateway => "a NAT gateway",
            TargetKind::TransitGateway => "a transit gateway",
            TargetKind::Peering => "a VPC peering connection",
            TargetKind::VpcEndpoint => "a VPC endpoint (firewall or load balancer)",
            TargetKind::NetworkInterface => "a network interface (NAT instance or appliance)",
            TargetKind::Instance => "an instance (NAT instance)",
            TargetKind::VirtualPrivateGateway => {
                "a virtual private gateway (VPN or Direct Connect)"
            }
            TargetKind::Other => "another target",
        }
    }
}

/// The subnet's explicitly associated table, else the VPC's main table.
pub fn table_for_subnet<'a>(tables: &'a [RouteTable], subnet_id: &str) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id))
        .or_else(|| tables.iter().find(|t| t.main))
}

/// The most specific route whose destination covers `dest`.
pub fn lookup(table: &RouteTable, dest: IpAddr) -> Option<&Route> {
    table
        .routes
        .iter()
        .filter(|r| r.destination.is_some_and(|d| d.contains(&dest)))
        .max_by_key(|r| r.destination.map(|d| d.prefix_len()))
}

/// The default route for IPv4 (`0.0.0.0/0`) or IPv6 (`::/0`).
pub fn default_route(table: &RouteTable, ipv6: bool) -> Option<&Route> {
    table.routes.iter().find(|r| {
        r.destination
            .is_some_and(|d| d.prefix_len() == 0 && matches!(d, ipnet::IpNet::V6(_)) == ipv6)
    })
}

/// `0.0.0.0/0 → nat-0abc (active)`, for evidence.
pub fn describe(route: &Route) -> String {
    let dest = route
        .destination
        .map(|d| d.to_string())
        .or_else(|| route.destination_prefix_list_id.clone())
        .unwrap_or_default();
    format!("{dest} → {} ({})", route.target, route.state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn longest_prefix_and_main_table() {
        let tables: Vec<RouteTable> = serde_json::from_value(json!([
            {"route_table_id": "rtb-main", "main": true, "routes": [
                {"destination": "10.0.0.0/16", "target": "local"}]},
            {"route_table_id": "rtb-pub", "subnet_ids": ["subnet-pub"], "routes": [
                {"destination": "10.0.0.0/16", "target": "local"},
                {"destination": "10.0.5.0/24", "target": "pcx-1"},
                {"destination": "0.0.0.0/0", "target": "igw-1"}]}]))
        .unwrap();
        assert_eq!(
            table_for_subnet(&tables, "subnet-pub")
                .unwrap()
                .route_table_id,
            "rtb-pub"
        );
        assert_eq!(
            table_for_subnet(&tables, "subnet-other")
                .unwrap()
                .route_table_id,
            "rtb-main"
        );
        let pub_table = &tables[1];
        assert_eq!(
            lookup(pub_table, "10.0.5.9".parse().unwrap())
                .unwrap()
                .target,
            "pcx-1"
        );
        assert_eq!(
            lookup(pub_table, "10.0.6.9".parse().unwrap())
                .unwrap()
                .target,
            "local"
        );
        assert_eq!(
            lookup(pub_table, "52.1.2.3".parse().unwrap())
                .unwrap()
                .target,
            "igw-1"
        );
        assert_eq!(default_route(pub_table, false).unwrap().target, "igw-1");
        assert!(default_route(pub_table, true).is_none());
        assert!(default_route(&tables[0], false).is_none());
        assert_eq!(TargetKind::of("nat-0abc"), TargetKind::NatGateway);
        assert_eq!(TargetKind::of("i-0abc"), TargetKind::Instance);
    }
}
