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
    let (role, attached, inline) = tokio::join!(
        c.get_role().role_name(name).send(),
        all_pages(
            c.list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .send(),
            "iam:ListAttachedRolePolicies",
            |p| p
                .attached_policies()
                .iter()
                .map(arn_and_name)
                .collect::<Vec<_>>()
        ),
        all_pages(
            c.list_role_policies()
                .role_name(name)
                .into_paginator()
                .send(),
            "iam:ListRolePolicies",
            |p| p.policy_names().to_vec()
        )
    );
    let role = role.map_err(|e| classify(&e, "iam:GetRole"))?;
    let r = role.role().ok_or_else(|| {
        Failure::Fact(Unavailable::NotFound {
            what: format!("role {name}"),
        })
    })?;
    let attached = attached?;
    let inline = inline?;
    let boundary_arn = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    let attached_docs =
        futures_util::future::join_all(attached.iter().map(|(arn, n)| policies.managed(arn, n)));
    let inline_docs = futures_util::future::join_all(inline.iter().map(|n| async move {
        let out = c
            .get_role_policy()
            .role_name(name)
            .policy_name(n)
            .send()
            .await
            .map_err(|e| classify(&e, "iam:GetRolePolicy"))?;
        Ok::<_, Failure>(InlinePolicy {
            name: n.clone(),
            document: document(out.policy_document()),
        })
    }));
    // A boundary that is also attached is fetched once, with the attached policies.
    let boundary_attached = boundary_arn
        .as_ref()
        .is_some_and(|b| attached.iter().any(|(arn, _)| arn == b));
    let boundary_doc = async {
        match &boundary_arn {
            Some(arn) if !boundary_attached => Some(
                policies
                    .managed(arn, arn.rsplit('/').next().unwrap_or(arn))
                    .await,
            ),
            _ => None,
        }
    };
    let (attached_docs, inline_docs, boundary) =
        tokio::join!(attached_docs, inline_docs, boundary_doc);
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
