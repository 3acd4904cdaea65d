//! The caller: who it is (and who assumed its role, when the profile assumes one), its own policy documents,
//! read when IAM's simulator cannot answer (for local evaluation) or when a role is assumed (for its trust
//! policy), and an IAM user's MFA devices.

use super::errors::{classify, Failure};
use super::options::GatherOptions;
use super::pages::all_pages;
use super::policies::{arn_and_name, document};
use super::roles::Roles;
use super::session::sdk_config;
use super::simulate;
use crate::caller::{Principal, PrincipalKind};
use crate::facts::*;
use aws_sdk_iam::Client;

/// Who the caller is; without it the run stops.
pub async fn identity(sts: aws_sdk_sts::Client) -> Result<CallerIdentity, Failure> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(&e, "sts:GetCallerIdentity"))?;
    Ok(CallerIdentity {
        arn: out.arn().unwrap_or_default().to_string(),
        account: out.account().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    })
}

/// Who assumed the profile's role (`creds`), asked with the source profile's own credentials, and whether it
/// may; `None` when the profile assumes no role or the source profile cannot answer.
pub async fn source_identity(
    creds: Credentials,
    opts: &GatherOptions,
    region: &str,
) -> Option<(String, Option<PermissionCheck>)> {
    let (role_arn, source) = (creds.role_arn?, creds.source_profile?);
    let source_opts = GatherOptions {
        profile: Some(source),
        ..opts.clone()
    };
    let config = sdk_config(&source_opts, Some(region)).await.ok()?;
    let sts = aws_sdk_sts::Client::new(&config);
    let me = sts.get_caller_identity().send().await.ok()?;
    let arn = me.arn().unwrap_or_default().to_string();
    let check = simulate::assume_role_check(&aws_sdk_iam::Client::new(&config), &arn, &role_arn)
        .await
        .ok();
    Some((arn, check))
}

/// An IAM user's MFA devices, for the MFA remedy; `None` when the caller is not a user.
pub async fn user_mfa_devices(
    c: &Client,
    caller: &CallerIdentity,
) -> Option<Result<Vec<String>, Failure>> {
    let user = Principal::from_caller_arn(&caller.arn).filter(|p| p.kind == PrincipalKind::User)?;
    Some(mfa_devices(c, &user.name).await)
}

/// The tags of the caller's IAM user or role (an assumed role's are its role's); the root user has none. A
/// federated user's cannot be told.
pub async fn caller_tags(c: &Client, caller: &CallerIdentity) -> Result<PrincipalTags, Failure> {
    let principal = Principal::from_caller_arn(&caller.arn).ok_or_else(|| {
        Failure::Fact(Unavailable::NotGathered {
            why: format!("{} is not an IAM principal", caller.arn),
        })
    })?;
    let pairs = |tags: &[aws_sdk_iam::types::Tag]| -> Vec<(String, String)> {
        tags.iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    };
    let tags = match principal.kind {
        PrincipalKind::Root => Vec::new(),
        PrincipalKind::FederatedUser => {
            return Err(Failure::Fact(Unavailable::NotGathered {
                why: "a federated user's tags are its session tags and its IAM user's, which its ARN does not name".into(),
            }))
        }
        PrincipalKind::User => {
            let pages = c.list_user_tags().user_name(&principal.name).into_paginator();
            all_pages(pages.send(), "iam:ListUserTags", |p| pairs(p.tags())).await?
        }
        PrincipalKind::AssumedRole { .. } => {
            let pages = c.list_role_tags().role_name(&principal.name).into_paginator();
            all_pages(pages.send(), "iam:ListRoleTags", |p| pairs(p.tags())).await?
        }
    };
    Ok(PrincipalTags {
        principal_arn: principal.policy_arn,
        tags: tags.into_iter().collect(),
    })
}

/// The caller's own policy documents, for local evaluation: a user's attached, inline and group policies and
/// boundary, or an assumed role's documents and trust policy (through `roles`, so a role that is also an
/// instance's is read once).
pub async fn caller_policies(
    c: &Client,
    caller: &CallerIdentity,
    roles: &Roles,
) -> Result<CallerPolicies, Failure> {
    let principal = Principal::from_caller_arn(&caller.arn).ok_or_else(|| {
        Failure::Fact(Unavailable::NotGathered {
            why: format!("{} is not an IAM principal", caller.arn),
        })
    })?;
    match principal.kind {
        PrincipalKind::Root => Ok(CallerPolicies {
            principal_arn: principal.policy_arn,
            policies: Vec::new(),
            permissions_boundary: None,
            trust_policy: None,
        }),
        PrincipalKind::FederatedUser => Err(Failure::Fact(Unavailable::NotGathered {
            why: "a federated user's session policy cannot be read".into(),
        })),
        PrincipalKind::AssumedRole { .. } => {
            let role = roles.role(&principal.name).await?;
            let mut policies: Vec<InlinePolicy> = role
                .attached_policies
                .into_iter()
                .map(|p| InlinePolicy {
                    name: p.name,
                    document: p.document,
                })
                .collect();
            policies.extend(role.inline_policies);
            Ok(CallerPolicies {
                principal_arn: role.arn,
                policies,
                permissions_boundary: role.permissions_boundary,
                trust_policy: Some(role.trust_policy),
            })
        }
        PrincipalKind::User => user_policies(c, &principal.name, roles).await,
    }
}

