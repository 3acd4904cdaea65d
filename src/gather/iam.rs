//! IAM facts: the instance's role with every document that decides what it may do, and the caller's
//! permissions by simulation.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::caller::{Principal, PrincipalKind};
use crate::facts::*;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use aws_sdk_iam::Client;

/// IAM returns policy documents URL-encoded.
fn document(encoded: &str) -> serde_json::Value {
    let text = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text.into_owned()))
}

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

/// Default version ids of every attached policy in the account (`iam:ListPolicies`, OnlyAttached). It needs no
/// earlier answer, so it runs in the first round and spares a GetPolicy round per policy later; a policy it
/// does not cover (or a denied ListPolicies) falls back to GetPolicy.
pub async fn default_versions(c: &Client) -> std::collections::HashMap<String, String> {
    let pages = c
        .list_policies()
        .only_attached(true)
        .scope(aws_sdk_iam::types::PolicyScopeType::All)
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

async fn managed_policy(
    c: &Client,
    arn: &str,
    name: &str,
    versions: &std::collections::HashMap<String, String>,
) -> Result<ManagedPolicy, Failure> {
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
    Ok(ManagedPolicy {
        arn: arn.to_string(),
        name: name.to_string(),
        document: document(
            doc.policy_version()
                .and_then(|v| v.document())
                .unwrap_or("{}"),
        ),
    })
}

fn arn_and_name(p: &aws_sdk_iam::types::AttachedPolicy) -> (String, String) {
    (
        p.policy_arn().unwrap_or_default().to_string(),
        p.policy_name().unwrap_or_default().to_string(),
    )
}

/// The role, its trust policy, attached and inline documents and boundary; documents are fetched concurrently.
pub async fn role<F>(c: &Client, name: &str, versions: F) -> Result<Role, Failure>
where
    F: std::future::Future<Output = std::collections::HashMap<String, String>>,
{
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
    let versions = versions.await;
    let versions = &versions;
    let boundary_arn = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    let attached_docs = futures_util::future::join_all(
        attached
            .iter()
            .map(|(arn, n)| managed_policy(c, arn, n, versions)),
    );
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
            Some(arn) if !boundary_attached => {
                Some(managed_policy(c, arn, arn.rsplit('/').next().unwrap_or(arn), versions).await)
            }
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

/// The caller's decisions by `iam:SimulatePrincipalPolicy`: the questions of `caller::questions`, as the
/// credentials are now and with MFA, plus one probe telling whether the policies test
/// `ssm:SessionDocumentAccessCheck`.
pub async fn simulate(
    c: &Client,
    facts: &Facts,
    caller: &CallerIdentity,
    mfa_now: Option<bool>,
    long_term: bool,
) -> Result<CallerPermissions, Failure> {
    let principal = simulable(caller)?;
    let source = policy_source(c, &principal).await;
    let account = facts
        .target
        .account
        .clone()
        .unwrap_or_else(|| caller.account.clone());
    let sim = Simulation {
        c,
        source: &source,
        known: known_context(facts, caller, &principal),
        principal: &principal,
        long_term,
    };
    let mut asks = Vec::new();
    for q in crate::caller::questions(facts, &account, &principal) {
        asks.push((
            q.action,
            q.resources.clone(),
            q.context.clone(),
            Scenario::Current,
        ));
        if q.ask_with_mfa {
            asks.push((q.action, q.resources, q.context, Scenario::WithMfa));
        }
    }
    let shell_document = crate::caller::document_arn(facts, &account, crate::options::Mode::Shell);
    let (answers, probe) = tokio::join!(
        futures_util::future::join_all(asks.into_iter().map(
            |(action, resources, extra, scenario)| {
                let mfa = if scenario == Scenario::WithMfa {
                    Some(true)
                } else {
                    mfa_now
                };
                sim.ask(action, resources, extra, mfa, scenario)
            }
        )),
        // Without the key, the simulator names it among the missing context values exactly when a policy tests it.
        sim.keys_used("ssm:StartSession", shell_document, mfa_now)
    );
    let mut checks = Vec::new();
    for answer in answers {
        checks.extend(answer?);
    }
    Ok(CallerPermissions {
        method: "simulate_principal_policy".into(),
        principal_arn: source,
        checks,
        limitations: vec![
            "IAM's simulator covers identity policies and permission boundaries; SCPs only partly, and not resource control policies or session policies.".into(),
        ],
        session_document_access_check: probe.ok().map(|keys| {
            keys.iter()
                .any(|k| k.eq_ignore_ascii_case(crate::caller::DOCUMENT_ACCESS_CHECK))
        }),
    })
}

/// The caller as IAM's simulator takes it, or why it cannot: "could not see", never "not needed".
fn simulable(caller: &CallerIdentity) -> Result<Principal, Failure> {
    let principal = Principal::from_caller_arn(&caller.arn).ok_or_else(|| {
        Failure::Fact(Unavailable::NotGathered {
            why: format!("{} is not a principal IAM's simulator takes", caller.arn),
        })
    })?;
    if matches!(
        principal.kind,
        PrincipalKind::Root | PrincipalKind::FederatedUser
    ) {
        return Err(Failure::Fact(Unavailable::NotGathered {
            why: format!("IAM's simulator does not take {}", caller.arn),
        }));
    }
    Ok(principal)
}

/// The ARN the simulator needs: an assumed-role ARN drops the role's path, which `iam:GetRole` gives back.
async fn policy_source(c: &Client, principal: &Principal) -> String {
    if !principal.path_known {
        if let Ok(role) = c.get_role().role_name(&principal.name).send().await {
            if let Some(r) = role.role() {
                return r.arn().to_string();
            }
        }
    }
    principal.policy_arn.clone()
}

fn entry(key: &str, kind: ContextKeyTypeEnum, value: &str) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(key)
        .context_key_type(kind)
        .context_key_values(value)
        .build()
}

/// Every key whose value is known, as the simulator takes them; it names the keys the policies use that are still
/// missing, and those make the decision Unknown (see `Simulation::decisions`).
fn known_context(
    facts: &Facts,
    caller: &CallerIdentity,
    principal: &Principal,
) -> Vec<ContextEntry> {
    let principal_type = match principal.kind {
        PrincipalKind::User => "User",
        _ => "AssumedRole",
    };
    let mut entries = vec![
        entry(
            "aws:PrincipalArn",
            ContextKeyTypeEnum::String,
            &principal.policy_arn,
        ),
        entry(
            "aws:PrincipalAccount",
            ContextKeyTypeEnum::String,
            &principal.account,
        ),
        entry(
            "aws:PrincipalType",
            ContextKeyTypeEnum::String,
            principal_type,
        ),
        entry("aws:userid", ContextKeyTypeEnum::String, &caller.user_id),
        entry(
            "aws:RequestedRegion",
            ContextKeyTypeEnum::String,
            &facts.target.region,
        ),
        entry("aws:SecureTransport", ContextKeyTypeEnum::Boolean, "true"),
        entry(
            "aws:CurrentTime",
            ContextKeyTypeEnum::Date,
            &jiff::Timestamp::now().to_string(),
        ),
    ];
    if principal.kind == PrincipalKind::User {
        entries.push(entry(
            "aws:username",
            ContextKeyTypeEnum::String,
            &principal.name,
        ));
    }
    entries
}

/// One simulation setting: who is simulated, with which known keys.
struct Simulation<'a> {
    c: &'a Client,
    source: &'a str,
    known: Vec<ContextEntry>,
    principal: &'a Principal,
    long_term: bool,
}

