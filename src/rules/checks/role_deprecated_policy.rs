//! `role-deprecated-policy`: The role does not use AmazonEC2RoleforSSM (`rules/role-deprecated-policy.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::AgentRole;
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    c.per_role(|in_use| deprecated_policy_of(c, in_use))
}

fn deprecated_policy_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
    let old = role
        .attached_policies
        .iter()
        .find(|p| p.arn.ends_with("/AmazonEC2RoleforSSM"));
    Ok(match old {
        Some(p) => Outcome::warn(format!(
            "role {} uses the deprecated AmazonEC2RoleforSSM, which grants far more than the agent needs (every S3 bucket, for one)",
            role.name
        ))
        .evidence(format!("attached: {}", p.arn))
        .remedy(format!(
            "Replace it with AmazonSSMManagedInstanceCore:\n\
             aws iam attach-role-policy --role-name {0} --policy-arn {2}\n\
             aws iam detach-role-policy --role-name {0} --policy-arn {1}",
            role.name,
            p.arn,
            c.facts
                .partition()
                .managed_policy("AmazonSSMManagedInstanceCore")
        )),
        None => Outcome::pass(format!("role {} does not use AmazonEC2RoleforSSM", role.name)),
    })
}
