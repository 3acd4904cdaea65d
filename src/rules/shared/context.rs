//! What a rule sees: the facts and the options, and the basic questions every kind of rule asks of them. The
//! questions of one family live beside it (`agent_role`, `needs`, `paths`).

use crate::facts::{Facts, PrefixList, SecurityGroup};
use crate::network::path::{analyse, Analysis};
use crate::options::Options;
use crate::rules::outcome::Outcome;
use crate::version::Version4;

pub struct Check<'a> {
    pub facts: &'a Facts,
    pub options: &'a Options,
}

impl<'a> Check<'a> {
    pub fn new(facts: &'a Facts, options: &'a Options) -> Self {
        Check { facts, options }
    }

    /// The path analysis, or why a network rule cannot look (hybrid nodes have no VPC).
    pub fn analysis(&self) -> Result<Analysis<'a>, Outcome> {
        if self.facts.is_hybrid() {
            return Err(Outcome::skip(
                "hybrid managed node: its network is not in AWS",
            ));
        }
        let a = analyse(self.facts)?;
        // Every network rule evaluates IPv4 paths; for an IPv6-only instance none of them may pass by default.
        if a.instance.private_ip.is_none() {
            return Err(Outcome::unknown(
                "the instance has no private IPv4 address: IPv6-only paths are not evaluated by this version",
            ));
        }
        Ok(a)
    }

    /// The security groups with these ids; one missing from the facts makes the rule Unknown.
    pub fn groups(&self, ids: &[String]) -> Result<Vec<&'a SecurityGroup>, Outcome> {
        let all = self.facts.security_groups.need("the security groups")?;
        ids.iter()
            .map(|id| {
                all.iter().find(|g| &g.group_id == id).ok_or_else(|| {
                    Outcome::unknown(format!("security group {id} is not in the facts"))
                })
            })
            .collect()
    }

    /// Prefix lists that security group rules may name.
    pub fn prefix_lists(&self) -> Option<&'a [PrefixList]> {
        self.facts.prefix_lists.value().map(Vec::as_slice)
    }

    /// The registered agent's version, when Systems Manager reports one.
    pub fn agent_version(&self) -> Option<Version4> {
        self.facts
            .registration
            .value()?
            .agent_version
            .as_deref()?
            .parse()
            .ok()
    }

    /// The account that owns the target: from the facts, else the caller's, else `*`.
    pub fn account(&self) -> String {
        self.facts.account()
    }
}
