//! `caller-kms`: You may use the session encryption key (`rules/caller-kms.toml`).

use crate::caller::Principal;
use crate::facts::{Decision, KmsKey, Scenario};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::deny_layers::explain;
use crate::rules::shared::kms::{
    alias_note, decide, key_line, request_context, session_key, KeyUser,
};
use crate::rules::shared::permissions::{find, line, not_evaluated, permissions, with_limits};
use crate::rules::shared::Check;

const ACTION: &str = "kms:GenerateDataKey";

pub fn check(c: &Check) -> Verdict {
    c.shell_only()?;
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let Some(requested) = &prefs.kms_key_id else {
        return Ok(Outcome::skip("sessions are not KMS-encrypted"));
    };
    let key = session_key(c)?;
    let perms = permissions(c)?;
    let Some(k) = find(&perms, ACTION, Some(&key.arn), Scenario::Current) else {
        return Ok(with_limits(not_evaluated(ACTION, &key.arn), &perms));
    };
    let caller = c.facts.caller.need("who the caller is")?;
    let principal = Principal::from_caller_arn(&caller.arn)
        .ok_or_else(|| Outcome::unknown(format!("cannot read the caller ARN {}", caller.arn)))?;
    let user = KeyUser {
        who: "you".into(),
        principals: vec![caller.arn.clone(), principal.policy_arn.clone()],
        account: principal.account.clone(),
        context: request_context(
            c.facts,
            &principal.policy_arn,
            &principal.account,
            requested,
            true,
        ),
    };
    let iam_line = line(k);
    let answer = match decide(key, &user, ACTION, (k.decision, &iam_line)) {
        Ok(a) => a,
        Err(out) => return Ok(with_limits(out.evidence(iam_line), &perms)),
    };
    let named = named(key, requested);
    let out = match answer.decision {
        Decision::Allowed => Outcome::pass(format!(
            "you may use KMS key {named} for session encryption: {}",
            answer.why
        )),
        Decision::Unknown => Outcome::unknown(format!(
            "cannot tell whether you may use KMS key {named}: {}",
            answer.why
        )),
        _ => match explain(c, &principal.policy_arn, k).filter(|_| !answer.in_key_policy) {
            Some(layered) => Outcome::fail(format!(
                "sessions are encrypted with {named}, and {ACTION} on it is denied by {}",
                layered.by
            ))
            .note(layered.note)
            .remedy(layered.remedy),
            None => refused(&named, key, requested, &principal.policy_arn, &answer),
        },
    };
    Ok(with_limits(
        out.evidence(iam_line).evidence(key_line(key)),
        &perms,
    ))
}

/// The key as the preferences name it, and as KMS resolves it.
fn named(key: &KmsKey, requested: &str) -> String {
    if requested == key.arn {
        key.arn.clone()
    } else {
        format!("{requested} ({})", key.arn)
    }
}

fn refused(
    named: &str,
    key: &KmsKey,
    requested: &str,
    principal: &str,
    answer: &crate::rules::shared::kms::KeyAnswer,
) -> Outcome {
    let out = Outcome::fail(format!(
        "sessions are encrypted with {named}, and KMS will not let you call {ACTION} on it: {}",
        answer.why
    ));
    if answer.in_key_policy {
        return out.remedy(format!(
            "Have the key's administrators (account {}) allow {principal} {ACTION} in the key policy, or delegate to IAM \
             with the account principal (the default key policy's statement \"Enable IAM User Permissions\"):\n\
             aws kms get-key-policy --key-id {} --policy-name default --query Policy --output text\n\
             Save that as key-policy.json with the statement added, then:\n\
             aws kms put-key-policy --key-id {} --policy-name default --policy file://key-policy.json",
            key.account, key.arn, key.arn
        ));
    }
    let out = match alias_note(requested, key) {
        Some(note) if answer.decision != Decision::ExplicitDeny => out.note(note),
        _ => out,
    };
    out.remedy(format!(
        "Allow {ACTION} on the key's ARN {} in your IAM policy (an alias ARN in Resource does not cover the key).",
        key.arn
    ))
}
