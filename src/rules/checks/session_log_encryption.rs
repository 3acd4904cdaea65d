//! `session-log-encryption`: Enforced log encryption is set up (`rules/session-log-encryption.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

/// With log encryption enforced, the agent refuses a shell unless the log group has a KMS key and the bucket has
/// default encryption (`AES256` or `aws:kms`), as it checks them (agent `shell.go`, validate).
pub fn check(c: &Check) -> Verdict {
    c.shell_only()?;
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let cloudwatch = prefs
        .cloudwatch_log_group
        .as_deref()
        .filter(|_| prefs.cloudwatch_encryption_enabled);
    let s3 = prefs
        .s3_bucket
        .as_deref()
        .filter(|_| prefs.s3_encryption_enabled);
    if cloudwatch.is_none() && s3.is_none() {
        return Ok(Outcome::skip(
            "the session preferences enforce no encryption of session logs",
        ));
    }
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let mut needs = Vec::new();
    let mut remedy = Vec::new();
    if let Some(group) = cloudwatch {
        match c.facts.log_group.get_ref() {
            Ok(g) if !g.exists => {
                problems.push(format!(
                    "the log group {group} does not exist, which the agent reads as unencrypted"
                ));
                remedy.push(format!(
                    "aws logs create-log-group --log-group-name {group} --kms-key-id <key-arn>"
                ));
            }
            Ok(g) => match &g.kms_key_id {
                Some(key) => evidence.push(format!("log group {group} is encrypted with {key}")),
                None => {
                    problems.push(format!("the log group {group} has no KMS key"));
                    remedy.push(format!(
                        "aws logs associate-kms-key --log-group-name {group} --kms-key-id <key-arn>  (the key policy must let logs.{}.amazonaws.com use it)",
                        c.facts.target.region
                    ));
                }
            },
            Err(reason) => {
                unknown.push(format!("the log group {group}: {}", reason.describe()));
                needs.extend(reason.missing_action().map(str::to_string));
            }
        }
    }
    if let Some(bucket) = s3 {
        match c.facts.log_bucket_encryption.get_ref() {
            Ok(b) if !b.exists => {
                problems.push(format!(
                    "the bucket {bucket} does not exist, so the agent cannot validate its encryption"
                ));
                remedy.push(format!("aws s3api create-bucket --bucket {bucket}  (new buckets encrypt with AES256 by default)"));
            }
            Ok(b) => match b.algorithm.as_deref() {
                Some(a @ ("AES256" | "aws:kms")) => {
                    evidence.push(format!("bucket {bucket} encrypts by default with {a}"))
                }
                Some(other) => {
                    problems.push(format!(
                        "the bucket {bucket} encrypts with {other}, which the agent does not count (only AES256 and aws:kms)"
                    ));
                    remedy.push(put_bucket_encryption(bucket));
                }
                None => {
                    problems.push(format!("the bucket {bucket} has no default encryption"));
                    remedy.push(put_bucket_encryption(bucket));
                }
            },
            Err(reason) => {
                unknown.push(format!("the bucket {bucket}: {}", reason.describe()));
                needs.extend(reason.missing_action().map(str::to_string));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Outcome::fail(format!(
            "encryption of session logs is enforced, and {}: the agent refuses every shell session",
            problems.join("; ")
        ))
        .evidence_all(evidence)
        .note("The agent says: \"We couldn't start the session because encryption is not set up on the selected CloudWatch Logs log group\" (or Amazon S3 bucket).")
        .remedy(format!("{}\nor stop enforcing encryption in the Session Manager preferences.", remedy.join("\n"))));
    }
    if !unknown.is_empty() {
        let mut out = Outcome::unknown(format!(
            "encryption of session logs is enforced, and what it is checked on could not be seen: {}",
            unknown.join("; ")
        ))
        .evidence_all(evidence);
        for n in needs {
            out = out.needs(n);
        }
        return Ok(out);
    }
    Ok(Outcome::pass("the enforced log encryption is set up").evidence_all(evidence))
}

fn put_bucket_encryption(bucket: &str) -> String {
    format!(
        "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"
    )
}
