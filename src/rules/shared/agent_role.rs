//! Which role the agent ends up using: the instance profile's, DHMC's, or DHMC's in place of a profile that
//! cannot serve Systems Manager. The instance and role rules ask it alike.

use super::context::Check;
use super::role_policies::{agent_context, agent_resource, trusts, RolePolicies};
use crate::facts::Role;
use crate::policy::Evaluation;
use crate::rules::outcome::{Outcome, Verdict};
use crate::version::Version4;

/// Why the instance profile cannot serve Systems Manager, in the three cases where the agent then falls back to
/// the DHMC role (amazon-ssm-agent `common/identity/credentialproviders/ec2roleprovider/`: the error codes
/// `EC2RoleRequestError`, `AssumeRoleUnauthorizedAccess` and `AccessDeniedException` from UpdateInstanceInformation).
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileProblem {
    /// The profile holds no role: IMDS has no credentials to give (`EC2RoleRequestError`).
    NoRole,
    /// EC2 may not assume the role (`AssumeRoleUnauthorizedAccess`).
    Untrusted { role: String, why: String },
    /// The role may not call `ssm:UpdateInstanceInformation` (`AccessDeniedException`).
    CannotRegister { role: String, why: String },
}

impl ProfileProblem {
    pub fn describe(&self) -> String {
        match self {
            ProfileProblem::NoRole => "it holds no role".to_string(),
            ProfileProblem::Untrusted { role, why } => {
                format!("its role {role} does not let EC2 assume it ({why})")
            }
            ProfileProblem::CannotRegister { role, why } => {
                format!("its role {role} may not call ssm:UpdateInstanceInformation ({why})")
            }
        }
    }

    /// The first agent that falls back to DHMC for this problem: 3.2.582.0, and 3.2.815.0 for a role that cannot
    /// be assumed (agent release notes).
    pub fn fallback_from(&self) -> Version4 {
        match self {
            ProfileProblem::Untrusted { .. } => Version4::new(3, 2, 815, 0),
            _ => DHMC_MINIMUM,
        }
    }
}

/// Whether the agent falls back to the DHMC role.
enum Fallback<'a> {
    No,
    Yes(&'a Role),
    Maybe(&'a Role),
}

/// The agent version DHMC needs (AWS DHMC page).
pub const DHMC_MINIMUM: Version4 = Version4::new(3, 2, 582, 0);

/// The role the agent ends up using.
pub enum AgentRole<'a> {
    /// The instance profile's role.
    Profile(&'a Role),
    /// No instance profile: Default Host Management Configuration's role.
    Dhmc(&'a Role),
    /// The instance profile cannot serve Systems Manager, so the agent falls back to the DHMC role.
    Fallback {
        problem: ProfileProblem,
        dhmc: &'a Role,
    },
    /// The instance profile cannot serve Systems Manager, and whether the agent falls back to DHMC hangs on its
    /// version, which is not known.
    MaybeFallback {
        problem: ProfileProblem,
        /// The profile's role, when it holds one.
        profile: Option<&'a Role>,
        dhmc: &'a Role,
    },
}

impl<'a> AgentRole<'a> {
    /// The role whose documents decide; for an undecided fallback, DHMC's (see `Check::per_role`).
    pub fn role(&self) -> &'a Role {
        match self {
            AgentRole::Profile(r) | AgentRole::Dhmc(r) => r,
            AgentRole::Fallback { dhmc, .. } | AgentRole::MaybeFallback { dhmc, .. } => dhmc,
        }
    }

    /// Whether DHMC supplies the role (with or without an instance profile).
    pub fn is_dhmc(&self) -> bool {
        !matches!(self, AgentRole::Profile(_))
    }

    /// How the agent comes by the role, for messages.
    pub fn via(&self) -> &'static str {
        match self {
            AgentRole::Profile(_) => "instance profile",
            AgentRole::Dhmc(_) => "DHMC",
            AgentRole::Fallback { .. } | AgentRole::MaybeFallback { .. } => {
                "DHMC, in place of the instance profile"
            }
        }
    }
}