impl Simulation<'_> {
    /// The context of one question: the known keys, its own keys, and MFA as the scenario has it.
    fn context(&self, extra: &[(&'static str, String)], mfa: Option<bool>) -> Vec<ContextEntry> {
        let mut entries = self.known.clone();
        for (key, value) in extra {
            let kind = if value == "true" || value == "false" {
                ContextKeyTypeEnum::Boolean
            } else {
                ContextKeyTypeEnum::String
            };
            entries.push(entry(key, kind, value));
        }
        if let Some(present) = mfa {
            entries.push(entry(
                "aws:MultiFactorAuthPresent",
                ContextKeyTypeEnum::Boolean,
                &present.to_string(),
            ));
            if present {
                entries.push(entry(
                    "aws:MultiFactorAuthAge",
                    ContextKeyTypeEnum::Numeric,
                    "0",
                ));
            }
        }
        entries
    }

    /// Keys known to be absent, which the simulator's reading of a missing key gets right: MFA keys for long-term
    /// access keys, `aws:username` for a role.
    fn known_absent(&self, scenario: Scenario, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        (scenario == Scenario::Current
            && self.long_term
            && matches!(
                key.as_str(),
                "aws:multifactorauthpresent" | "aws:multifactorauthage" | "aws:tokenissuetime"
            ))
            || (self.principal.kind != PrincipalKind::User && key == "aws:username")
    }

    async fn call(
        &self,
        action: &str,
        resources: Vec<String>,
        entries: Vec<ContextEntry>,
    ) -> Result<
        aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput,
        Failure,
    > {
        self.c
            .simulate_principal_policy()
            .policy_source_arn(self.source)
            .action_names(action)
            .set_resource_arns(Some(resources))
            .set_context_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify(&e, "iam:SimulatePrincipalPolicy"))
    }

    async fn ask(
        &self,
        action: &'static str,
        resources: Vec<String>,
        extra: Vec<(&'static str, String)>,
        mfa: Option<bool>,
        scenario: Scenario,
    ) -> Result<Vec<PermissionCheck>, Failure> {
        let out = self
            .call(action, resources, self.context(&extra, mfa))
            .await?;
        Ok(self.decisions(&out, scenario))
    }

    /// The context keys the policies use that the simulator was not given, asked without `extra`.
    async fn keys_used(
        &self,
        action: &str,
        resource: String,
        mfa: Option<bool>,
    ) -> Result<Vec<String>, Failure> {
        let out = self
            .call(action, vec![resource], self.context(&[], mfa))
            .await?;
        Ok(out
            .evaluation_results()
            .iter()
            .flat_map(|r| r.missing_context_values().iter().cloned())
            .collect())
    }

    /// One check per resource; a key the policies use whose value ssm-check cannot know makes it Unknown.
    fn decisions(
        &self,
        out: &aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput,
        scenario: Scenario,
    ) -> Vec<PermissionCheck> {
        let statements = |s: &[aws_sdk_iam::types::Statement]| -> Vec<String> {
            s.iter()
                .filter_map(|m| m.source_policy_id().map(str::to_string))
                .collect()
        };
        let mut checks = Vec::new();
        for r in out.evaluation_results() {
            let per_resource: Vec<(String, &PolicyEvaluationDecisionType, Vec<String>)> =
                if r.resource_specific_results().is_empty() {
                    vec![(
                        r.eval_resource_name().unwrap_or("*").to_string(),
                        r.eval_decision(),
                        statements(r.matched_statements()),
                    )]
                } else {
                    r.resource_specific_results()
                        .iter()
                        .map(|s| {
                            (
                                s.eval_resource_name().to_string(),
                                s.eval_resource_decision(),
                                statements(s.matched_statements()),
                            )
                        })
                        .collect()
                };
            let missing: Vec<String> = r
                .missing_context_values()
                .iter()
                .filter(|k| !self.known_absent(scenario, k))
                .cloned()
                .collect();
            for (resource, decision, matched) in per_resource {
                checks.push(PermissionCheck {
                    action: r.eval_action_name().to_string(),
                    resource,
                    decision: match decision {
                        _ if !missing.is_empty() => Decision::Unknown,
                        PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
                        PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
                        _ => Decision::ImplicitDeny,
                    },
                    scenario,
                    principal_arn: None,
                    context: Default::default(),
                    matched_statements: matched,
                    why: (!missing.is_empty()).then(|| {
                        format!(
                            "the policies use {}, whose value ssm-check cannot know",
                            missing.join(", ")
                        )
                    }),
                });
            }
        }
        checks
    }
}

/// The caller's own policy documents, for local evaluation: a user's attached, inline and group policies and
/// boundary, or an assumed role's documents and trust policy.
pub async fn caller_policies<F>(
    c: &Client,
    caller: &CallerIdentity,
    versions: F,
) -> Result<CallerPolicies, Failure>
where
    F: std::future::Future<Output = std::collections::HashMap<String, String>>,
{
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
            let role = role(c, &principal.name, versions).await?;
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
        PrincipalKind::User => user_policies(c, &principal.name, versions).await,
    }
}