/// What a user's or group's listing names: managed policies (ARN, name as shown) and inline documents.
#[derive(Default)]
struct Listed {
    managed: Vec<(String, String)>,
    inline: Vec<InlinePolicy>,
}

impl Listed {
    /// Adds a managed policy once, however many of the user's groups attach it.
    fn add_managed(&mut self, arn: String, name: String) {
        if !self.managed.iter().any(|(a, _)| a == &arn) {
            self.managed.push((arn, name));
        }
    }
}

async fn user_policies(c: &Client, name: &str, roles: &Roles) -> Result<CallerPolicies, Failure> {
    let (user, listed, groups) = tokio::join!(
        c.get_user().user_name(name).send(),
        user_listing(c, name),
        all_pages(
            c.list_groups_for_user()
                .user_name(name)
                .into_paginator()
                .send(),
            "iam:ListGroupsForUser",
            |p| p
                .groups()
                .iter()
                .map(|g| g.group_name().to_string())
                .collect::<Vec<_>>()
        )
    );
    let user = user.map_err(|e| classify(&e, "iam:GetUser"))?;
    let user = user.user().ok_or_else(|| {
        Failure::Fact(Unavailable::NotFound {
            what: format!("user {name}"),
        })
    })?;
    let (groups, mut listed) = (groups?, listed?);
    for g in &groups {
        group_listing(c, g, &mut listed).await?;
    }
    let policies_memo = roles.policies();
    let managed_docs = futures_util::future::join_all(
        listed
            .managed
            .iter()
            .map(|(arn, n)| policies_memo.managed(arn, n)),
    )
    .await;
    let mut policies: Vec<InlinePolicy> = managed_docs
        .into_iter()
        .map(|r| {
            r.map(|p| InlinePolicy {
                name: p.name,
                document: p.document,
            })
        })
        .collect::<Result<_, _>>()?;
    policies.extend(listed.inline);
    let boundary = match user
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        Some(arn) => Some(
            policies_memo
                .managed(arn, arn.rsplit('/').next().unwrap_or(arn))
                .await?,
        ),
        None => None,
    };
    Ok(CallerPolicies {
        principal_arn: user.arn().to_string(),
        policies,
        permissions_boundary: boundary,
        trust_policy: None,
    })
}

/// The user's own attached policies and inline documents.
async fn user_listing(c: &Client, name: &str) -> Result<Listed, Failure> {
    let (attached, inline) = tokio::join!(
        all_pages(
            c.list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .send(),
            "iam:ListAttachedUserPolicies",
            |p| p
                .attached_policies()
                .iter()
                .map(arn_and_name)
                .collect::<Vec<_>>()
        ),
        all_pages(
            c.list_user_policies()
                .user_name(name)
                .into_paginator()
                .send(),
            "iam:ListUserPolicies",
            |p| p.policy_names().to_vec()
        )
    );
    let mut listed = Listed {
        managed: attached?,
        inline: Vec::new(),
    };
    for n in &inline? {
        let out = c
            .get_user_policy()
            .user_name(name)
            .policy_name(n)
            .send()
            .await
            .map_err(|e| classify(&e, "iam:GetUserPolicy"))?;
        listed.inline.push(InlinePolicy {
            name: format!("inline {n}"),
            document: document(out.policy_document()),
        });
    }
    Ok(listed)
}

/// A group's attached policies and inline documents, added to the user's.
async fn group_listing(c: &Client, g: &str, listed: &mut Listed) -> Result<(), Failure> {
    let (attached, inline) = tokio::join!(
        c.list_attached_group_policies().group_name(g).send(),
        c.list_group_policies().group_name(g).send()
    );
    let attached = attached.map_err(|e| classify(&e, "iam:ListAttachedGroupPolicies"))?;
    for p in attached.attached_policies() {
        listed.add_managed(
            p.policy_arn().unwrap_or_default().to_string(),
            format!("group {g}: {}", p.policy_name().unwrap_or_default()),
        );
    }
    for n in inline
        .map_err(|e| classify(&e, "iam:ListGroupPolicies"))?
        .policy_names()
    {
        let out = c
            .get_group_policy()
            .group_name(g)
            .policy_name(n)
            .send()
            .await
            .map_err(|e| classify(&e, "iam:GetGroupPolicy"))?;
        listed.inline.push(InlinePolicy {
            name: format!("group {g}: inline {n}"),
            document: document(out.policy_document()),
        });
    }
    Ok(())
}

/// The serial numbers of an IAM user's MFA devices (a virtual device's is its ARN).
async fn mfa_devices(c: &Client, user: &str) -> Result<Vec<String>, Failure> {
    let pages = c.list_mfa_devices().user_name(user).into_paginator();
    all_pages(pages.send(), "iam:ListMFADevices", |p| {
        p.mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect::<Vec<_>>()
    })
    .await
}