impl<'a> Check<'a> {
    /// The role the agent uses, or the outcome to report when there is none to look at.
    pub fn role_in_use(&self) -> Result<AgentRole<'a>, Outcome> {
        let facts = self.facts;
        let instance = facts.instance.need("the instance")?;
        if instance.instance_profile_arn.is_none() {
            let dhmc = facts.dhmc.need("the DHMC setting")?;
            if dhmc.role_name.is_none() {
                return Err(Outcome::skip(
                    "the instance has no role to check (see instance-role)",
                ));
            }
            return Ok(AgentRole::Dhmc(facts.dhmc_role.need("the DHMC role")?));
        }
        let Some(problem) = self.profile_problem()? else {
            return Ok(AgentRole::Profile(
                facts.role.need("the instance profile's role")?,
            ));
        };
        match self.dhmc_fallback(&problem)? {
            Fallback::Yes(dhmc) => return Ok(AgentRole::Fallback { problem, dhmc }),
            Fallback::Maybe(dhmc) => {
                return Ok(AgentRole::MaybeFallback {
                    profile: facts
                        .role
                        .value()
                        .filter(|_| problem != ProfileProblem::NoRole),
                    problem,
                    dhmc,
                })
            }
            Fallback::No => {}
        }
        match problem {
            ProfileProblem::NoRole => Err(Outcome::skip(
                "the instance profile holds no role (see instance-role)",
            )),
            _ => Ok(AgentRole::Profile(
                facts.role.need("the instance profile's role")?,
            )),
        }
    }

    /// Why the instance profile cannot serve Systems Manager, when it cannot; Unknown when that cannot be told.
    pub fn profile_problem(&self) -> Result<Option<ProfileProblem>, Outcome> {
        let facts = self.facts;
        let profile = facts.instance_profile.need("the instance profile")?;
        if profile.role_names.is_empty() {
            return Ok(Some(ProfileProblem::NoRole));
        }
        let role = facts.role.need("the instance profile's role")?;
        let name = role.name.clone();
        match self.trusted_by_ec2(role)? {
            Evaluation::Allowed { .. } => {}
            Evaluation::Unknown { why } => {
                return Err(Outcome::unknown(format!(
                    "cannot tell whether {name} trusts EC2: {why}"
                )))
            }
            Evaluation::ExplicitDeny { by } => {
                return Ok(Some(ProfileProblem::Untrusted {
                    role: name,
                    why: format!("{by} denies it"),
                }))
            }
            Evaluation::ImplicitDeny { why } => {
                return Ok(Some(ProfileProblem::Untrusted { role: name, why }))
            }
        }
        let register = "ssm:UpdateInstanceInformation";
        let decision = RolePolicies::of(role)?.decide(
            register,
            &agent_resource(facts, register),
            &agent_context(facts),
        );
        match decision {
            Evaluation::Allowed { .. } => Ok(None),
            Evaluation::Unknown { why } => Err(Outcome::unknown(format!(
                "cannot tell whether {name} may call {register}: {why}"
            ))),
            Evaluation::ExplicitDeny { by } => Ok(Some(ProfileProblem::CannotRegister {
                role: name,
                why: format!("{by} denies it"),
            })),
            Evaluation::ImplicitDeny { why } => {
                Ok(Some(ProfileProblem::CannotRegister { role: name, why }))
            }
        }
    }

    /// Does the role trust EC2? In China either spelling of the EC2 principal is accepted.
    pub fn trusted_by_ec2(&self, role: &Role) -> Result<Evaluation, Outcome> {
        let partition = self.facts.partition();
        let first = trusts(role, "ec2.amazonaws.com")?;
        if first.is_allowed() || partition.ec2_principal() == "ec2.amazonaws.com" {
            return Ok(first);
        }
        trusts(role, partition.ec2_principal())
    }

    /// Whether the agent falls back to the DHMC role for `problem`: not when DHMC is off or the agent predates the
    /// fallback, maybe when the agent's version is not known; Unknown when the DHMC setting cannot be seen.
    fn dhmc_fallback(&self, problem: &ProfileProblem) -> Result<Fallback<'a>, Outcome> {
        let dhmc = self.facts.dhmc.need("the DHMC setting")?;
        if dhmc.role_name.is_none() {
            return Ok(Fallback::No);
        }
        let role = || self.facts.dhmc_role.need("the DHMC role");
        Ok(match self.agent_version() {
            Some(v) if v < problem.fallback_from() => Fallback::No,
            Some(_) => Fallback::Yes(role()?),
            None => Fallback::Maybe(role()?),
        })
    }

    /// Runs a role rule on the role the agent uses. When that hangs on the agent's unknown version (a fallback to
    /// DHMC it may or may not make), runs it on both roles: their shared answer, or Unknown when they differ.
    pub fn per_role(&self, rule: impl Fn(&AgentRole<'a>) -> Verdict) -> Verdict {
        let in_use = self.role_in_use()?;
        let AgentRole::MaybeFallback {
            problem,
            profile,
            dhmc,
        } = &in_use
        else {
            return rule(&in_use);
        };
        let run = |r: &AgentRole<'a>| match rule(r) {
            Ok(o) | Err(o) => o,
        };
        let with_dhmc = run(&AgentRole::Fallback {
            problem: problem.clone(),
            dhmc,
        });
        let Some(profile) = profile else {
            // No role in the profile: DHMC's is the only one the agent can have.
            return Ok(with_dhmc);
        };
        let with_profile = run(&AgentRole::Profile(profile));
        if with_profile.status == with_dhmc.status {
            // The answer holds either way: show what both roles showed.
            let mut out = with_dhmc.evidence(format!(
                "whether the agent falls back to DHMC (from {}) is not known, its version is not; the instance profile's role {} gives the same answer: {}",
                problem.fallback_from(),
                profile.name,
                with_profile.message
            ));
            for e in with_profile.evidence {
                if !out.evidence.contains(&e) {
                    out.evidence.push(e);
                }
            }
            return Ok(out);
        }
        Ok(Outcome::unknown(format!(
            "the agent's version is not known, so whether it falls back from the instance profile ({}) to DHMC (from {}) is not known: with the profile's role, {}; with DHMC's, {}",
            problem.describe(),
            problem.fallback_from(),
            with_profile.message,
            with_dhmc.message
        )))
    }
}
