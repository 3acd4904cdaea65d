//! Network ACLs on a connection: the way there and, since ACLs are stateless, the replies back to the
//! instance's ephemeral ports.

use crate::facts::NetworkAcl;
use crate::network::nacl::{self, AclResult};
use crate::network::ports::PortSet;
use crate::network::Peer;
use crate::rules::outcome::Outcome;
use crate::rules::shared::findings::Problems;
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

pub fn replies(
    acl: &NetworkAcl,
    egress: bool,
    peer: &Peer,
    eph: &Ephemeral,
) -> (Replies, AclResult) {
    let r = nacl::evaluate(acl, egress, eph.ports.clone(), peer);
    let verdict = if r.denied.is_empty() {
        Replies::Open
    } else if eph.known || r.allowed.is_empty() {
        Replies::Blocked(r.blockers())
    } else {
        Replies::Partly(r.blockers())
    };
    (verdict, r)
}

pub fn nacl_line(acl: &str, dir: &str, ports: &str, peer: &str, r: &AclResult) -> String {
    let mark = if r.denied.is_empty() { "✓" } else { "✗" };
    format!("{acl} {dir} tcp {ports} {peer}: {} {mark}", r.describe())
}

pub fn acl_entry_cmd(acl: &str, ingress: bool, ports: &PortSet, cidr: &str) -> String {
    let (from, to) = ports.bounds().unwrap_or((1024, 65535));
    format!(
        "aws ec2 create-network-acl-entry --network-acl-id {acl} {} --rule-number <n> --protocol tcp --port-range From={from},To={to} --cidr-block {cidr} --rule-action allow",
        if ingress { "--ingress" } else { "--egress" },
    )
}

pub fn cidr_of(peer: &Peer) -> String {
    match peer.ip {
        Some(IpAddr::V4(ip)) => format!("{ip}/32"),
        Some(IpAddr::V6(ip)) => format!("{ip}/128"),
        None => "0.0.0.0/0".into(),
    }
}

/// ACL problems: failures by need, and the warnings an unknown platform's partly open range gives.
pub struct AclFindings {
    pub problems: Problems,
    pub partly: Vec<String>,
    pub remedy: Vec<String>,
    pub evidence: Vec<String>,
}

impl AclFindings {
    pub fn new() -> Self {
        AclFindings {
            problems: Problems::new(),
            partly: Vec::new(),
            remedy: Vec::new(),
            evidence: Vec::new(),
        }
    }

    pub fn outcome(mut self, pass: &str, eph: &Ephemeral, subject: &str) -> Outcome {
        self.remedy.dedup();
        let remedy = self.remedy.join("\n");
        let note = format!(
            "Network ACLs are stateless: the replies need their own rule, on the instance's ephemeral ports {}.",
            eph.label
        );
        if let Some(out) = self
            .problems
            .outcome(|p| Outcome::fail(format!("{subject} blocks {p}")).remedy(remedy.clone()))
        {
            return out.evidence_all(self.evidence).note(note);
        }
        if !self.partly.is_empty() {
            return Outcome::warn(format!(
                "{subject} closes part of the ephemeral range 1024-65535, and the instance's platform is not known: {}",
                self.partly.join("; ")
            ))
            .evidence_all(self.evidence)
            .note("Linux uses 32768-61000 and Windows 49152-65535 (AWS \"Ephemeral ports\"): with the platform known, this is a pass or a failure.")
            .remedy(remedy);
        }
        Outcome::pass(pass).evidence_all(self.evidence)
    }
}
