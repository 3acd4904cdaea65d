//! `role-trust`: The role trusts the right service (`rules/role-trust.toml`).

use crate::facts::Role;
use crate::policy::Evaluation;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::AgentRole;
use crate::rules::shared::role_policies::trusts;
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    c.per_role(|in_use| trust_of(c, in_use))
}

fn trust_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
    let (decision, service) = match in_use {
        AgentRole::Profile(_) => (c.trusted_by_ec2(role)?, c.facts.partition().ec2_principal()),
        _ => (trusts(role, DHMC_SERVICE)?, DHMC_SERVICE),
    };
    Ok(match decision {
        Evaluation::Allowed { by } => {
            Outcome::pass(format!("{} ({}) trusts {service}", role.name, in_use.via()))
                .evidence(format!("{by} allows sts:AssumeRole by {service}"))
        }
        Evaluation::Unknown { why } => Outcome::unknown(format!(
            "cannot tell whether {} trusts {service}: {why}",
            role.name
        )),
        Evaluation::ExplicitDeny { by } => untrusted(role, service, &format!("{by} denies it")),
        Evaluation::ImplicitDeny { why } => untrusted(role, service, &why),
    })
}

/// The service DHMC's role must trust.
const DHMC_SERVICE: &str = "ssm.amazonaws.com";

fn untrusted(role: &Role, service: &str, why: &str) -> Outcome {
    Outcome::fail(format!("{} does not let {service} assume it ({why})", role.name))
        .evidence(format!("trust policy of {}: {}", role.arn, role.trust_policy))
        .remedy(format!(
            "Let {service} assume the role:\naws iam update-assume-role-policy --role-name {} --policy-document \
             '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{service}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'",
            role.name
        ))
}
