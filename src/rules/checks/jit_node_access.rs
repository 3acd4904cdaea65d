//! `jit-node-access`: Just-in-time node access lets this session through (`rules/jit-node-access.toml`).

use crate::caller::{document_arn, Principal, PrincipalKind};
use crate::facts::{Decision, Scenario};
use crate::options::Mode;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::deny_layers::explain;
use crate::rules::shared::jit::{
    in_use, request_command, request_decision, KEY_TAG, REQUEST_ACTION, TOKEN_ACTION,
    TOKEN_SESSION_POLICY, TOKEN_SESSION_POLICY_VERSION,
};
use crate::rules::shared::permissions::{find, line, permissions};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    if let Some(skip) = not_jit_case(c) {
        return Ok(skip);
    }
    let instance = c.facts.target_arn();
    let document = document_arn(c.facts, &c.account(), c.options.mode);
    let policies = c
        .facts
        .approval_policies
        .need("the region's just-in-time approval policies")?;
    let Some(policies) = in_use(c).filter(|_| !policies.is_empty()) else {
        return Ok(Outcome::skip(
            "no just-in-time approval policy in the region: just-in-time node access is not set up here",
        ));
    };
    let names: Vec<String> = policies
        .iter()
        .map(|p| format!("{} ({})", p.name, p.document_type))
        .collect();
    let evidence = format!("approval policies: {}", names.join(", "));
    if c.options.mode != Mode::Shell {
        return Ok(Outcome::fail(format!(
            "just-in-time node access is set up in this region and ssm:StartSession is not yours: its access token allows {} only on the shell document, so {} is refused even with an approved request",
            "ssm:StartSession",
            c.options.mode.noun()
        ))
        .evidence(evidence)
        .note(token_policy_note())
        .remedy(format!(
            "Ask for a shell session instead (--mode shell) through an access request:\n{}\n\
             or have an administrator allow ssm:StartSession on {instance} and {document} for you outside just-in-time access.",
            request_command(c)
        )));
    }
    if let Some(out) = key_tag(c)? {
        return Ok(out.evidence(evidence));
    }
    let request = match request_right(c) {
        Request::Refused(out) => return Ok(out.evidence(evidence).note(token_policy_note())),
        Request::Allowed(line) => Some(line),
        Request::Unseen => None,
    };
    let out = Outcome::fail(format!(
        "just-in-time node access is set up in this region: ssm:StartSession is not yours to call, sessions to {} start from an approved access request",
        c.facts.target.id
    ))
    .evidence(evidence)
    .evidence_all(request.clone());
    let out = match request {
        Some(_) => out,
        None => out.note(format!(
            "Whether you may request access ({REQUEST_ACTION} on {instance}) could not be seen: the request itself will tell."
        )),
    };
    let out = match assumed_role_note(c) {
        Some(note) => out.note(note),
        None => out,
    };
    Ok(out
        .note(token_policy_note())
        .note("Once approved, AWS's \"Start a just-in-time node access session\" page connects from the console (Explore nodes, Connect) or from the AWS CLI with the Session Manager plugin; the approved session runs on the access token's credentials (ssm:GetAccessToken), which ssm-check does not see.")
        .remedy(format!(
            "Request access (an approval policy decides it), then connect once approved:\n{}",
            request_command(c)
        )))
}

/// Just-in-time node access takes only credentials from `sts:AssumeRole` (AWS "Setting up just-in-time access
/// with Systems Manager", authentication support): an IAM user's own keys, the root user's or a federation
/// token's do not request access.
fn assumed_role_note(c: &Check) -> Option<String> {
    let caller = c.facts.caller.value()?;
    let principal = Principal::from_caller_arn(&caller.arn)?;
    match principal.kind {
        PrincipalKind::AssumedRole { .. } => None,
        _ => Some(format!(
            "Just-in-time node access takes only AssumeRole credentials (AWS, \"Setting up just-in-time access\"): {} is not an assumed role, so request access through a role you assume (a profile with role_arn, or IAM Identity Center).",
            caller.arn
        )),
    }
}

/// Whether the caller may request access to the node: `ssm:StartAccessRequest` on it.
enum Request {
    Allowed(String),
    Refused(Outcome),
    Unseen,
}

