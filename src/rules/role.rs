//! The role the agent runs with: who may assume it, and what its documents allow.

use super::outcome::by_reason;
use super::{agent_calls, Check, Outcome, Verdict};
use crate::facts::{Facts, Role};
use crate::policy::{
    evaluate_identity, evaluate_trust, Context, Outcome as Decision, Policy, Request,
};

/// The role's identity policies and boundary, parsed; a document that does not parse is reported as Unknown.
struct Documents {
    identity: Vec<(String, Policy)>,
    boundary: Option<(String, Policy)>,
}

impl Documents {
    fn of(role: &Role) -> Result<Documents, Outcome> {
        let parse = |name: &str, doc: &serde_json::Value| {
            Policy::parse(doc).map_err(|e| {
                Outcome::unknown(format!(
                    "cannot read policy {name} of role {}: {e}",
                    role.name
                ))
            })
        };
        let mut identity = Vec::new();
        for p in &role.attached_policies {
            identity.push((p.name.clone(), parse(&p.name, &p.document)?));
        }
        for p in &role.inline_policies {
            let name = format!("inline policy {}", p.name);
            identity.push((name.clone(), parse(&name, &p.document)?));
        }
        let boundary = match &role.permissions_boundary {
            Some(b) => Some((b.name.clone(), parse(&b.name, &b.document)?)),
            None => None,
        };
        Ok(Documents { identity, boundary })
    }

    fn decide(&self, action: &str, resource: &str, ctx: &Context) -> Decision {
        let identity: Vec<(&str, &Policy)> =
            self.identity.iter().map(|(n, p)| (n.as_str(), p)).collect();
        let boundary = self.boundary.as_ref().map(|(n, p)| (n.as_str(), p));
        evaluate_identity(
            &identity,
            boundary,
            &Request {
                action,
                resource,
                context: ctx,
            },
        )
    }
}

pub fn trust(c: &Check) -> Verdict {
    let in_use = c.role_in_use()?;
    let role = in_use.role();
    let service = in_use.trusted_service();
    let policy = Policy::parse(&role.trust_policy).map_err(|e| {
        Outcome::unknown(format!(
            "cannot read the trust policy of {}: {e}",
            role.name
        ))
    })?;
    // The service's request context is not ours to know: conditions on it stay Unknown.
    let ctx = Context::open::<&str>([]);
    Ok(
        match evaluate_trust(
            &policy,
            "trust policy",
            "sts:AssumeRole",
            ("Service", service),
            &ctx,
        ) {
            Decision::Allowed { by } => {
                Outcome::pass(format!("{} ({}) trusts {service}", role.name, in_use.via()))
                    .evidence(format!("{} allows sts:AssumeRole by {service}", by))
            }
            Decision::Unknown { why } => Outcome::unknown(format!(
                "cannot tell whether {} trusts {service}: {why}",
                role.name
            )),
            other => {
                let why = match other {
                    Decision::ExplicitDeny { by } => format!("{by} denies it"),
                    Decision::ImplicitDeny { why } => why,
                    _ => unreachable!(),
                };
                Outcome::fail(format!("{} does not let {service} assume it ({why})", role.name))
                .evidence(format!("trust policy of {}: {}", role.arn, role.trust_policy))
                .remedy(format!(
                    "Let {service} assume the role:\naws iam update-assume-role-policy --role-name {} --policy-document \
                     '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{service}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'",
                    role.name
                ))
            }
        },
    )
}

pub fn agent_permissions(c: &Check) -> Verdict {
    let in_use = c.role_in_use()?;
    let role = in_use.role();
    let docs = Documents::of(role)?;
    let instance_arn = c.facts.target_arn();
    let ctx = Context::open([("ec2:SourceInstanceARN", instance_arn.as_str())]);
    let resource_for = |action: &str| {
        if action.starts_with("ssm:") {
            instance_arn.clone()
        } else {
            "*".to_string()
        }
    };

    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = Vec::new();
    for action in agent_calls::actions("ssm")
        .iter()
        .chain(agent_calls::actions("ssmmessages"))
        .copied()
    {
        match docs.decide(action, &resource_for(action), &ctx) {
            Decision::Allowed { by } => evidence.push(format!("{action}: allowed by {by}")),
            Decision::ExplicitDeny { by } => {
                denied.push((action, format!("explicitly denied by {by}")))
            }
            Decision::ImplicitDeny { why } => denied.push((action, why)),
            Decision::Unknown { why } => unknown.push(format!("{action} ({why})")),
        }
    }
    let missing_ec2messages: Vec<&str> = agent_calls::actions("ec2messages")
        .iter()
        .copied()
        .filter(|a| !docs.decide(a, "*", &ctx).is_allowed())
        .collect();
    let attach = format!(
        "aws iam attach-role-policy --role-name {} --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        role.name
    );
    if !denied.is_empty() {
        return Ok(Outcome::fail(format!("role {} does not allow what the agent needs: {}", role.name, by_reason(&denied)))
            .evidence_all(evidence)
            .remedy(format!(
                "Attach AmazonSSMManagedInstanceCore (or a policy that allows ssm:UpdateInstanceInformation and the four \
                 ssmmessages channel actions), and remove any deny or boundary that blocks them:\n{attach}"
            )));
    }
    if !unknown.is_empty() {
        return Ok(undecided(role, &unknown, evidence));
    }
    if !missing_ec2messages.is_empty() {
        return Ok(Outcome::warn(format!(
            "role {} allows the Session Manager actions but not {}: agents before 3.3.40.0 still need them",
            role.name,
            missing_ec2messages.join(", ")
        ))
        .evidence_all(evidence)
        .remedy(format!("Allow the ec2messages actions too; AmazonSSMManagedInstanceCore does:\n{attach}")));
    }
    Ok(Outcome::pass(format!(
        "role {} allows every action the agent needs",
        role.name
    ))
    .evidence_all(evidence))
}

