//! `endpoint-policy`: The endpoint policies let the agent through (`rules/endpoint-policy.toml`).

use crate::policy::{evaluate_identity, Context, Evaluation, Policy, Request};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_calls;
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{endpoints_in_use, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let ctx = Context::open::<&str>([]);
    let instance_arn = c.facts.target_arn();
    let mut f = Findings::new();
    let mut reset = Vec::new();
    for (leg, e) in &in_use {
        let service = leg.service;
        let Some(doc) = &e.policy else { continue };
        let policy = match Policy::parse(doc) {
            Ok(p) if is_default_policy(&p) => continue,
            Ok(p) => p,
            Err(err) => {
                f.unknown(format!("{}: {err}", e.vpc_endpoint_id));
                continue;
            }
        };
        f.evidence(format!("{} ({service}): {doc}", e.vpc_endpoint_id));
        f.doubt(format!("{} has a non-default policy", e.vpc_endpoint_id));
        reset.push(format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --reset-policy",
            e.vpc_endpoint_id
        ));
        for action in agent_calls::actions(service) {
            let resource = if action.starts_with("ssm:") {
                instance_arn.as_str()
            } else {
                "*"
            };
            match evaluate_identity(
                &[("endpoint policy", &policy)],
                None,
                &Request {
                    action,
                    resource,
                    context: &ctx,
                },
            ) {
                Evaluation::Allowed { .. } => {}
                Evaluation::Unknown { why } => {
                    f.unknown(format!("{} {action}: {why}", e.vpc_endpoint_id))
                }
                Evaluation::ExplicitDeny { by } => f.problem_for(
                    &leg.need,
                    format!("{} denies {action} ({by})", e.vpc_endpoint_id),
                ),
                Evaluation::ImplicitDeny { .. } => f.problem_for(
                    &leg.need,
                    format!("{} does not allow {action}", e.vpc_endpoint_id),
                ),
            }
        }
    }
    let note = "Principals in endpoint policies are not matched: a statement for another principal is read as applying to the agent.";
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!("an endpoint policy blocks the agent: {p}"))
            .remedy(format!("Allow the agent's actions in the endpoint policy, or reset it to the default full-access policy:\n{}", reset.join("\n")))
            .note(note),
        Summary::Unknown(u) => Outcome::unknown(format!("cannot evaluate the endpoint policy: {u}")),
        Summary::Doubts(_) => Outcome::warn("an endpoint in use has a non-default policy; it allows the agent's calls, but review it").note(note),
        Summary::Clear => Outcome::pass("the endpoints in use have the default policy"),
    }))
}

fn is_default_policy(p: &Policy) -> bool {
    p.statements.len() == 1 && {
        let s = &p.statements[0];
        s.allow
            && !s.not_action
            && s.actions == ["*"]
            && s.resources.as_deref() == Some(&["*".to_string()][..])
            && s.condition.is_none()
            && matches!(s.principal, Some(crate::policy::Principal::Any))
    }
}
