//! Network ACLs on a connection: the way there and, since ACLs are stateless, the replies back to the
//! instance's ephemeral ports. Every rule that crosses an ACL evaluates it here, once.

use crate::facts::NetworkAcl;
use crate::network::nacl::{self, AclResult};
use crate::network::ports::PortSet;
use crate::network::Peer;
use crate::rules::outcome::Outcome;
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::needs::Need;
use crate::rules::shared::paths::Ephemeral;
use std::net::IpAddr;

/// How a stateless ACL treats the replies to the instance's connections: blocked for its platform is a
/// failure; for an unknown platform, a partly open range is a warning and a closed one a failure.
pub enum Replies {
    Open,
    Blocked(String),
    /// Part of 1024-65535 is closed, and the platform is not known.
    Partly(String),
}

/// One connection through one ACL: `outward_egress` is the direction of the connection through it (out of the
/// instance's subnet, into a destination's); the replies cross it the other way, to the ephemeral ports.
pub struct Crossing<'a> {
    pub acl: &'a NetworkAcl,
    pub outward_egress: bool,
    pub there: AclResult,
    pub back: AclResult,
    pub replies: Replies,
}

pub fn cross<'a>(
    acl: &'a NetworkAcl,
    outward_egress: bool,
    ports: PortSet,
    peer: &Peer,
    eph: &Ephemeral,
) -> Crossing<'a> {
    let there = nacl::evaluate(acl, outward_egress, ports, peer);
    let back = nacl::evaluate(acl, !outward_egress, eph.ports.clone(), peer);
    let replies = if back.denied.is_empty() {
        Replies::Open
    } else if eph.known || back.allowed.is_empty() {
        Replies::Blocked(back.blockers())
    } else {
        Replies::Partly(back.blockers())
    };
    Crossing {
        acl,
        outward_egress,
        there,
        back,
        replies,
    }
}

/// How a rule words a crossing's problems: the way there blocked, the replies blocked, the replies partly
/// closed on an unknown platform.
pub struct Words {
    pub there: String,
    pub back: String,
    pub partly: String,
}

impl Crossing<'_> {
    pub fn id(&self) -> &str {
        &self.acl.network_acl_id
    }

    /// What closes the replies, when something does.
    pub fn why_back(&self) -> &str {
        match &self.replies {
            Replies::Open => "",
            Replies::Blocked(why) | Replies::Partly(why) => why,
        }
    }

    /// The problems of this crossing for a service with `need`, and the entries that open it for `cidr`.
    pub fn record(
        &self,
        f: &mut Findings,
        need: &Need,
        words: Words,
        (ports, cidr): (&PortSet, &str),
        eph: &Ephemeral,
    ) {
        if !self.there.denied.is_empty() {
            f.problem_for(need, words.there);
            f.remedy(acl_entry_cmd(
                self.acl,
                !self.outward_egress,
                ports,
                cidr,
                &self.there,
            ));
        }
        let open_back = acl_entry_cmd(self.acl, self.outward_egress, &eph.ports, cidr, &self.back);
        match &self.replies {
            Replies::Open => {}
            Replies::Blocked(_) => {
                f.problem_for(need, words.back);
                f.remedy(open_back);
            }
            Replies::Partly(_) if !need.is_not_needed() => {
                f.doubt(words.partly);
                f.remedy(open_back);
            }
            Replies::Partly(_) => {}
        }
    }
}

pub fn nacl_line(acl: &str, dir: &str, ports: &str, peer: &str, r: &AclResult) -> String {
    let mark = if r.denied.is_empty() { "✓" } else { "✗" };
    format!("{acl} {dir} tcp {ports} {peer}: {} {mark}", r.describe())
}

/// The entry that allows `ports` for `cidr` ahead of what `blocked` found denying them.
pub fn acl_entry_cmd(
    acl: &NetworkAcl,
    ingress: bool,
    ports: &PortSet,
    cidr: &str,
    blocked: &AclResult,
) -> String {
    let (from, to) = ports.bounds().unwrap_or((1024, 65535));
    format!(
        "aws ec2 create-network-acl-entry --network-acl-id {} {} --rule-number {} --protocol tcp --port-range From={from},To={to} --cidr-block {cidr} --rule-action allow",
        acl.network_acl_id,
        if ingress { "--ingress" } else { "--egress" },
        free_rule_number(acl, !ingress, blocked),
    )
}

/// A rule number for a new allow entry: unused in that direction, and lower than the first entry that denies (so
/// it is evaluated first); a round number where one is free.
pub fn free_rule_number(acl: &NetworkAcl, egress: bool, blocked: &AclResult) -> i32 {
    let taken: Vec<i32> = acl
        .entries
        .iter()
        .filter(|e| e.egress == egress)
        .map(|e| e.rule_number)
        .collect();
    let first_deny = blocked
        .decisions
        .iter()
        .filter(|d| !d.allow)
        .filter_map(|d| d.rule_number)
        .min();
    let free = |n: &i32| !taken.contains(n);
    match first_deny {
        // Before the deny: the round numbers below it first, then any.
        Some(deny) => (1..deny)
            .rev()
            .filter(|n| n % 10 == 0)
            .chain((1..deny).rev())
            .find(free)
            .unwrap_or(1),
        // Only the `*` entry denies: after the others, at the next free hundred.
        None => {
            let top = taken
                .iter()
                .copied()
                .filter(|n| *n < 32767)
                .max()
                .unwrap_or(0);
            ((top / 100 + 1) * 100..32767).find(free).unwrap_or(32766)
        }
    }
}

pub fn cidr_of(peer: &Peer) -> String {
    match peer.ip {
        Some(IpAddr::V4(ip)) => format!("{ip}/32"),
        Some(IpAddr::V6(ip)) => format!("{ip}/128"),
        None => "0.0.0.0/0".into(),
    }
}

/// The outcome of the network ACL rules: `subject` blocks the problems found; on an unknown platform, a partly
/// closed ephemeral range is a warning.
pub fn outcome(f: Findings, pass: &str, eph: &Ephemeral, subject: &str) -> Outcome {
    f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!("{subject} blocks {p}")).note(format!(
            "Network ACLs are stateless: the replies need their own rule, on the instance's ephemeral ports {}.",
            eph.label
        )),
        Summary::Doubts(d) => Outcome::warn(format!(
            "{subject} closes part of the ephemeral range 1024-65535, and the instance's platform is not known: {d}"
        ))
        .note("Linux uses 32768-61000 and Windows 49152-65535 (AWS \"Ephemeral ports\"): with the platform known, this is a pass or a failure."),
        Summary::Unknown(u) => Outcome::unknown(u),
        Summary::Clear => Outcome::pass(pass),
    })
}