async fn user_policies<F>(c: &Client, name: &str, versions: F) -> Result<CallerPolicies, Failure>
where
    F: std::future::Future<Output = std::collections::HashMap<String, String>>,
{
    let (user, attached, inline, groups) = tokio::join!(
        c.get_user().user_name(name).send(),
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
        ),
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
    let (attached, inline, groups) = (attached?, inline?, groups?);
    let versions = versions.await;
    let versions = &versions;
    let mut managed: Vec<(String, String)> = attached;
    let mut inline_docs = Vec::new();
    for n in &inline {
        let out = c
            .get_user_policy()
            .user_name(name)
            .policy_name(n)
            .send()
            .await
            .map_err(|e| classify(&e, "iam:GetUserPolicy"))?;
        inline_docs.push(InlinePolicy {
            name: format!("inline {n}"),
            document: document(out.policy_document()),
        });
    }
    for g in &groups {
        let (ga, gi) = tokio::join!(
            c.list_attached_group_policies().group_name(g).send(),
            c.list_group_policies().group_name(g).send()
        );
        let ga = ga.map_err(|e| classify(&e, "iam:ListAttachedGroupPolicies"))?;
        for p in ga.attached_policies() {
            let arn = p.policy_arn().unwrap_or_default().to_string();
            if !managed.iter().any(|(a, _)| a == &arn) {
                managed.push((
                    arn,
                    format!("group {g}: {}", p.policy_name().unwrap_or_default()),
                ));
            }
        }
        for n in gi
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
            inline_docs.push(InlinePolicy {
                name: format!("group {g}: inline {n}"),
                document: document(out.policy_document()),
            });
        }
    }
    let managed_docs = futures_util::future::join_all(
        managed
            .iter()
            .map(|(arn, n)| managed_policy(c, arn, n, versions)),
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
    policies.extend(inline_docs);
    let boundary = match user
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        Some(arn) => {
            Some(managed_policy(c, arn, arn.rsplit('/').next().unwrap_or(arn), versions).await?)
        }
        None => None,
    };
    Ok(CallerPolicies {
        principal_arn: user.arn().to_string(),
        policies,
        permissions_boundary: boundary,
        trust_policy: None,
    })
}

