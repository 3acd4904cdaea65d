//! A role's documents as the agent meets them: what its identity policies and boundary let it do, and whether
//! its trust policy lets a service assume it. Shared by the check context (which role the agent ends up using)
//! and the role rules (what that role may do).

use crate::facts::{Facts, Role};
use crate::policy::{evaluate_identity, evaluate_trust, Context, Evaluation, Policy, Request};
use crate::rules::outcome::Outcome;

/// The role's identity policies and boundary, parsed; a document that does not parse is reported as Unknown.
pub struct RolePolicies {
    identity: Vec<(String, Policy)>,
    boundary: Option<(String, Policy)>,
}

impl RolePolicies {
    pub fn of(role: &Role) -> Result<RolePolicies, Outcome> {
        let parse = |name: &str, doc: &serde_json::Value| {
            Policy::parse(doc).map_err(|e| {
                Outcome::unknown(format!(
                    "cannot read policy {name} of role {}: {e}",
                    role.name
                ))
            })
        };
        let mut identity = Vec::new();
        for p in &role.attached_policies {
            identity.push((p.name.clone(), parse(&p.name, &p.document)?));
        }
        for p in &role.inline_policies {
            let name = format!("inline policy {}", p.name);
            identity.push((name.clone(), parse(&name, &p.document)?));
        }
        let boundary = match &role.permissions_boundary {
            Some(b) => Some((b.name.clone(), parse(&b.name, &b.document)?)),
            None => None,
        };
        Ok(RolePolicies { identity, boundary })
    }

    pub fn decide(&self, action: &str, resource: &str, ctx: &Context) -> Evaluation {
        let identity: Vec<(&str, &Policy)> =
            self.identity.iter().map(|(n, p)| (n.as_str(), p)).collect();
        let boundary = self.boundary.as_ref().map(|(n, p)| (n.as_str(), p));
        evaluate_identity(
            &identity,
            boundary,
            &Request {
                action,
                resource,
                context: ctx,
            },
        )
    }
}

/// The context of the agent's own calls: only the instance it runs on is known (`ec2:SourceInstanceARN`).
pub fn agent_context(facts: &Facts) -> Context {
    let instance = facts.target_arn();
    Context::open([("ec2:SourceInstanceARN", instance.as_str())])
}

/// The resource an agent action is evaluated on: the instance for `ssm:` calls, `*` for the message services.
pub fn agent_resource(facts: &Facts, action: &str) -> String {
    if action.starts_with("ssm:") {
        facts.target_arn()
    } else {
        "*".to_string()
    }
}

/// May `service` assume the role? The service's request context is not ours to know: conditions on it stay
/// Unknown.
pub fn trusts(role: &Role, service: &str) -> Result<Evaluation, Outcome> {
    let policy = Policy::parse(&role.trust_policy).map_err(|e| {
        Outcome::unknown(format!(
            "cannot read the trust policy of {}: {e}",
            role.name
        ))
    })?;
    Ok(evaluate_trust(
        &policy,
        "trust policy",
        "sts:AssumeRole",
        ("Service", service),
        &Context::open::<&str>([]),
    ))
}

/// The role's documents could not decide some actions (an unsupported condition, an unknown key).
pub fn undecided(role: &Role, unknown: &[String], evidence: Vec<String>) -> Outcome {
    Outcome::unknown(format!(
        "cannot tell whether role {} allows {}",
        role.name,
        unknown.join(", ")
    ))
    .evidence_all(evidence)
}
