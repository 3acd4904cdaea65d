//! Network facts: the VPC, subnets, routes, endpoints, security groups, network ACLs and prefix lists
//! involved in the path from the instance to Systems Manager.

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    pub vpc_id: String,
    #[schemars(with = "Vec<String>")]
    pub cidr_blocks: Vec<IpNet>,
    /// The VPC's primary IPv4 range (`CidrBlock`): the one whose reserved addresses the agent refuses to forward to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub primary_cidr_block: Option<IpNet>,
}

/// `enableDnsSupport` and `enableDnsHostnames` (`ec2:DescribeVpcAttribute`); private DNS needs both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcDns {
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub cidr_block: Option<IpNet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub ipv6_cidr_blocks: Vec<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTable {
    pub route_table_id: String,
    /// True for the VPC's main table, which serves every subnet without an explicit association.
    #[serde(default)]
    pub main: bool,
    /// Subnets explicitly associated with this table.
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// An IPv4 or IPv6 destination; absent for prefix-list destinations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub destination: Option<IpNet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<String>,
    /// `local`, or the target's id: `igw-`, `eigw-`, `nat-`, `tgw-`, `pcx-`, `vpce-`, `eni-`, `i-`, `vgw-`, ...
    pub target: String,
    /// `active` or `blackhole`.
    #[serde(default = "active")]
    pub state: String,
}

fn active() -> String {
    "active".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: String,
    pub vpc_id: String,
    /// e.g. `com.amazonaws.ap-northeast-1.ssmmessages`.
    pub service_name: String,
    /// `Interface`, `Gateway` or `GatewayLoadBalancer`.
    pub endpoint_type: String,
    /// `available`, `pending`, `pendingAcceptance`, `deleting`, `failed`, `rejected`, ...
    pub state: String,
    #[serde(default)]
    pub private_dns_enabled: bool,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// The private addresses of the endpoint's network interfaces.
    #[serde(default)]
    pub interface_ips: Vec<IpAddr>,
    /// Route tables of a gateway endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route_table_ids: Vec<String>,
    /// The endpoint policy; absent means the default full-access policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub group_id: String,
    #[serde(default)]
    pub group_name: String,
    #[serde(default)]
    pub ingress: Vec<SgRule>,
    #[serde(default)]
    pub egress: Vec<SgRule>,
}

/// One security group rule, with one peer (AWS's permissions with several ranges are split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    pub peer: Peer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Peer {
    Cidr(#[schemars(with = "String")] IpNet),
    SecurityGroup(String),
    PrefixList(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    pub network_acl_id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AclEntry {
    /// 1–32766; 32767 is the `*` default deny.
    pub rule_number: i32,
    pub egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[schemars(with = "String")]
    pub cidr: IpNet,
    /// `allow` or `deny`.
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixList {
    pub prefix_list_id: String,
    pub name: String,
    #[schemars(with = "Vec<String>")]
    pub cidrs: Vec<IpNet>,
}

/// What is known of the host behind remote-host port forwarding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteDestination {
    /// As given by the user: an address or a host name.
    pub host: String,
    /// The addresses it resolves to, when known.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// Security groups of the destination's network interface, when it is in the facts' account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
}