/// The serial numbers of an IAM user's MFA devices (a virtual device's is its ARN), for the MFA remedy.
pub async fn mfa_devices(c: &Client, user: &str) -> Result<Vec<String>, Failure> {
    let pages = c.list_mfa_devices().user_name(user).into_paginator();
    all_pages(pages.send(), "iam:ListMFADevices", |p| {
        p.mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect::<Vec<_>>()
    })
    .await
}

/// May `source` (a user or role ARN) assume `role_arn`? Asked with the source's own credentials.
pub async fn assume_role_check(
    c: &Client,
    source: &str,
    role_arn: &str,
) -> Result<PermissionCheck, Failure> {
    let principal = Principal::from_caller_arn(source).ok_or_else(|| {
        Failure::Fact(Unavailable::NotGathered {
            why: format!("{source} cannot be simulated"),
        })
    })?;
    let out = c
        .simulate_principal_policy()
        .policy_source_arn(&principal.policy_arn)
        .action_names("sts:AssumeRole")
        .resource_arns(role_arn)
        .send()
        .await
        .map_err(|e| classify(&e, "iam:SimulatePrincipalPolicy"))?;
    let r = out.evaluation_results().first().ok_or_else(|| {
        Failure::Fact(Unavailable::Error {
            message: "empty simulation".into(),
        })
    })?;
    Ok(PermissionCheck {
        action: "sts:AssumeRole".into(),
        resource: role_arn.to_string(),
        decision: match r.eval_decision() {
            PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
            PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
            _ => Decision::ImplicitDeny,
        },
        scenario: Scenario::Current,
        principal_arn: Some(source.to_string()),
        context: Default::default(),
        matched_statements: r
            .matched_statements()
            .iter()
            .filter_map(|s| s.source_policy_id().map(str::to_string))
            .collect(),
        why: None,
    })
}
