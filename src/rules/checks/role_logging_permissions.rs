//! `role-logging-permissions`: The role allows the session logging and encryption that are turned on (`rules/role-logging-permissions.toml`).

use crate::facts::Facts;
use crate::policy::{Context, Evaluation};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::AgentRole;
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
    let _ = c;
    let role = in_use.role();
    let policies = RolePolicies::of(role)?;
    let ctx = Context::open::<&str>([]);
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for (action, resource, why) in needs {
        match policies.decide(action, resource, &ctx) {
            Evaluation::Allowed { by } => {
                evidence.push(format!("{action} on {resource}: allowed by {by}"))
            }
            Evaluation::Unknown { why: w } => unknown.push(format!("{action} ({w})")),
            _ => missing.push(format!("{action} on {resource} ({why})")),
        }
    }
    if !missing.is_empty() {
        return Ok(Outcome::fail(format!("role {} lacks what session logging/encryption needs: {}", role.name, missing.join("; ")))
            .evidence_all(evidence)
            .note("AmazonSSMManagedInstanceCore grants none of these.")
            .remedy(format!(
                "Add an inline policy to {} that allows the actions above on those resources (in policy.json):\n\
                 aws iam put-role-policy --role-name {} --policy-name SessionManagerLogging --policy-document file://policy.json",
                role.name, role.name
            )));
    }
    if !unknown.is_empty() {
        return Ok(undecided(role, &unknown, evidence));
    }
    Ok(Outcome::pass(format!(
        "role {} allows the logging and encryption the preferences turn on",
        role.name
    ))
    .evidence_all(evidence))
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
        let arn = crate::caller::kms_key_arn(facts, key, &account);
        needs.push(("kms:Decrypt".into(), arn, "KMS session encryption"));
    }
    needs
}
