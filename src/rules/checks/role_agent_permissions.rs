//! `role-agent-permissions`: The role allows what the agent calls (`rules/role-agent-permissions.toml`).

use crate::policy::Evaluation;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_calls;
use crate::rules::shared::agent_role::AgentRole;
use crate::rules::shared::findings::by_reason;
use crate::rules::shared::needs::Need;
use crate::rules::shared::role_policies::{agent_context, agent_resource, undecided, RolePolicies};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    c.per_role(|in_use| agent_permissions_of(c, in_use))
}

fn agent_permissions_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
    let policies = RolePolicies::of(role)?;
    let ctx = agent_context(c.facts);
    let via = in_use.via();

    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = Vec::new();
    for service in ["ssm", "ssmmessages"] {
        for action in agent_calls::actions(service) {
            match policies.decide(action, &agent_resource(c.facts, action), &ctx) {
                Evaluation::Allowed { by } => evidence.push(format!("{action}: allowed by {by}")),
                Evaluation::ExplicitDeny { by } => {
                    denied.push((*action, format!("explicitly denied by {by}")))
                }
                Evaluation::ImplicitDeny { why } => denied.push((*action, why)),
                Evaluation::Unknown { why } => unknown.push(format!("{action} ({why})")),
            }
        }
    }
    let missing_ec2messages: Vec<&str> = agent_calls::actions("ec2messages")
        .iter()
        .copied()
        .filter(|a| !policies.decide(a, "*", &ctx).is_allowed())
        .collect();
    let attach = format!(
        "aws iam attach-role-policy --role-name {} --policy-arn {}",
        role.name,
        c.facts
            .partition()
            .managed_policy("AmazonSSMManagedInstanceCore")
    );
    if !denied.is_empty() {
        return Ok(Outcome::fail(format!(
            "role {} ({via}) does not allow what the agent needs: {}",
            role.name,
            by_reason(&denied)
        ))
        .evidence_all(evidence)
        .remedy(format!(
            "Attach AmazonSSMManagedInstanceCore (or a policy that allows ssm:UpdateInstanceInformation and the four \
             ssmmessages channel actions), and lift any deny or boundary that blocks them:\n{attach}"
        )));
    }
    if !unknown.is_empty() {
        return Ok(undecided(role, &unknown, evidence));
    }
    let allowed = Outcome::pass(format!(
        "role {} ({via}) allows every action the agent needs",
        role.name
    ))
    .evidence_all(evidence);
    if missing_ec2messages.is_empty() {
        return Ok(allowed);
    }
    let missing = missing_ec2messages.join(", ");
    Ok(match c.ec2messages_need() {
        Need::NotNeeded(why) => allowed.note(format!(
            "The role does not allow {missing}: {why}. Run Command on older agents would need them."
        )),
        Need::Required(why) => Outcome::fail(format!(
            "role {} ({via}) does not allow {missing}, and {why} (see agent-version)",
            role.name
        ))
        .evidence_all(allowed.evidence)
        .remedy(format!(
            "Update the agent (see agent-version), or allow the ec2messages actions; AmazonSSMManagedInstanceCore does:\n{attach}"
        )),
        Need::Unknown(why) => Outcome::unknown(format!(
            "role {} ({via}) does not allow {missing}: {why}",
            role.name
        ))
        .evidence_all(allowed.evidence),
    })
}
