//! The caller's permissions by `iam:SimulatePrincipalPolicy`: the questions of `caller::questions` over a
//! region's targets, with every context key ssm-check knows, and whether the source identity may assume the
//! profile's role.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::caller::{Principal, PrincipalKind};
use crate::facts::*;
use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, OrganizationsDecisionDetail,
    PermissionsBoundaryDecisionDetail, PolicyEvaluationDecisionType, PolicySourceType,
};
use aws_sdk_iam::Client;
use futures_util::StreamExt;
use std::collections::BTreeMap;

/// The caller as IAM's simulator takes it, resolved once per run: the principal and the ARN to simulate.
#[derive(Debug, Clone)]
pub struct Simulated {
    principal: Principal,
    source: String,
}

/// Resolves the caller for the simulator (an assumed role's path takes one `iam:GetRole`).
pub async fn simulated(c: &Client, caller: &CallerIdentity) -> Result<Simulated, Failure> {
    let principal = simulable(caller)?;
    let source = policy_source(c, &principal).await;
    Ok(Simulated { principal, source })
}

/// How the caller's credentials stand, and how many simulations may be in flight.
pub struct Asking {
    /// Whether the credentials carry MFA now, when that is known.
    pub mfa_now: Option<bool>,
    /// Long-term access keys, which carry no MFA key at all.
    pub long_term: bool,
    pub in_flight: usize,
    /// Each instance's tags, by ARN, for `aws:ResourceTag/…` conditions; an instance without is asked without them.
    pub resource_tags: BTreeMap<String, BTreeMap<String, String>>,
    /// The caller's tags (`iam:ListUserTags` / `ListRoleTags`), for `aws:PrincipalTag/…` conditions.
    pub principal_tags: Option<PrincipalTags>,
}

/// One simulation to ask: an action on some resources with the request's own keys; `tags_given` when they carry
/// the resources' tags, so that a tag key still missing is absent.
#[derive(Clone)]
struct Ask {
    action: &'static str,
    resources: Vec<String>,
    extra: Vec<(String, String)>,
    scenario: Scenario,
    tags_given: bool,
}

