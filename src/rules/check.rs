//! What a rule sees: the facts, the options, and the questions several rules ask of them, answered in one place.

use super::Outcome;
use crate::facts::{Facts, PrefixList, Role, SecurityGroup};
use crate::network::path::{analyse, Analysis};
use crate::options::Options;
use crate::version::Version4;

pub struct Check<'a> {
    pub facts: &'a Facts,
    pub options: &'a Options,
}

/// Where the agent's role comes from.
pub enum RoleInUse<'a> {
    Profile(&'a Role),
    Dhmc(&'a Role),
}

impl<'a> RoleInUse<'a> {
    pub fn role(&self) -> &'a Role {
        match self {
            RoleInUse::Profile(r) | RoleInUse::Dhmc(r) => r,
        }
    }

    /// The service principal that must be trusted: EC2 for instance profiles, SSM for DHMC.
    pub fn trusted_service(&self) -> &'static str {
        match self {
            RoleInUse::Profile(_) => "ec2.amazonaws.com",
            RoleInUse::Dhmc(_) => "ssm.amazonaws.com",
        }
    }

    pub fn via(&self) -> &'static str {
        match self {
            RoleInUse::Profile(_) => "instance profile",
            RoleInUse::Dhmc(_) => "DHMC",
        }
    }
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

    /// The role the agent uses, or the outcome to report when there is none to look at.
    pub fn role_in_use(&self) -> Result<RoleInUse<'a>, Outcome> {
        let facts = self.facts;
        let instance = facts.instance.need("the instance")?;
        if instance.instance_profile_arn.is_some() {
            return Ok(RoleInUse::Profile(
                facts.role.need("the instance profile's role")?,
            ));
        }
        let dhmc = facts.dhmc.need("the DHMC setting")?;
        if dhmc.role_name.is_none() {
            return Err(Outcome::skip(
                "the instance has no role to check (see instance-role)",
            ));
        }
        Ok(RoleInUse::Dhmc(facts.dhmc_role.need("the DHMC role")?))
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
