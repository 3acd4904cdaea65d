//! The caller's permissions as the caller rules read them: simulated by IAM when the facts have it, else
//! evaluated locally from the caller's own documents; every finding says which, and what that cannot see.

use super::context::Check;
use crate::caller::evaluate_locally;
use crate::facts::{CallerPermissions, Decision, PermissionCheck, Scenario};
use crate::rules::outcome::Outcome;
use std::borrow::Cow;

/// The decisions, simulated or evaluated locally; Unknown naming both ways of seeing them when neither works.
pub fn permissions<'a>(c: &Check<'a>) -> Result<Cow<'a, CallerPermissions>, Outcome> {
    let reason = match c.facts.caller_permissions.get_ref() {
        Ok(p) => return Ok(Cow::Borrowed(p)),
        Err(reason) => reason,
    };
    match evaluate_locally(c.facts) {
        Ok(p) => Ok(Cow::Owned(p)),
        Err(local) => {
            let mut out = Outcome::missing("the caller's permissions", reason);
            if let Some(action) = local.reason.missing_action() {
                out = out.needs(action);
            }
            Err(out)
        }
    }
}

pub fn find<'a>(
    perms: &'a CallerPermissions,
    action: &str,
    resource: Option<&str>,
    scenario: Scenario,
) -> Option<&'a PermissionCheck> {
    perms.checks.iter().find(|k| {
        k.scenario == scenario
            && k.principal_arn.is_none()
            && k.action.eq_ignore_ascii_case(action)
            && resource.is_none_or(|r| k.resource == r)
    })
}

pub fn line(k: &PermissionCheck) -> String {
    let decision = match k.decision {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny => "explicit deny",
        Decision::ImplicitDeny => "implicit deny",
        Decision::Unknown => "unknown",
    };
    let by = if k.matched_statements.is_empty() {
        String::new()
    } else {
        format!(" by {}", k.matched_statements.join(", "))
    };
    let why = k
        .why
        .as_deref()
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    format!("{} on {}: {decision}{by}{why}", k.action, k.resource)
}

pub fn not_evaluated(action: &str, resource: &str) -> Outcome {
    Outcome::unknown(format!(
        "no evaluation of {action} on {resource} in the facts"
    ))
    .needs("iam:SimulatePrincipalPolicy")
}

pub fn with_limits(mut out: Outcome, perms: &CallerPermissions) -> Outcome {
    out = out.evidence(format!(
        "evaluated by {} for {}",
        method(&perms.method),
        perms.principal_arn
    ));
    for l in &perms.limitations {
        out = out.note(l.clone());
    }
    out
}

/// One action on the caller's own sessions: the same decision for every form a session id may take, or Unknown
/// when the forms disagree.
pub fn on_own_sessions<'p>(
    perms: &'p CallerPermissions,
    action: &str,
) -> Result<(Decision, Vec<&'p PermissionCheck>), Outcome> {
    let checks: Vec<&PermissionCheck> = perms
        .checks
        .iter()
        .filter(|k| {
            k.scenario == Scenario::Current
                && k.principal_arn.is_none()
                && k.action.eq_ignore_ascii_case(action)
        })
        .collect();
    let Some(first) = checks.first() else {
        return Err(not_evaluated(action, "your sessions"));
    };
    // Different answers for the two forms of session id: which one AWS uses decides, and that is not known.
    let decision = if checks.iter().all(|k| k.decision == first.decision) {
        first.decision
    } else {
        Decision::Unknown
    };
    Ok((decision, checks))
}

pub const SESSION_ID_FORMS: &str = "AWS documents session ids as `<user name>-<id>` (for a role, `<session name>-<id>`), while its current example policies match `session/${aws:userid}-*`: your policies allow one form and not the other.";

/// The resource or condition that matches the caller's own sessions: the user name for IAM users; for roles and
/// federated users, AWS's method with the session-id tag (a session ARN never carries `${aws:userid}` for them).
pub fn own_sessions_statement(c: &Check, actions: &str) -> String {
    let is_user = c
        .facts
        .caller
        .value()
        .is_some_and(|k| k.arn.contains(":user/"));
    if is_user {
        format!("{{\"Effect\":\"Allow\",\"Action\":{actions},\"Resource\":\"arn:{}:ssm:*:*:session/${{aws:username}}-*\"}}", c.facts.partition().name)
    } else {
        format!("{{\"Effect\":\"Allow\",\"Action\":{actions},\"Resource\":\"*\",\"Condition\":{{\"StringLike\":{{\"ssm:resourceTag/aws:ssmmessages:session-id\":[\"${{aws:userid}}*\"]}}}}}}")
    }
}

/// How the decisions were reached, in words.
fn method(method: &str) -> &str {
    match method {
        "simulate_principal_policy" => "IAM's policy simulator (iam:SimulatePrincipalPolicy)",
        "local_evaluation" => "reading your own policies (IAM's simulator was not allowed)",
        other => other,
    }
}