fn request_right(c: &Check) -> Request {
    let instance = c.facts.target_arn();
    let Some(k) = request_decision(c) else {
        return Request::Unseen;
    };
    let how = match k.decision {
        Decision::Allowed => return Request::Allowed(line(&k)),
        Decision::Unknown => return Request::Unseen,
        Decision::ExplicitDeny => "explicitly denied",
        Decision::ImplicitDeny => "not allowed",
    };
    let principal = c
        .facts
        .caller
        .value()
        .and_then(|k| Principal::from_caller_arn(&k.arn))
        .map_or_else(|| "you".to_string(), |p| p.policy_arn);
    let refused = |by: String| {
        Outcome::fail(format!(
            "just-in-time node access is set up in this region and ssm:StartSession is not yours, but you may not request access either: {REQUEST_ACTION} on {} is {by}",
            c.facts.target.id
        ))
        .evidence(line(&k))
    };
    Request::Refused(match explain(c, &principal, &k) {
        Some(layered) => refused(format!("denied by {}", layered.by))
            .note(layered.note)
            .remedy(layered.remedy),
        None => refused(how.to_string()).remedy(format!(
            "Have an administrator give you the policy for users who request access on AWS's \"Setting up just-in-time access\" page: {REQUEST_ACTION} and {TOKEN_ACTION} on \"*\", ssm:CreateOpsItem and ssm:GetOpsItem on opsitem/*, and, for manual approvals, ssm:StartAutomationExecution on ManualApprovalPolicy documents; or ssm:StartSession on {instance} outside just-in-time access. Then:\n{}",
            request_command(c)
        )),
    })
}

/// Why just-in-time access is not the question here, if it is not: StartSession is not seen, allowed, explicitly
/// denied, or denied by a layer a request does not lift. Only an implicit denial is JIT's case: an allowed
/// StartSession starts sessions directly (AWS: users who keep it "will continue to use Session Manager").
fn not_jit_case(c: &Check) -> Option<Outcome> {
    let Ok(perms) = permissions(c) else {
        return Some(Outcome::skip(
            "whether ssm:StartSession is yours could not be seen (caller-start-session): just-in-time access matters only when it is not",
        ));
    };
    let instance = c.facts.target_arn();
    let document = document_arn(c.facts, &c.account(), c.options.mode);
    // The document counts for a named document (SSH, port forwarding); a plain shell is decided on the instance.
    let checks: Vec<_> = [&instance, &document]
        .iter()
        .take(if c.options.mode == Mode::Shell { 1 } else { 2 })
        .map(|r| find(&perms, "ssm:StartSession", Some(r), Scenario::Current))
        .collect();
    // A denial whose layer is known (an SCP, the boundary) is that layer's to lift (caller-start-session).
    if let Some(d) = checks.iter().flatten().find_map(|k| k.denied_by.as_ref()) {
        let layer = serde_json::to_value(d.layer).ok();
        return Some(Outcome::skip(format!(
            "ssm:StartSession is denied by the {} layer: caller-start-session names its fix, which an access request is not",
            layer.as_ref().and_then(|v| v.as_str()).unwrap_or("known")
        )));
    }
    let decisions: Vec<Option<Decision>> = checks.iter().map(|k| k.map(|k| k.decision)).collect();
    if decisions.contains(&Some(Decision::ExplicitDeny)) {
        return Some(Outcome::skip(
            "ssm:StartSession is explicitly denied: an access request does not lift an explicit deny (caller-start-session)",
        ));
    }
    if !decisions.contains(&Some(Decision::ImplicitDeny)) {
        return Some(Outcome::skip(
            "ssm:StartSession is not denied to you (caller-start-session): sessions start directly, not through just-in-time access",
        ));
    }
    None
}

fn token_policy_note() -> String {
    format!(
        "The session runs with the access token's session policy {TOKEN_SESSION_POLICY} ({TOKEN_SESSION_POLICY_VERSION}): ssm:StartSession only on SSM-SessionManagerRunShell (AWS-StartPortForwardingSession only when called through ssm-guiconnect, Fleet Manager's RDP), and kms:GenerateDataKey only on keys tagged {KEY_TAG}=true."
    )
}

/// The session key must carry the tag the token's session policy tests; `None` when it does, or when sessions are
/// not encrypted.
fn key_tag(c: &Check) -> Result<Option<Outcome>, Outcome> {
    let Some(requested) = c
        .facts
        .session_preferences
        .value()
        .and_then(|p| p.kms_key_id.clone())
    else {
        return Ok(None);
    };
    let key = c.facts.session_key.need("the session's KMS key")?;
    let tags = key.tags.need("the session key's tags")?;
    if tags.get(KEY_TAG).is_some_and(|v| v == "true") {
        return Ok(None);
    }
    Ok(Some(
        Outcome::fail(format!(
            "sessions are encrypted with {}, which lacks the tag {KEY_TAG}=true: the just-in-time access token may not call kms:GenerateDataKey on it",
            if requested == key.arn { key.arn.clone() } else { format!("{requested} ({})", key.arn) }
        ))
        .note(token_policy_note())
        .remedy(format!(
            "Tag the key (the key's administrators), then request access:\naws kms tag-resource --key-id {} --tags TagKey={KEY_TAG},TagValue=true\n{}",
            key.arn,
            request_command(c)
        )),
    ))
}
