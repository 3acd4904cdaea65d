//! Local evaluation of the caller's identity policies: the fallback when `iam:SimulatePrincipalPolicy` is denied.
//!
//! It answers the same questions as the simulation (StartSession on the instance and on every mode's document,
//! Terminate/ResumeSession on the caller's own sessions, kms:GenerateDataKey on the session key), as the caller is
//! now and as if MFA were present, so the caller rules read one shape whatever produced it.

use super::principal::{Principal, PrincipalKind};
use crate::facts::{
    CallerPermissions, Decision, DeniedBy, DenyLayer, Facts, Missing, PermissionCheck, Scenario,
    Unavailable,
};
use crate::options::Mode;
use crate::policy::{evaluate_identity, Context, Evaluation, Policy, Request};
use std::collections::BTreeMap;

pub const LOCAL_LIMITATIONS: &[&str] = &[
    "Evaluated locally from your identity policies and permissions boundary: service control policies, resource control policies, session policies and resource-based policies are not seen.",
];

/// The ARN `ssm:StartSession` checks for `mode`'s document: AWS-owned documents have no account, the
/// preferences document is the account's own.
pub fn document_arn(facts: &Facts, account: &str, mode: Mode) -> String {
    let region = &facts.target.region;
    let partition = facts.partition().name;
    match mode {
        Mode::Shell => format!(
            "arn:{partition}:ssm:{region}:{account}:document/{}",
            mode.document()
        ),
        m => format!("arn:{partition}:ssm:{region}::document/{}", m.document()),
    }
}

pub fn evaluate_locally(facts: &Facts) -> Result<CallerPermissions, Missing> {
    let docs = facts
        .caller_policies
        .need("the caller's policy documents")?;
    let caller = facts.caller.need("who the caller is")?;
    let error = |message: String| Missing {
        what: "the caller's policies",
        reason: Unavailable::Error { message },
    };
    let principal = Principal::from_caller_arn(&caller.arn)
        .ok_or_else(|| error(format!("cannot read the caller ARN {}", caller.arn)))?;
    let mut identity = Vec::new();
    for p in &docs.policies {
        let parsed = Policy::parse(&p.document).map_err(|e| error(format!("{}: {e}", p.name)))?;
        identity.push((p.name.clone(), parsed));
    }
    let boundary = match &docs.permissions_boundary {
        Some(b) => Some((
            b.name.clone(),
            Policy::parse(&b.document).map_err(|e| error(format!("{}: {e}", b.name)))?,
        )),
        None => None,
    };

    let account = facts
        .target
        .account
        .clone()
        .unwrap_or_else(|| caller.account.clone());
    let questions = super::questions(facts, &account, &principal, &[facts.target_arn()]);

    let identity_refs: Vec<(&str, &Policy)> =
        identity.iter().map(|(n, p)| (n.as_str(), p)).collect();
    let boundary_ref = boundary.as_ref().map(|(n, p)| (n.as_str(), p));
    let asker = Asker {
        facts,
        principal: &principal,
        user_id: &caller.user_id,
        identity: &identity_refs,
        boundary: boundary_ref,
    };
    let boundary_name = boundary.as_ref().map(|(n, _)| n.as_str());
    let mut checks = Vec::new();
    for (scenario, mfa) in [
        (Scenario::Current, current_mfa(facts)),
        (Scenario::WithMfa, Some(true)),
    ] {
        for q in &questions {
            if scenario == Scenario::WithMfa && !q.ask_with_mfa {
                continue;
            }
            for resource in &q.resources {
                let outcome = asker.answer(q, resource, mfa);
                checks.push(check(q.action, resource, scenario, outcome, boundary_name));
            }
        }
    }
    let all = identity.iter().chain(&boundary).map(|(_, p)| p);
    Ok(CallerPermissions {
        method: "local_evaluation".into(),
        principal_arn: docs.principal_arn.clone(),
        checks,
        limitations: limitations(facts, &principal, &identity, &boundary),
        session_document_access_check: Some(uses_key(all, super::DOCUMENT_ACCESS_CHECK)),
    })
}

