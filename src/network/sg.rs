//! Security groups: stateful allow-lists. A flow is allowed when any rule of any of the interface's groups
//! admits it; replies are allowed automatically.

use super::ports::PortSet;
use super::{cidr_covers, protocol_matches_tcp, Peer};
use crate::facts::Peer as RulePeer;
use crate::facts::{PrefixList, SecurityGroup, SgRule};

#[derive(Debug, Clone)]
pub enum SgVerdict<'a> {
    Allowed {
        group: &'a SecurityGroup,
        rule: &'a SgRule,
    },
    Denied,
    /// A rule might admit the flow but a prefix list it names is not in the facts.
    Unknown(String),
}

/// Is TCP `port` to (egress) or from (ingress) `peer` admitted by one of `groups`?
pub fn permits<'a>(
    groups: &[&'a SecurityGroup],
    egress: bool,
    port: u16,
    peer: &Peer,
    prefix_lists: Option<&[PrefixList]>,
) -> SgVerdict<'a> {
    let mut unknown = None;
    for group in groups {
        let rules = if egress {
            &group.egress
        } else {
            &group.ingress
        };
        for rule in rules {
            if !protocol_matches_tcp(&rule.protocol)
                || !PortSet::of_rule(rule.from_port, rule.to_port).contains(port)
            {
                continue;
            }
            match peer_matches(&rule.peer, peer, prefix_lists) {
                Ok(true) => return SgVerdict::Allowed { group, rule },
                Ok(false) => {}
                Err(why) => unknown = Some(why),
            }
        }
    }
    match unknown {
        Some(why) => SgVerdict::Unknown(why),
        None => SgVerdict::Denied,
    }
}

fn peer_matches(
    rule: &RulePeer,
    peer: &Peer,
    prefix_lists: Option<&[PrefixList]>,
) -> Result<bool, String> {
    match rule {
        RulePeer::Cidr(net) => Ok(cidr_covers(net, peer)),
        RulePeer::SecurityGroup(id) => Ok(peer.groups.iter().any(|g| g == id)),
        RulePeer::PrefixList(id) => {
            if peer.prefix_list == Some(id.as_str()) {
                return Ok(true);
            }
            let Some(ip) = peer.ip else { return Ok(false) };
            let list = prefix_lists
                .and_then(|lists| lists.iter().find(|l| &l.prefix_list_id == id))
                .ok_or_else(|| format!("prefix list {id} is not in the facts"))?;
            Ok(list.cidrs.iter().any(|c| c.contains(&ip)))
        }
    }
}

/// `sg-… (name) egress tcp/443 → 10.0.0.0/16`, for evidence.
pub fn describe(group: &SecurityGroup, rule: &SgRule, egress: bool) -> String {
    let ports = match (rule.from_port, rule.to_port) {
        (Some(f), Some(t)) if f == t && f >= 0 => format!("/{f}"),
        (Some(f), Some(t)) if f >= 0 => format!("/{f}-{t}"),
        _ => String::new(),
    };
    let proto = if rule.protocol == "-1" {
        "all".to_string()
    } else {
        rule.protocol.clone()
    };
    let peer = match &rule.peer {
        RulePeer::Cidr(c) => c.to_string(),
        RulePeer::SecurityGroup(g) => g.clone(),
        RulePeer::PrefixList(p) => p.clone(),
    };
    let rules = if egress {
        &group.egress
    } else {
        &group.ingress
    };
    let number = rules
        .iter()
        .position(|r| std::ptr::eq(r, rule))
        .map_or(String::new(), |i| format!(" rule {}", i + 1));
    let (dir, arrow) = if egress {
        ("egress", "→")
    } else {
        ("ingress", "←")
    };
    let name = if group.group_name.is_empty() {
        String::new()
    } else {
        format!(" ({})", group.group_name)
    };
    format!(
        "{}{name} {dir}{number}: {proto}{ports} {arrow} {peer}",
        group.group_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sg(v: serde_json::Value) -> SecurityGroup {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn cidr_group_reference_and_prefix_list() {
        let strict = sg(json!({"group_id": "sg-ec2", "egress": [
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "peer": {"security_group": "sg-vpce"}},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "peer": {"prefix_list": "pl-61a54008"}}]}));
        let ep_ip = "192.168.64.20".parse().ok();
        let vpce_groups = vec!["sg-vpce".to_string()];
        let to_endpoint = Peer {
            ip: ep_ip,
            groups: &vpce_groups,
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&strict], true, 443, &to_endpoint, None),
            SgVerdict::Allowed { .. }
        ));
        assert!(matches!(
            permits(&[&strict], true, 3389, &to_endpoint, None),
            SgVerdict::Denied
        ));
        let to_internet = Peer {
            internet: true,
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&strict], true, 443, &to_internet, None),
            SgVerdict::Denied
        ));
        let to_s3 = Peer {
            prefix_list: Some("pl-61a54008"),
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&strict], true, 443, &to_s3, None),
            SgVerdict::Allowed { .. }
        ));
        // An address checked against a prefix list we cannot see is unknown, not denied.
        let other = Peer {
            ip: "52.219.0.1".parse().ok(),
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&strict], true, 443, &other, None),
            SgVerdict::Unknown(_)
        ));
    }

    #[test]
    fn all_traffic_rules_and_cidrs() {
        let open = sg(
            json!({"group_id": "sg-default", "egress": [{"protocol": "-1", "peer": {"cidr": "0.0.0.0/0"}}]}),
        );
        let vpc_only = sg(
            json!({"group_id": "sg-vpc", "egress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "peer": {"cidr": "10.0.0.0/16"}}]}),
        );
        let inside = Peer {
            ip: "10.0.1.5".parse().ok(),
            ..Default::default()
        };
        let internet = Peer {
            internet: true,
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&open], true, 443, &internet, None),
            SgVerdict::Allowed { .. }
        ));
        assert!(matches!(
            permits(&[&vpc_only], true, 443, &inside, None),
            SgVerdict::Allowed { .. }
        ));
        assert!(matches!(
            permits(&[&vpc_only], true, 443, &internet, None),
            SgVerdict::Denied
        ));
        let v6 = Peer {
            ip: "2001:db8::1".parse().ok(),
            ..Default::default()
        };
        assert!(matches!(
            permits(&[&vpc_only], true, 443, &v6, None),
            SgVerdict::Denied
        ));
        assert!(matches!(
            permits(&[&vpc_only], false, 443, &inside, None),
            SgVerdict::Denied
        ));
    }
}
