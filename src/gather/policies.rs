//! Managed policy documents, each fetched once per run however many roles (and the caller) attach it. The
//! default versions come from one `iam:ListPolicies` in the first round, which spares a GetPolicy per policy;
//! a policy it does not cover (or a denied ListPolicies) falls back to GetPolicy.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::facts::ManagedPolicy;
use aws_sdk_iam::Client;
use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Versions = Shared<BoxFuture<'static, Arc<HashMap<String, String>>>>;
type Document = Shared<BoxFuture<'static, Result<serde_json::Value, Failure>>>;

pub struct Policies {
    c: Client,
    versions: Versions,
    documents: Mutex<HashMap<String, Document>>,
}

/// IAM returns policy documents URL-encoded.
pub fn document(encoded: &str) -> serde_json::Value {
    let text = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text.into_owned()))
}

/// An attached policy's ARN and name.
pub fn arn_and_name(p: &aws_sdk_iam::types::AttachedPolicy) -> (String, String) {
    (
        p.policy_arn().unwrap_or_default().to_string(),
        p.policy_name().unwrap_or_default().to_string(),
    )
}

impl Policies {
    pub fn new(c: Client) -> Policies {
        let list = c.clone();
        Policies {
            c,
            versions: async move { Arc::new(default_versions(&list).await) }
                .boxed()
                .shared(),
            documents: Mutex::new(HashMap::new()),
        }
    }

    /// Starts `iam:ListPolicies` when polled, so that it runs in the first round.
    pub fn prefetch(&self) -> impl std::future::Future<Output = ()> {
        self.versions.clone().map(|_| ())
    }

    /// The managed policy `arn`, under the name it goes by where it is attached.
    pub async fn managed(&self, arn: &str, name: &str) -> Result<ManagedPolicy, Failure> {
        let lookup = self
            .documents
            .lock()
            .expect("not poisoned")
            .entry(arn.to_string())
            .or_insert_with(|| {
                let (c, versions, arn) = (self.c.clone(), self.versions.clone(), arn.to_string());
                async move { default_document(&c, &arn, &*versions.await).await }
                    .boxed()
                    .shared()
            })
            .clone();
        Ok(ManagedPolicy {
            arn: arn.to_string(),
            name: name.to_string(),
            document: lookup.await?,
        })
    }
}

/// Default version ids of every attached policy in the account (`iam:ListPolicies`, OnlyAttached).
async fn default_versions(c: &Client) -> HashMap<String, String> {
    let pages = c
        .list_policies()
        .only_attached(true)
        .scope(aws_sdk_iam::types::PolicyScopeType::All)
        .max_items(1000)
        .into_paginator();
    let versions = all_pages(pages.send(), "iam:ListPolicies", |p| {
        p.policies()
            .iter()
            .filter_map(|p| Some((p.arn()?.to_string(), p.default_version_id()?.to_string())))
            .collect::<Vec<_>>()
    })
    .await;
    // Only a shortcut: without it each policy is looked up with GetPolicy.
    versions.unwrap_or_default().into_iter().collect()
}

async fn default_document(
    c: &Client,
    arn: &str,
    versions: &HashMap<String, String>,
) -> Result<serde_json::Value, Failure> {
    let version = match versions.get(arn) {
        Some(v) => v.clone(),
        None => {
            let policy = c
                .get_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify(&e, "iam:GetPolicy"))?;
            policy
                .policy()
                .and_then(|p| p.default_version_id())
                .unwrap_or("v1")
                .to_string()
        }
    };
    let doc = c
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| classify(&e, "iam:GetPolicyVersion"))?;
    Ok(document(
        doc.policy_version()
            .and_then(|v| v.document())
            .unwrap_or("{}"),
    ))
}
