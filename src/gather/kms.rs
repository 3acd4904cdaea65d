//! The session encryption key (`kms:DescribeKey`, `kms:GetKeyPolicy`, `kms:ListResourceTags`) and the region's
//! just-in-time node access approval policies (`ssm:ListDocuments`).

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::facts::{ApprovalPolicy, Fact, KmsKey, Unavailable};
use aws_sdk_kms::Client;
use aws_sdk_ssm::types::DocumentKeyValuesFilter;
use std::collections::BTreeMap;

/// The SSM document types of just-in-time node access approval policies (SSM `DocumentType`; the service-linked
/// role's policy `AWSSystemsManagerJustInTimeAccessServicePolicy` reads documents of these two types).
pub const APPROVAL_POLICY_TYPES: [&str; 2] = ["AutoApprovalPolicy", "ManualApprovalPolicy"];

/// The key the preferences name, in whatever form (alias name or ARN, key id or ARN), resolved to the key, with
/// its policy and tags; those two are facts of their own, so a denied read hides only them.
pub async fn session_key(
    c: &Client,
    key_id: &str,
    caller_account: &str,
) -> Result<KmsKey, Failure> {
    let out = c
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| classify(&e, "kms:DescribeKey"))?;
    let meta = out.key_metadata().ok_or_else(|| {
        Failure::Fact(Unavailable::Error {
            message: "kms:DescribeKey returned no key metadata".into(),
        })
    })?;
    let arn = meta.arn().unwrap_or_default().to_string();
    let account = meta
        .aws_account_id()
        .map(str::to_string)
        .or_else(|| arn.split(':').nth(4).map(str::to_string))
        .unwrap_or_default();
    let (policy, tags) = tokio::join!(key_policy(c, &arn), tags(c, &arn));
    Ok(KmsKey {
        arn,
        account: account.clone(),
        key_state: meta
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        key_spec: meta
            .key_spec()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        key_usage: meta
            .key_usage()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        key_manager: meta.key_manager().map(|m| m.as_str().to_string()),
        policy: foreign(policy, &account, caller_account),
        tags: foreign(tags, &account, caller_account),
    })
}

/// A denied read of a key in another account: KMS answers GetKeyPolicy and ListResourceTags only to the key's own
/// account, so the denial says so.
fn foreign<T>(fact: Fact<T>, account: &str, caller_account: &str) -> Fact<T> {
    match fact {
        Fact::Unavailable {
            reason: Unavailable::AccessDenied { action, .. },
        } if account != caller_account => Fact::unavailable(Unavailable::AccessDenied {
            action,
            message: Some(format!(
                "the key belongs to account {account}: KMS answers this call only to that account's principals"
            )),
        }),
        other => other,
    }
}

/// A nested fact: what a failed call hides.
fn nested<T>(result: Result<T, Failure>) -> Fact<T> {
    match result {
        Ok(v) => Fact::known(v),
        Err(Failure::Fact(reason)) => Fact::unavailable(reason),
        Err(Failure::Environment(e)) => Fact::unavailable(Unavailable::Error { message: e.0 }),
    }
}

async fn key_policy(c: &Client, arn: &str) -> Fact<serde_json::Value> {
    let result = async {
        let out = c
            .get_key_policy()
            .key_id(arn)
            .policy_name("default")
            .send()
            .await
            .map_err(|e| classify(&e, "kms:GetKeyPolicy"))?;
        let text = out.policy().unwrap_or_default();
        serde_json::from_str(text).map_err(|e| {
            Failure::Fact(Unavailable::Error {
                message: format!("the key policy is not JSON: {e}"),
            })
        })
    };
    nested(result.await)
}

async fn tags(c: &Client, arn: &str) -> Fact<BTreeMap<String, String>> {
    let pages = c.list_resource_tags().key_id(arn).into_paginator();
    let result = all_pages(pages.send(), "kms:ListResourceTags", |p| {
        p.tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect::<Vec<_>>()
    })
    .await;
    nested(result.map(|t| t.into_iter().collect()))
}

/// The region's approval policies: documents of the approval-policy types the account owns.
pub async fn approval_policies(c: &aws_sdk_ssm::Client) -> Result<Vec<ApprovalPolicy>, Failure> {
    let filter = DocumentKeyValuesFilter::builder()
        .key("DocumentType")
        .set_values(Some(APPROVAL_POLICY_TYPES.map(str::to_string).to_vec()))
        .build();
    let pages = c.list_documents().filters(filter).into_paginator();
    let docs = all_pages(pages.send(), "ssm:ListDocuments", |p| {
        p.document_identifiers()
            .iter()
            .filter_map(|d| {
                Some(ApprovalPolicy {
                    name: d.name()?.to_string(),
                    document_type: d.document_type()?.as_str().to_string(),
                })
            })
            .collect::<Vec<_>>()
    })
    .await?;
    // The filter is the service's to apply; keep only what is really an approval policy.
    Ok(docs
        .into_iter()
        .filter(|d| APPROVAL_POLICY_TYPES.contains(&d.document_type.as_str()))
        .collect())
}
