//! IAM facts about the instance: its instance profile, and a role with every document that decides what it may
//! do (trust policy, attached and inline policies, permissions boundary).

use super::errors::{classify, Failure};
use super::pages::all_pages;
use super::policies::{arn_and_name, document, Policies};
use crate::facts::*;
use aws_sdk_iam::Client;

pub async fn instance_profile(c: &Client, arn: &str) -> Result<InstanceProfile, Failure> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let out = c
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| classify(&e, "iam:GetInstanceProfile"))?;
    let p = out.instance_profile().ok_or_else(|| {
        Failure::Fact(Unavailable::NotFound {
            what: format!("instance profile {name}"),
        })
    })?;
    Ok(InstanceProfile {
        arn: p.arn().to_string(),
        name: p.instance_profile_name().to_string(),
        role_names: p
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect(),
    })
}

/// The role, its trust policy, attached and inline documents and boundary; documents are fetched concurrently.
pub async fn role(c: &Client, name: &str, policies: &Policies) -> Result<Role, Failure> {
    let (r, attached, inline) = tokio::join!(
        get_role(c, name),
        attached_role_policies(c, name),
        role_policy_names(c, name)
    );
    let r = r?;
    let attached = attached?;
    let inline = inline?;
    let boundary_arn = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    let attached_docs =
        futures_util::future::join_all(attached.iter().map(|(arn, n)| policies.managed(arn, n)));
    let (attached_docs, inline_docs, boundary) = tokio::join!(
        attached_docs,
        inline_documents(c, name, &inline),
        boundary_document(policies, boundary_arn.as_deref(), &attached)
    );
    let attached_policies: Vec<ManagedPolicy> =
        attached_docs.into_iter().collect::<Result<_, _>>()?;
    let boundary = match (boundary.transpose()?, &boundary_arn) {
        (Some(b), _) => Some(b),
        (None, Some(arn)) => attached_policies.iter().find(|p| &p.arn == arn).cloned(),
        (None, None) => None,
    };
    Ok(Role {
        arn: r.arn().to_string(),
        name: r.role_name().to_string(),
        trust_policy: r
            .assume_role_policy_document()
            .map(document)
            .unwrap_or_default(),
        attached_policies,
        inline_policies: inline_docs.into_iter().collect::<Result<_, _>>()?,
        permissions_boundary: boundary,
    })
}

async fn get_role(c: &Client, name: &str) -> Result<aws_sdk_iam::types::Role, Failure> {
    let out = c
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify(&e, "iam:GetRole"))?;
    out.role.ok_or_else(|| {
        Failure::Fact(Unavailable::NotFound {
            what: format!("role {name}"),
        })
    })
}

/// The managed policies attached to the role: (ARN, name).
async fn attached_role_policies(c: &Client, name: &str) -> Result<Vec<(String, String)>, Failure> {
    all_pages(
        c.list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .send(),
        "iam:ListAttachedRolePolicies",
        |p| {
            p.attached_policies()
                .iter()
                .map(arn_and_name)
                .collect::<Vec<_>>()
        },
    )
    .await
}

async fn role_policy_names(c: &Client, name: &str) -> Result<Vec<String>, Failure> {
    all_pages(
        c.list_role_policies()
            .role_name(name)
            .into_paginator()
            .send(),
        "iam:ListRolePolicies",
        |p| p.policy_names().to_vec(),
    )
    .await
}

/// The role's inline documents, side by side.
async fn inline_documents(
    c: &Client,
    role: &str,
    names: &[String],
) -> Vec<Result<InlinePolicy, Failure>> {
    futures_util::future::join_all(names.iter().map(|n| async move {
        let out = c
            .get_role_policy()
            .role_name(role)
            .policy_name(n)
            .send()
            .await
            .map_err(|e| classify(&e, "iam:GetRolePolicy"))?;
        Ok::<_, Failure>(InlinePolicy {
            name: n.clone(),
            document: document(out.policy_document()),
        })
    }))
    .await
}

/// The permissions boundary's document, unless it is also attached: then it is fetched once, with the attached
/// policies.
async fn boundary_document(
    policies: &Policies,
    boundary_arn: Option<&str>,
    attached: &[(String, String)],
) -> Option<Result<ManagedPolicy, Failure>> {
    let arn = boundary_arn?;
    if attached.iter().any(|(a, _)| a == arn) {
        return None;
    }
    Some(
        policies
            .managed(arn, arn.rsplit('/').next().unwrap_or(arn))
            .await,
    )
}