/// What asks again share: the action, the keys with the tags tested, and whether as if with MFA.
type AgainKey = (&'static str, Vec<(String, String)>, bool);

/// Resource ARNs per simulation: a fleet's instances take several requests. Each resource is one evaluation
/// result, and a page holds up to `MAX_ITEMS`, so a request is one page (more pages are still followed).
const RESOURCES_PER_CALL: usize = 100;
const MAX_ITEMS: i32 = 1000;

/// The caller's decisions in one region by `iam:SimulatePrincipalPolicy`: the questions of `caller::questions`
/// about `instances` (their ARNs), as the credentials are now and with MFA, plus one probe telling whether the
/// policies test `ssm:SessionDocumentAccessCheck`. `region` gives the region, partition and preferences.
pub async fn simulate(
    c: &Client,
    who: &Simulated,
    region: &Facts,
    caller: &CallerIdentity,
    instances: &[String],
    how: Asking,
) -> Result<CallerPermissions, Failure> {
    let Asking {
        mfa_now,
        long_term,
        in_flight,
        resource_tags,
        principal_tags,
    } = how;
    let principal = &who.principal;
    let account = region
        .target
        .account
        .clone()
        .unwrap_or_else(|| caller.account.clone());
    let mut region_with_tags = region.clone();
    region_with_tags.caller_tags = principal_tags.map_or_else(Fact::default, Fact::known);
    let sim = Simulation {
        c,
        source: &who.source,
        known: known_context(&region_with_tags, caller, principal),
        principal,
        long_term,
        principal_tags_closed: matches!(
            crate::caller::principal_tags(&region_with_tags, principal),
            Some((_, true))
        ),
    };
    let questions = crate::caller::questions(region, &account, principal, instances);
    let shell_document = crate::caller::document_arn(region, &account, crate::options::Mode::Shell);
    let (answers, probe) = tokio::join!(
        sim.ask_all(asks(questions), mfa_now, in_flight),
        // Without the key, the simulator names it among the missing context values exactly when a policy tests it.
        sim.keys_used("ssm:StartSession", shell_document, mfa_now)
    );
    // The instances whose policies test their tags are asked again, with the tags they test.
    let (mut checks, again) = sim.read(answers?, &resource_tags);
    checks.extend(
        sim.read(
            sim.ask_all(again, mfa_now, in_flight).await?,
            &BTreeMap::new(),
        )
        .0,
    );
    Ok(CallerPermissions {
        method: "simulate_principal_policy".into(),
        principal_arn: who.source.clone(),
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

/// The simulations the questions take: each question's resources a page at a time, as the credentials are now and
/// (when asked) with MFA. No resource's tags are given: few policies test them, and those that do are asked again
/// for just the instances and tags they test (`Simulation::read`), so calls do not grow with instances.
fn asks(questions: Vec<crate::caller::Question>) -> Vec<Ask> {
    let mut asks = Vec::new();
    for q in questions {
        let extra: Vec<(String, String)> = q
            .context
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let scenarios: &[Scenario] = if q.ask_with_mfa {
            &[Scenario::Current, Scenario::WithMfa]
        } else {
            &[Scenario::Current]
        };
        for part in q.resources.chunks(RESOURCES_PER_CALL) {
            for &scenario in scenarios {
                asks.push(Ask {
                    action: q.action,
                    resources: part.to_vec(),
                    extra: extra.clone(),
                    scenario,
                    tags_given: false,
                });
            }
        }
    }
    asks
}

/// The resource-tag keys among `missing` (`ssm:resourceTag/Env`), with the tag each names (`Env`).
fn resource_tag_keys(missing: &[String]) -> Vec<(&str, &str)> {
    missing
        .iter()
        .filter_map(|k| {
            let lower = k.to_ascii_lowercase();
            let family = crate::caller::RESOURCE_TAG_PREFIXES
                .iter()
                .find(|p| lower.starts_with(&p.to_ascii_lowercase()))?;
            Some((k.as_str(), &k[family.len()..]))
        })
        .collect()
}

/// A tag's value by key: as written, else the one key that differs only in case.
fn tag_value<'t>(tags: &'t BTreeMap<String, String>, key: &str) -> Option<&'t String> {
    tags.get(key).or_else(|| {
        let mut same = tags.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key));
        match (same.next(), same.next()) {
            (Some((_, v)), None) => Some(v),
            _ => None,
        }
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
    if let Some((tags, _)) = crate::caller::principal_tags(facts, principal) {
        let prefix = [crate::caller::PRINCIPAL_TAG_PREFIX];
        for (k, v) in crate::caller::tag_context(&prefix, tags) {
            entries.push(entry(&k, ContextKeyTypeEnum::String, &v));
        }
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
    /// The caller's tags are all known (an IAM user's): a missing `aws:PrincipalTag/…` is absent.
    principal_tags_closed: bool,
}

impl Simulation<'_> {
    /// The context of one question: the known keys, its own keys, and MFA as the scenario has it.
    fn context(&self, extra: &[(String, String)], mfa: Option<bool>) -> Vec<ContextEntry> {
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
    /// access keys and on an action whose requests never carry them, `aws:username` for a role.
    fn known_absent(&self, ask: &Ask, key: &str) -> bool {
        let (scenario, tags_given) = (ask.scenario, ask.tags_given);
        let key = key.to_ascii_lowercase();
        let in_family = |prefix: &str| key.starts_with(&prefix.to_ascii_lowercase());
        let resource_tags = crate::caller::RESOURCE_TAG_PREFIXES;
        (tags_given && resource_tags.iter().any(|p| in_family(p)))
            || (self.principal_tags_closed && in_family(crate::caller::PRINCIPAL_TAG_PREFIX))
            || (scenario == Scenario::Current
                && self.long_term
                && matches!(
                    key.as_str(),
                    "aws:multifactorauthpresent" | "aws:multifactorauthage" | "aws:tokenissuetime"
                ))
            || (self.principal.kind != PrincipalKind::User && key == "aws:username")
            || crate::caller::keys_never_carried(ask.action)
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&key))
    }

    /// Every evaluation result of one simulation, across its pages.
    async fn call(
        &self,
        action: &str,
        resources: Vec<String>,
        entries: Vec<ContextEntry>,
    ) -> Result<Vec<EvaluationResult>, Failure> {
        let pages = self
            .c
            .simulate_principal_policy()
            .policy_source_arn(self.source)
            .action_names(action)
            .set_resource_arns(Some(resources))
            .set_context_entries(Some(entries))
            .max_items(MAX_ITEMS)
            .into_paginator();
        all_pages(pages.send(), "iam:SimulatePrincipalPolicy", |p| {
            p.evaluation_results().to_vec()
        })
        .await
    }

    /// Every ask, a few at a time, with its results.
    async fn ask_all(
        &self,
        asks: Vec<Ask>,
        mfa_now: Option<bool>,
        in_flight: usize,
    ) -> Result<Vec<(Ask, Vec<EvaluationResult>)>, Failure> {
        futures_util::stream::iter(asks.into_iter().map(|ask| async move {
            let mfa = match ask.scenario {
                _ if !crate::caller::carries_mfa_keys(ask.action) => None,
                Scenario::WithMfa => Some(true),
                Scenario::Current => mfa_now,
            };
            let entries = self.context(&ask.extra, mfa);
            let results = self
                .call(ask.action, ask.resources.clone(), entries)
                .await?;
            Ok((ask, results))
        }))
        .buffered(in_flight.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
    }

    /// The checks the answers give, and the asks again for the instances (with known tags) whose answers miss only
    /// because their policies test tags: grouped by the values of the tags tested.
    fn read(
        &self,
        answers: Vec<(Ask, Vec<EvaluationResult>)>,
        resource_tags: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> (Vec<PermissionCheck>, Vec<Ask>) {
        let mut checks = Vec::new();
        let mut again: BTreeMap<AgainKey, Ask> = BTreeMap::new();
        for (ask, results) in answers {
            for (r, resource, decision, matched, layer) in per_resource(&results) {
                let tested = resource_tag_keys(r.missing_context_values());
                let tags = resource_tags.get(&resource).filter(|_| !tested.is_empty());
                let Some(tags) = tags.filter(|_| !ask.tags_given) else {
                    checks.push(self.decision(r, resource, decision, (matched, layer), &ask));
                    continue;
                };
                let mut extra = ask.extra.clone();
                extra.extend(tested.iter().filter_map(|(key, tag)| {
                    Some((key.to_string(), tag_value(tags, tag)?.clone()))
                }));
                let with_mfa = ask.scenario == Scenario::WithMfa;
                again
                    .entry((ask.action, extra.clone(), with_mfa))
                    .or_insert_with(|| Ask {
                        resources: Vec::new(),
                        extra,
                        tags_given: true,
                        ..ask.clone()
                    })
                    .resources
                    .push(resource);
            }
        }
        let asks = again
            .into_values()
            .flat_map(|a| {
                a.resources
                    .chunks(RESOURCES_PER_CALL)
                    .map(|part| Ask {
                        resources: part.to_vec(),
                        ..a.clone()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        (checks, asks)
    }

    /// The context keys the policies use that the simulator was not given, asked without `extra`.
    async fn keys_used(
        &self,
        action: &str,
        resource: String,
        mfa: Option<bool>,
    ) -> Result<Vec<String>, Failure> {
        let results = self
            .call(action, vec![resource], self.context(&[], mfa))
            .await?;
        Ok(results
            .iter()
            .flat_map(|r| r.missing_context_values().iter().cloned())
            .collect())
    }

    /// One resource's check; a key the policies use whose value ssm-check cannot know makes it Unknown.
    fn decision(
        &self,
        r: &EvaluationResult,
        resource: String,
        decision: &PolicyEvaluationDecisionType,
        (matched, layer): (Vec<String>, Option<DeniedBy>),
        ask: &Ask,
    ) -> PermissionCheck {
        let missing: Vec<String> = r
            .missing_context_values()
            .iter()
            .filter(|k| !self.known_absent(ask, k))
            .cloned()
            .collect();
        PermissionCheck {
            action: r.eval_action_name().to_string(),
            resource,
            decision: match decision {
                _ if !missing.is_empty() => Decision::Unknown,
                PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
                PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
                _ => Decision::ImplicitDeny,
            },
            scenario: ask.scenario,
            principal_arn: None,
            context: Default::default(),
            matched_statements: matched,
            why: (!missing.is_empty()).then(|| {
                format!(
                    "the policies use {}, whose value ssm-check cannot know",
                    missing.join(", ")
                )
            }),
            denied_by: layer,
        }
    }
}

/// Each resource's decision in the results, with the statements that made it and the layer that refused it.
#[allow(clippy::type_complexity)]
fn per_resource(
    results: &[EvaluationResult],
) -> Vec<(
    &EvaluationResult,
    String,
    &PolicyEvaluationDecisionType,
    Vec<String>,
    Option<DeniedBy>,
)> {
    let statements = |s: &[aws_sdk_iam::types::Statement]| -> Vec<String> {
        s.iter()
            .filter_map(|m| m.source_policy_id().map(str::to_string))
            .collect()
    };
    let mut out = Vec::new();
    for r in results {
        if r.resource_specific_results().is_empty() {
            out.push((
                r,
                r.eval_resource_name().unwrap_or("*").to_string(),
                r.eval_decision(),
                statements(r.matched_statements()),
                denied_by(
                    r.eval_decision(),
                    r.organizations_decision_detail(),
                    r.permissions_boundary_decision_detail(),
                    r.matched_statements(),
                ),
            ));
        } else {
            for s in r.resource_specific_results() {
                out.push((
                    r,
                    s.eval_resource_name().to_string(),
                    s.eval_resource_decision(),
                    statements(s.matched_statements()),
                    denied_by(
                        s.eval_resource_decision(),
                        r.organizations_decision_detail(),
                        s.permissions_boundary_decision_detail()
                            .or(r.permissions_boundary_decision_detail()),
                        s.matched_statements(),
                    ),
                ));
            }
        }
    }
    out
}

/// The layer that refused, as the simulator tells it: an organization's SCP, the permissions boundary, or an
/// identity policy's explicit deny (a matched statement of an identity policy type). The first that refuses is
/// named; the boundary's name is not in the result.
fn denied_by(
    decision: &PolicyEvaluationDecisionType,
    orgs: Option<&OrganizationsDecisionDetail>,
    boundary: Option<&PermissionsBoundaryDecisionDetail>,
    matched: &[aws_sdk_iam::types::Statement],
) -> Option<DeniedBy> {
    if *decision == PolicyEvaluationDecisionType::Allowed {
        return None;
    }
    let layer = |layer, policy| Some(DeniedBy { layer, policy });
    if orgs.is_some_and(|o| !o.allowed_by_organizations()) {
        return layer(DenyLayer::ServiceControlPolicy, None);
    }
    if boundary.is_some_and(|b| !b.allowed_by_permissions_boundary()) {
        return layer(DenyLayer::PermissionsBoundary, None);
    }
    if *decision != PolicyEvaluationDecisionType::ExplicitDeny {
        return None;
    }
    let identity = matched.iter().find(|m| {
        matches!(
            m.source_policy_type(),
            Some(
                PolicySourceType::User
                    | PolicySourceType::Group
                    | PolicySourceType::Role
                    | PolicySourceType::AwsManaged
                    | PolicySourceType::UserManaged
            )
        )
    })?;
    layer(
        DenyLayer::IdentityPolicy,
        identity.source_policy_id().map(str::to_string),
    )
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
        denied_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tags_a_policy_tests_are_read_from_the_keys_it_misses() {
        let missing = vec![
            "ssm:resourceTag/Env".to_string(),
            "aws:SourceIp".to_string(),
            "AWS:ResourceTag/team".to_string(),
        ];
        assert_eq!(
            resource_tag_keys(&missing),
            [
                ("ssm:resourceTag/Env", "Env"),
                ("AWS:ResourceTag/team", "team")
            ]
        );
        let tags: BTreeMap<String, String> = [("Env", "prod"), ("Team", "ops")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        assert_eq!(tag_value(&tags, "Env").map(String::as_str), Some("prod"));
        assert_eq!(tag_value(&tags, "team").map(String::as_str), Some("ops"));
        assert_eq!(tag_value(&tags, "Owner"), None);
    }
}
