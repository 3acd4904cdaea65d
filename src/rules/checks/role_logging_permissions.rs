//! `role-logging-permissions`: The role allows the session logging and encryption that are turned on (`rules/role-logging-permissions.toml`).

use crate::facts::{Decision, Facts, Role};
use crate::policy::{Context, Evaluation};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::AgentRole;
use crate::rules::shared::kms;
use crate::rules::shared::role_policies::{undecided, RolePolicies};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    c.shell_only()?;
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let needs = logging_needs(c.facts);
    if needs.is_empty() {
        return Ok(Outcome::skip(if prefs.document_exists {
            "the session preferences turn on no S3 or CloudWatch logging and no KMS encryption"
        } else {
            "no session preferences saved in this region: no logging or KMS encryption"
        }));
    }
    c.per_role(|in_use| logging_permissions_of(c, in_use, &needs))
}

fn logging_permissions_of(
    c: &Check,
    in_use: &AgentRole,
    needs: &[(String, String, &'static str)],
) -> Verdict {
    let role = in_use.role();
    let policies = RolePolicies::of(role)?;
    let ctx = Context::open::<&str>([]);
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    let mut reveal: Vec<String> = Vec::new();
    let mut key_policy_fix = false;
    for (action, resource, why) in needs {
        if action == "kms:Decrypt" {
            match key_decrypt(c, role, &policies) {
                Ok(KeyUse::Allowed(line)) | Ok(KeyUse::Elsewhere(line)) => evidence.push(line),
                Ok(KeyUse::Refused(line, in_key_policy)) => {
                    key_policy_fix |= in_key_policy;
                    missing.push(line)
                }
                Ok(KeyUse::Undecided(line)) => unknown.push(line),
                Err(out) => {
                    unknown.push(format!("kms:Decrypt ({})", out.message));
                    reveal.extend(out.needs);
                }
            }
            continue;
        }
        match policies.decide(action, resource, &ctx) {
            Evaluation::Allowed { by } => {
                evidence.push(format!("{action} on {resource}: allowed by {by}"))
            }
            Evaluation::Unknown { why: w } => unknown.push(format!("{action} ({w})")),
            _ => missing.push(format!("{action} on {resource} ({why})")),
        }
    }
    if !missing.is_empty() {
        return Ok(lacking(c, role, &missing, evidence, key_policy_fix));
    }
    if !unknown.is_empty() {
        return Ok(reveal
            .into_iter()
            .fold(undecided(role, &unknown, evidence), Outcome::needs));
    }
    Ok(Outcome::pass(format!(
        "role {} allows the logging and encryption the preferences turn on",
        role.name
    ))
    .evidence_all(evidence))
}

/// The role lacks `missing`; when the session key's policy is the only thing in the way, the fix is the key
/// administrators', not an inline policy.
fn lacking(
    c: &Check,
    role: &Role,
    missing: &[String],
    evidence: Vec<String>,
    key_policy_fix: bool,
) -> Outcome {
    let out = Outcome::fail(format!(
        "role {} lacks what session logging/encryption needs: {}",
        role.name,
        missing.join("; ")
    ))
    .evidence_all(evidence);
    let key = c.facts.session_key.value().filter(|_| key_policy_fix);
    let inline = format!(
        "Add an inline policy to {} that allows the actions above on those resources (in policy.json):\n\
         aws iam put-role-policy --role-name {} --policy-name SessionManagerLogging --policy-document file://policy.json",
        role.name, role.name
    );
    let Some(key) = key else {
        let out = out.note("AmazonSSMManagedInstanceCore grants none of these.");
        let requested = c
            .facts
            .session_preferences
            .value()
            .and_then(|p| p.kms_key_id.as_deref());
        let alias = match (requested, c.facts.session_key.value()) {
            (Some(r), Some(k)) if missing.iter().any(|m| m.starts_with("kms:")) => {
                kms::alias_note(r, k)
            }
            _ => None,
        };
        return alias.into_iter().fold(out, Outcome::note).remedy(inline);
    };
    let key_fix = format!(
        "Have the key's administrators (account {}) allow {} kms:Decrypt in the key policy of {}, or delegate to IAM \
         with the account principal (aws kms put-key-policy --key-id {} --policy-name default --policy file://key-policy.json).",
        key.account, role.arn, key.arn, key.arn
    );
    if missing.len() == 1 {
        return out.remedy(key_fix);
    }
    out.note("AmazonSSMManagedInstanceCore grants none of these.")
        .remedy(format!("{key_fix}\n{inline}"))
}

/// What KMS says of the role's `kms:Decrypt` on the session key.
enum KeyUse {
    Allowed(String),
    /// Refused, and whether the key policy is where to fix it.
    Refused(String, bool),
    Undecided(String),
    /// The key itself is unusable: `caller-kms` fails for it.
    Elsewhere(String),
}

/// The role's `kms:Decrypt` on the session key as KMS decides it: its IAM policies against the key's ARN with the
/// encryption context the agent sends, and the key policy (`shared::kms`).
fn key_decrypt(c: &Check, role: &Role, policies: &RolePolicies) -> Result<KeyUse, Outcome> {
    let requested = c
        .facts
        .session_preferences
        .value()
        .and_then(|p| p.kms_key_id.clone())
        .unwrap_or_default();
    let key = match c.facts.session_key.get_ref() {
        Ok(k) => k,
        Err(_) => {
            return Err(kms::session_key(c)
                .err()
                .unwrap_or_else(|| Outcome::unknown("no session key")))
        }
    };
    if let Err(why) = key.usable() {
        return Ok(KeyUse::Elsewhere(format!(
            "kms:Decrypt not evaluated: {why} (caller-kms)"
        )));
    }
    let account = role.arn.split(':').nth(4).unwrap_or_default().to_string();
    let session = format!(
        "arn:{}:sts::{account}:assumed-role/{}/{}",
        c.facts.partition().name,
        role.name,
        c.facts.target.id
    );
    // The agent's encryption context may also hold aws:ssm:RandomChallenge (agent blockcipher.go): its key set is
    // not certain, so kms:EncryptionContextKeys stays unknown.
    let ctx = kms::request_context(c.facts, &role.arn, &account, &requested, false);
    let identity = policies.decide("kms:Decrypt", &key.arn, &ctx);
    let (decision, iam_line) = match &identity {
        Evaluation::Allowed { by } => (Decision::Allowed, format!("allowed by {by}")),
        Evaluation::ExplicitDeny { by } => (Decision::ExplicitDeny, format!("denied by {by}")),
        Evaluation::ImplicitDeny { why } => (Decision::ImplicitDeny, why.clone()),
        Evaluation::Unknown { why } => (Decision::Unknown, why.clone()),
    };
    let user = kms::KeyUser {
        who: format!("role {}", role.name),
        principals: vec![role.arn.clone(), session],
        account,
        context: ctx,
    };
    let answer = kms::decide(key, &user, "kms:Decrypt", (decision, &iam_line))?;
    let text = format!("kms:Decrypt on {}: {}", key.arn, answer.why);
    Ok(match answer.decision {
        Decision::Allowed => KeyUse::Allowed(text),
        Decision::Unknown => KeyUse::Undecided(text),
        _ => KeyUse::Refused(
            format!("{text} (KMS session encryption)"),
            answer.in_key_policy,
        ),
    })
}

/// (action, resource, which setting needs it) for the preferences in force. `s3:GetEncryptionConfiguration` only
/// when S3 encryption is enforced: the agent asks for the bucket's encryption only then (agent `shell.go`).
fn logging_needs(facts: &Facts) -> Vec<(String, String, &'static str)> {
    let Some(prefs) = facts.session_preferences.value() else {
        return Vec::new();
    };
    let region = &facts.target.region;
    let account = facts.account();
    let partition = facts.partition().name;
    let mut needs = Vec::new();
    if let Some(bucket) = &prefs.s3_bucket {
        let prefix = prefs
            .s3_key_prefix
            .as_deref()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .unwrap_or_default();
        needs.push((
            "s3:PutObject".into(),
            format!("arn:{partition}:s3:::{bucket}/{prefix}session.log"),
            "S3 session logging",
        ));
        if prefs.s3_encryption_enabled {
            needs.push((
                "s3:GetEncryptionConfiguration".into(),
                format!("arn:{partition}:s3:::{bucket}"),
                "enforced S3 log encryption",
            ));
        }
    }
    if let Some(group) = &prefs.cloudwatch_log_group {
        let group_arn = format!("arn:{partition}:logs:{region}:{account}:log-group:{group}");
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            needs.push((
                action.into(),
                format!("{group_arn}:log-stream:session"),
                "CloudWatch session logging",
            ));
        }
        needs.push((
            "logs:DescribeLogGroups".into(),
            "*".into(),
            "CloudWatch session logging",
        ));
        needs.push((
            "logs:DescribeLogStreams".into(),
            format!("{group_arn}:*"),
            "CloudWatch session logging",
        ));
    }
    if let Some(key) = &prefs.kms_key_id {
        let arn = crate::caller::session_key_arn(facts, key, &account);
        needs.push(("kms:Decrypt".into(), arn, "KMS session encryption"));
    }
    needs
}
