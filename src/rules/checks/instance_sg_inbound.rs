//! `instance-sg-inbound`: No inbound rule is opened for Session Manager (`rules/instance-sg-inbound.toml`).

use crate::facts::SgRule;
use crate::network::ports::PortSet;
use crate::network::sg::{self};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    if c.facts.is_hybrid() {
        return Ok(Outcome::skip(
            "hybrid managed node: its network is not in AWS",
        ));
    }
    let instance = c.facts.instance.need("the instance")?;
    let ig = c.groups(&instance.security_group_ids)?;
    let mut open_world = Vec::new();
    let mut revoke = Vec::new();
    let mut open_some = Vec::new();
    for g in &ig {
        for r in &g.ingress {
            let ports = PortSet::of_rule(r.from_port, r.to_port);
            let tcp = crate::network::protocol_matches_tcp(&r.protocol);
            if !tcp || !(ports.contains(22) || ports.contains(3389)) {
                continue;
            }
            let line = sg::describe(g, r, false);
            match &r.peer {
                crate::facts::Peer::Cidr(net) if net.prefix_len() == 0 => {
                    open_world.push(line);
                    revoke.push(revoke_world(&g.group_id, r, net));
                }
                _ => open_some.push(line),
            }
        }
    }
    if !open_world.is_empty() {
        return Ok(Outcome::warn("SSH or RDP is open to the whole internet; Session Manager needs no inbound rule at all")
            .evidence_all(open_world)
            .remedy(format!("If the rule was opened for Session Manager, remove it:\n{}", revoke.join("\n"))));
    }
    let out =
        Outcome::pass("Session Manager needs no inbound rule, and none is open to the internet");
    Ok(if open_some.is_empty() {
        out
    } else {
        out.evidence_all(open_some)
            .note("The inbound 22/3389 rules above are not needed for Session Manager.")
    })
}

/// The command that removes `rule`'s opening to the whole internet (`net` is 0.0.0.0/0 or ::/0).
fn revoke_world(group: &str, rule: &SgRule, net: &ipnet::IpNet) -> String {
    let range = if net.addr().is_ipv4() {
        "IpRanges=[{CidrIp=0.0.0.0/0}]"
    } else {
        "Ipv6Ranges=[{CidrIpv6=::/0}]"
    };
    let ports = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) => format!(",FromPort={from},ToPort={to}"),
        _ => String::new(),
    };
    format!(
        "aws ec2 revoke-security-group-ingress --group-id {group} --ip-permissions 'IpProtocol={}{ports},{range}'",
        rule.protocol
    )
}