/// The role's documents could not decide some actions (an unsupported condition, an unknown key).
fn undecided(role: &Role, unknown: &[String], evidence: Vec<String>) -> Outcome {
    Outcome::unknown(format!(
        "cannot tell whether role {} allows {}",
        role.name,
        unknown.join(", ")
    ))
    .evidence_all(evidence)
}

pub fn deprecated_policy(c: &Check) -> Verdict {
    let role = c.role_in_use()?.role();
    let old = role
        .attached_policies
        .iter()
        .find(|p| p.arn.ends_with("/AmazonEC2RoleforSSM"));
    Ok(match old {
        Some(p) => Outcome::warn(format!(
            "role {} uses the deprecated AmazonEC2RoleforSSM, which grants far more than the agent needs (every S3 bucket, for one)",
            role.name
        ))
        .evidence(format!("attached: {}", p.arn))
        .remedy(format!(
            "Replace it with AmazonSSMManagedInstanceCore:\n\
             aws iam attach-role-policy --role-name {0} --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore\n\
             aws iam detach-role-policy --role-name {0} --policy-arn {1}",
            role.name, p.arn
        )),
        None => Outcome::pass(format!("role {} does not use AmazonEC2RoleforSSM", role.name)),
    })
}

pub fn logging_permissions(c: &Check) -> Verdict {
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let needs = logging_needs(c.facts);
    if needs.is_empty() {
        return Ok(Outcome::skip(if prefs.document_exists {
            "the session preferences turn on no S3 or CloudWatch logging and no KMS encryption"
        } else {
            "no session preferences saved in this region: no logging or KMS encryption"
        }));
    }
    let in_use = c.role_in_use()?;
    let role = in_use.role();
    let docs = Documents::of(role)?;
    let ctx = Context::open::<&str>([]);
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for (action, resource, why) in &needs {
        match docs.decide(action, resource, &ctx) {
            Decision::Allowed { by } => {
                evidence.push(format!("{action} on {resource}: allowed by {by}"))
            }
            Decision::Unknown { why: w } => unknown.push(format!("{action} ({w})")),
            _ => missing.push(format!("{action} on {resource} ({why})")),
        }
    }
    if !missing.is_empty() {
        return Ok(Outcome::fail(format!("role {} lacks what session logging/encryption needs: {}", role.name, missing.join("; ")))
            .evidence_all(evidence)
            .note("AmazonSSMManagedInstanceCore grants none of these.")
            .remedy(format!(
                "Add an inline policy to {} that allows the actions above on those resources \
                 (`aws iam put-role-policy --role-name {} --policy-name SessionManagerLogging --policy-document file://policy.json`).",
                role.name, role.name
            )));
    }
    if !unknown.is_empty() {
        return Ok(undecided(role, &unknown, evidence));
    }
    Ok(Outcome::pass(format!(
        "role {} allows the logging and encryption the preferences turn on",
        role.name
    ))
    .evidence_all(evidence))
}

/// (action, resource, which setting needs it) for the preferences in force.
fn logging_needs(facts: &Facts) -> Vec<(String, String, &'static str)> {
    let Some(prefs) = facts.session_preferences.value() else {
        return Vec::new();
    };
    let region = &facts.target.region;
    let account = facts.account();
    let mut needs = Vec::new();
    if let Some(bucket) = &prefs.s3_bucket {
        let prefix = prefs
            .s3_key_prefix
            .as_deref()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .unwrap_or_default();
        needs.push((
            "s3:PutObject".into(),
            format!("arn:aws:s3:::{bucket}/{prefix}session.log"),
            "S3 session logging",
        ));
        needs.push((
            "s3:GetEncryptionConfiguration".into(),
            format!("arn:aws:s3:::{bucket}"),
            "S3 session logging",
        ));
    }
    if let Some(group) = &prefs.cloudwatch_log_group {
        let arn = format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:session");
        needs.push((
            "logs:CreateLogStream".into(),
            arn.clone(),
            "CloudWatch session logging",
        ));
        needs.push((
            "logs:PutLogEvents".into(),
            arn,
            "CloudWatch session logging",
        ));
        needs.push((
            "logs:DescribeLogGroups".into(),
            "*".into(),
            "CloudWatch session logging",
        ));
        needs.push((
            "logs:DescribeLogStreams".into(),
            format!("arn:aws:logs:{region}:{account}:log-group:{group}:*"),
            "CloudWatch session logging",
        ));
    }
    if let Some(key) = &prefs.kms_key_id {
        let arn = crate::caller::kms_key_arn(key, region, &account);
        needs.push(("kms:Decrypt".into(), arn, "KMS session encryption"));
    }
    needs
}