/// What local evaluation cannot see; and, when the policies test the caller's tags and the caller is a role, that
/// its session tags are not seen either.
fn limitations(
    facts: &Facts,
    principal: &Principal,
    identity: &[(String, Policy)],
    boundary: &Option<(String, Policy)>,
) -> Vec<String> {
    let mut out: Vec<String> = LOCAL_LIMITATIONS.iter().map(|s| s.to_string()).collect();
    let all = identity.iter().chain(boundary).map(|(_, p)| p);
    let open = !matches!(super::principal_tags(facts, principal), Some((_, true)));
    if open && uses_key_prefix(all, super::PRINCIPAL_TAG_PREFIX) {
        out.push(super::SESSION_TAGS_UNSEEN.into());
    }
    out
}

/// One question on one resource, asked of the caller's documents.
struct Asker<'a> {
    facts: &'a Facts,
    principal: &'a Principal,
    user_id: &'a str,
    identity: &'a [(&'a str, &'a Policy)],
    boundary: Option<(&'a str, &'a Policy)>,
}

impl Asker<'_> {
    fn answer(&self, q: &super::Question, resource: &str, mfa: Option<bool>) -> Evaluation {
        if self.principal.kind == PrincipalKind::Root {
            return Evaluation::Allowed {
                by: crate::policy::Source {
                    policy: "the root user".into(),
                    sid: "(all actions)".into(),
                },
            };
        }
        // The instance's tags are the request's resource tags when the request is on the instance.
        let instance_tags = (resource == self.facts.target_arn())
            .then(|| self.facts.instance.value()?.tags.as_ref())
            .flatten();
        let ctx = context(
            self.facts,
            self.principal,
            self.user_id,
            super::carries_mfa_keys(q.action).then_some(mfa),
            &q.context,
            instance_tags,
        );
        evaluate_identity(
            self.identity,
            self.boundary,
            &Request {
                action: q.action,
                resource,
                context: &ctx,
            },
        )
    }
}

/// Whether any statement's condition tests a key of the family `prefix` (e.g. `aws:PrincipalTag/`).
fn uses_key_prefix<'p>(policies: impl Iterator<Item = &'p Policy>, prefix: &str) -> bool {
    let prefix = prefix.to_ascii_lowercase();
    policies
        .flat_map(|p| &p.statements)
        .filter_map(|s| s.condition.as_ref())
        .flat_map(|block| block.values())
        .filter_map(|keys| keys.as_object())
        .any(|keys| {
            keys.keys()
                .any(|k| k.to_ascii_lowercase().starts_with(&prefix))
        })
}

/// Whether any statement's condition tests `key` (keys are case-insensitive).
fn uses_key<'p>(policies: impl Iterator<Item = &'p Policy>, key: &str) -> bool {
    policies
        .flat_map(|p| &p.statements)
        .filter_map(|s| s.condition.as_ref())
        .flat_map(|block| block.values())
        .filter_map(|keys| keys.as_object())
        .any(|keys| keys.keys().any(|k| k.eq_ignore_ascii_case(key)))
}

fn check(
    action: &str,
    resource: &str,
    scenario: Scenario,
    outcome: Evaluation,
    boundary: Option<&str>,
) -> PermissionCheck {
    let denied_by = denied_by(&outcome, boundary);
    let (decision, matched, why) = match outcome {
        Evaluation::Allowed { by } => (Decision::Allowed, vec![by.to_string()], None),
        Evaluation::ExplicitDeny { by } => (Decision::ExplicitDeny, vec![by.to_string()], None),
        Evaluation::ImplicitDeny { why } => (Decision::ImplicitDeny, vec![], Some(why)),
        Evaluation::Unknown { why } => (Decision::Unknown, vec![], Some(why)),
    };
    PermissionCheck {
        action: action.into(),
        resource: resource.into(),
        decision,
        scenario,
        principal_arn: None,
        context: Default::default(),
        matched_statements: matched,
        why,
        denied_by,
    }
}

