//! `session-log-encryption`: Enforced log encryption is set up (`rules/session-log-encryption.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
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
    let mut f = Findings::new();
    if let Some(group) = cloudwatch {
        log_group(c, &mut f, group);
    }
    if let Some(bucket) = s3 {
        log_bucket(c, &mut f, bucket);
    }
    f.remedy("or stop enforcing encryption in the Session Manager preferences.");
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!(
            "encryption of session logs is enforced, and {p}: the agent refuses every shell session"
        ))
        .note("The agent says: \"We couldn't start the session because encryption is not set up on the selected CloudWatch Logs log group\" (or Amazon S3 bucket)."),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(format!(
            "encryption of session logs is enforced, and what it is checked on could not be seen: {u}"
        )),
        Summary::Clear => Outcome::pass("the enforced log encryption is set up"),
    }))
}

/// The agent counts a log group as encrypted when it exists and has a KMS key.
fn log_group(c: &Check, f: &mut Findings, group: &str) {
    match c.facts.log_group.get_ref() {
        Ok(g) if !g.exists => {
            f.problem(format!(
                "the log group {group} does not exist, which the agent reads as unencrypted"
            ));
            f.remedy(format!(
                "aws logs create-log-group --log-group-name {group} --kms-key-id KMS_KEY_ARN"
            ));
        }
        Ok(g) => match &g.kms_key_id {
            Some(key) => f.evidence(format!("log group {group} is encrypted with {key}")),
            None => {
                f.problem(format!("the log group {group} has no KMS key"));
                f.remedy(format!(
                    "Give it a KMS key whose key policy lets logs.{}.amazonaws.com use it:\n\
                     aws logs associate-kms-key --log-group-name {group} --kms-key-id KMS_KEY_ARN",
                    c.facts.target.region
                ));
            }
        },
        Err(reason) => f.unseen(&format!("the log group {group}"), reason),
    }
}

/// The agent counts a bucket as encrypted when its default encryption is AES256 or aws:kms.
fn log_bucket(c: &Check, f: &mut Findings, bucket: &str) {
    match c.facts.log_bucket_encryption.get_ref() {
        Ok(b) if !b.exists => {
            f.problem(format!(
                "the bucket {bucket} does not exist, so the agent cannot validate its encryption"
            ));
            f.remedy("Create it (new buckets encrypt with AES256 by default):");
            f.remedy(format!("aws s3api create-bucket --bucket {bucket}"));
        }
        Ok(b) => match b.algorithm.as_deref() {
            Some(a @ ("AES256" | "aws:kms")) => {
                f.evidence(format!("bucket {bucket} encrypts by default with {a}"))
            }
            Some(other) => {
                f.problem(format!(
                    "the bucket {bucket} encrypts with {other}, which the agent does not count (only AES256 and aws:kms)"
                ));
                f.remedy(put_bucket_encryption(bucket));
            }
            None => {
                f.problem(format!("the bucket {bucket} has no default encryption"));
                f.remedy(put_bucket_encryption(bucket));
            }
        },
        Err(reason) => f.unseen(&format!("the bucket {bucket}"), reason),
    }
}

fn put_bucket_encryption(bucket: &str) -> String {
    format!(
        "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"
    )
}
