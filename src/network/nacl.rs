//! Network ACLs: stateless, one direction at a time, entries in rule-number order, the first match decides,
//! and the `*` entry denies whatever is left.

use super::ports::PortSet;
use super::{cidr_covers, protocol_matches_tcp, Peer};
use crate::facts::NetworkAcl;

/// Which entry decided which ports.
#[derive(Debug, Clone, PartialEq)]
pub struct AclDecision {
    /// `None` for the implicit `*` entry.
    pub rule_number: Option<i32>,
    pub allow: bool,
    pub ports: PortSet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AclResult {
    pub allowed: PortSet,
    pub denied: PortSet,
    pub decisions: Vec<AclDecision>,
}

impl AclResult {
    /// `rule 100 allows 1024-65535; * denies 0-1023`, for evidence.
    pub fn describe(&self) -> String {
        self.decisions
            .iter()
            .map(|d| {
                let rule = d
                    .rule_number
                    .map_or("*".to_string(), |n| format!("rule {n}"));
                let verb = if d.allow { "allows" } else { "denies" };
                format!("{rule} {verb} {}", d.ports)
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The entries that denied any of the ports.
    pub fn blockers(&self) -> String {
        self.decisions
            .iter()
            .filter(|d| !d.allow)
            .map(|d| {
                let rule = d
                    .rule_number
                    .map_or("the default * entry".to_string(), |n| format!("rule {n}"));
                format!("{rule} denies {}", d.ports)
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Evaluates TCP `ports` to (egress) or from (ingress) `peer` through `acl`.
pub fn evaluate(acl: &NetworkAcl, egress: bool, ports: PortSet, peer: &Peer) -> AclResult {
    let mut entries: Vec<_> = acl
        .entries
        .iter()
        .filter(|e| {
            e.egress == egress && protocol_matches_tcp(&e.protocol) && cidr_covers(&e.cidr, peer)
        })
        .collect();
    entries.sort_by_key(|e| e.rule_number);
    let mut remaining = ports;
    let mut allowed = PortSet::default();
    let mut denied = PortSet::default();
    let mut decisions = Vec::new();
    for e in entries {
        if remaining.is_empty() {
            break;
        }
        let hit = remaining.intersect(&PortSet::of_rule(e.from_port, e.to_port));
        if hit.is_empty() {
            continue;
        }
        let allow = e.action.eq_ignore_ascii_case("allow");
        if allow {
            allowed = allowed.union(&hit);
        } else {
            denied = denied.union(&hit);
        }
        remaining = remaining.minus(&hit);
        // AWS lists the `*` entry as rule 32767.
        let rule_number = (e.rule_number != 32767).then_some(e.rule_number);
        decisions.push(AclDecision {
            rule_number,
            allow,
            ports: hit,
        });
    }
    if !remaining.is_empty() {
        denied = denied.union(&remaining);
        decisions.push(AclDecision {
            rule_number: None,
            allow: false,
            ports: remaining,
        });
    }
    AclResult {
        allowed,
        denied,
        decisions,
    }
}

/// The ACL that governs `subnet_id`: its explicit association, else the VPC's default ACL.
pub fn for_subnet<'a>(acls: &'a [NetworkAcl], subnet_id: &str) -> Option<&'a NetworkAcl> {
    acls.iter()
        .find(|a| a.subnet_ids.iter().any(|s| s == subnet_id))
        .or_else(|| acls.iter().find(|a| a.is_default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acl(entries: serde_json::Value) -> NetworkAcl {
        serde_json::from_value(json!({"network_acl_id": "acl-1", "entries": entries})).unwrap()
    }

    #[test]
    fn first_match_wins_in_rule_order() {
        let a = acl(json!([
            {"rule_number": 200, "egress": false, "protocol": "tcp", "from_port": 1024, "to_port": 65535, "cidr": "0.0.0.0/0", "action": "allow"},
            {"rule_number": 100, "egress": false, "protocol": "tcp", "from_port": 32768, "to_port": 40000, "cidr": "10.0.0.0/16", "action": "deny"},
            {"rule_number": 32767, "egress": false, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]));
        let from_endpoint = Peer {
            ip: "10.0.1.10".parse().ok(),
            ..Default::default()
        };
        let r = evaluate(&a, false, PortSet::range(1024, 65535), &from_endpoint);
        assert_eq!(r.denied.to_string(), "32768-40000");
        assert_eq!(r.allowed.to_string(), "1024-32767,40001-65535");
        assert_eq!(r.blockers(), "rule 100 denies 32768-40000");
        // From elsewhere, the deny does not apply.
        let other = Peer {
            ip: "172.16.0.1".parse().ok(),
            ..Default::default()
        };
        assert!(evaluate(&a, false, PortSet::range(1024, 65535), &other)
            .denied
            .is_empty());
    }

    #[test]
    fn ipv6_entries_do_not_decide_ipv4_traffic() {
        let a = acl(json!([
            {"rule_number": 90, "egress": true, "protocol": "-1", "cidr": "::/0", "action": "deny"},
            {"rule_number": 100, "egress": true, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "action": "allow"},
            {"rule_number": 32767, "egress": true, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]));
        let internet = Peer {
            internet: true,
            ..Default::default()
        };
        let out = evaluate(&a, true, PortSet::range(443, 443), &internet);
        assert!(out.denied.is_empty(), "{}", out.describe());
        assert_eq!(out.describe(), "rule 100 allows 443");
        let v6 = Peer {
            ip: "2600:1f18::1".parse().ok(),
            ..Default::default()
        };
        assert_eq!(
            evaluate(&a, true, PortSet::range(443, 443), &v6).blockers(),
            "rule 90 denies 443"
        );
    }

    #[test]
    fn default_deny_and_direction() {
        let a = acl(json!([
            {"rule_number": 100, "egress": true, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/16", "action": "allow"},
            {"rule_number": 32767, "egress": true, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]));
        let ep = Peer {
            ip: "10.0.1.10".parse().ok(),
            ..Default::default()
        };
        assert!(evaluate(&a, true, PortSet::range(443, 443), &ep)
            .denied
            .is_empty());
        let internet = Peer {
            internet: true,
            ..Default::default()
        };
        let out = evaluate(&a, true, PortSet::range(443, 443), &internet);
        assert_eq!(out.blockers(), "the default * entry denies 443");
        // Nothing at all for ingress: the implicit deny.
        let inbound = evaluate(&a, false, PortSet::range(1024, 65535), &ep);
        assert_eq!(
            inbound.decisions,
            vec![AclDecision {
                rule_number: None,
                allow: false,
                ports: PortSet::range(1024, 65535)
            }]
        );
    }
}