/// The layer of a local denial: the boundary (its explicit deny, or its not allowing what the identity policies
/// allow), or an identity policy's explicit deny.
fn denied_by(outcome: &Evaluation, boundary: Option<&str>) -> Option<DeniedBy> {
    let in_boundary = |policy: &str| boundary == Some(policy);
    match outcome {
        Evaluation::ExplicitDeny { by } => Some(DeniedBy {
            layer: if in_boundary(&by.policy) {
                DenyLayer::PermissionsBoundary
            } else {
                DenyLayer::IdentityPolicy
            },
            policy: Some(by.policy.clone()),
        }),
        Evaluation::ImplicitDeny { why } => boundary
            .filter(|b| why == &format!("the permissions boundary {b} does not allow it"))
            .map(|b| DeniedBy {
                layer: DenyLayer::PermissionsBoundary,
                policy: Some(b.to_string()),
            }),
        _ => None,
    }
}

/// `aws:MultiFactorAuthPresent` as the credentials stand: absent for long-term keys, true or false for
/// temporary ones when known, else unknown (`None` here means "not known", handled by the context).
fn current_mfa(facts: &Facts) -> Option<bool> {
    let creds = facts.credentials.value()?;
    if creds.mfa_authenticated == Some(true) {
        return Some(true);
    }
    if creds.temporary {
        return creds.mfa_authenticated;
    }
    Some(false)
}

/// The request context IAM would see. Keys not set here stay unknown, so a condition on them is Unknown. `mfa`:
/// `None` when the action's requests carry no MFA keys at all, else MFA as the credentials stand.
fn context(
    facts: &Facts,
    p: &Principal,
    user_id: &str,
    mfa: Option<Option<bool>>,
    extra: &[(&'static str, String)],
    resource_tags: Option<&BTreeMap<String, String>>,
) -> Context {
    let kind = match p.kind {
        PrincipalKind::User => "User",
        PrincipalKind::AssumedRole { .. } => "AssumedRole",
        PrincipalKind::Root => "Account",
        PrincipalKind::FederatedUser => "FederatedUser",
    };
    let mut pairs = vec![
        ("aws:PrincipalArn".to_string(), p.policy_arn.clone()),
        ("aws:PrincipalAccount".into(), p.account.clone()),
        ("aws:PrincipalType".into(), kind.into()),
        ("aws:userid".into(), user_id.into()),
        ("aws:RequestedRegion".into(), facts.target.region.clone()),
        ("aws:SecureTransport".into(), "true".into()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    // The facts' time stands for the request's: a session started now is close enough to it.
    if let Some(at) = &facts.gathered_at {
        pairs.push(("aws:CurrentTime".into(), at.clone()));
    }
    // Only IAM users have aws:username; for anyone else a ${aws:username} element can never match.
    let mut absent = vec![];
    if p.kind == PrincipalKind::User {
        pairs.push(("aws:username".into(), p.name.clone()));
    } else {
        absent.push("aws:username");
    }
    let long_term = facts.credentials.value().is_some_and(|c| !c.temporary);
    match mfa {
        // An action whose requests never carry MFA keys (nor the network keys the same page names): IfExists
        // conditions on them apply, plain ones do not.
        None => absent.extend(super::keys_never_carried(super::REQUEST_ACTION)),
        // Long-term keys carry no MFA keys at all, nor a token's issue time.
        Some(Some(false)) if long_term => {
            absent.extend([
                "aws:MultiFactorAuthPresent",
                "aws:MultiFactorAuthAge",
                "aws:TokenIssueTime",
            ]);
        }
        Some(Some(present)) => {
            pairs.push(("aws:MultiFactorAuthPresent".into(), present.to_string()));
            if present {
                pairs.push(("aws:MultiFactorAuthAge".into(), "0".into()));
            }
        }
        Some(None) => {}
    }
    // Tags known in full make a tag that is not there absent: the instance's on a request on it, an IAM user's own.
    let mut families: Vec<&str> = Vec::new();
    if let Some(tags) = resource_tags {
        pairs.extend(super::tag_context(&super::RESOURCE_TAG_PREFIXES, tags));
        families.extend(super::RESOURCE_TAG_PREFIXES);
    }
    if let Some((tags, all_known)) = super::principal_tags(facts, p) {
        pairs.extend(super::tag_context(&[super::PRINCIPAL_TAG_PREFIX], tags));
        if all_known {
            families.push(super::PRINCIPAL_TAG_PREFIX);
        }
    }
    Context::open(pairs)
        .with_absent(absent)
        .with_absent_prefixes(families)
}
