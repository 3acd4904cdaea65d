//! The caller's permissions as the caller rules read them: simulated by IAM when the facts have it, else
//! evaluated locally from the caller's own documents; every finding says which, and what that cannot see.

use super::context::Check;
use crate::caller::{evaluate_locally, Principal, PrincipalKind};
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

/// Whose name begins the caller's session ids, when the evidence is clear: an IAM user's name (AWS "Control session
/// access": `JohnDoe-1a2b3c4d5eEXAMPLE`), an assumed role's (and Identity Center's) role session name (what the
/// console shows, amazon-ssm-agent#534; re:Post "Policy variable for IAM Identity Center user"). `None` for a
/// federated user or the root user, for whom no source says.
pub fn session_owner(c: &Check) -> Option<(String, &'static str)> {
    let caller = c.facts.caller.value()?;
    let p = Principal::from_caller_arn(&caller.arn)?;
    match &p.kind {
        PrincipalKind::User => Some((p.name, "an IAM user's session ids begin with its user name")),
        PrincipalKind::AssumedRole { session } => Some((
            session.clone(),
            "an assumed role's session ids begin with the role session name",
        )),
        PrincipalKind::Root | PrincipalKind::FederatedUser => None,
    }
}

/// One action on the caller's own sessions: the decision on the session id the caller's sessions get
/// (`session_owner`); where that is not clear, the same decision for every form a session id may take, or
/// Unknown when the forms disagree.
pub fn on_own_sessions<'p>(
    perms: &'p CallerPermissions,
    action: &str,
    owner: Option<&str>,
) -> Result<(Decision, Vec<&'p PermissionCheck>), Outcome> {
    let all: Vec<&PermissionCheck> = perms
        .checks
        .iter()
        .filter(|k| {
            k.scenario == Scenario::Current
                && k.principal_arn.is_none()
                && k.action.eq_ignore_ascii_case(action)
        })
        .collect();
    let mine: Vec<&PermissionCheck> = match owner {
        Some(o) => all
            .iter()
            .copied()
            .filter(|k| k.resource.contains(&format!(":session/{o}-")))
            .collect(),
        None => Vec::new(),
    };
    let checks = if mine.is_empty() { all } else { mine };
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

pub const SESSION_ID_FORMS: &str = "No source says which name begins a federated user's (or the root user's) session ids: probably the federated user's name (inference), while AWS's pages point federated callers to ${aws:userid} and the session-id tag. Your policies allow one form and not the other.";

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
