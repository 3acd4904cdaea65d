//! The role the agent runs with: who may assume it, and what its documents allow.

use super::check::AgentRole;
use super::needs::Need;
use super::outcome::by_reason;
use super::role_policies::{agent_context, agent_resource, trusts, RolePolicies};
use super::{agent_calls, Check, Outcome, Verdict};
use crate::facts::{Facts, Role};
use crate::policy::{Context, Outcome as Decision};

pub fn trust(c: &Check) -> Verdict {
    c.per_role(|in_use| trust_of(c, in_use))
}

fn trust_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
    let (decision, service) = match in_use {
        AgentRole::Profile(_) => (c.trusted_by_ec2(role)?, c.facts.partition().ec2_principal()),
        _ => (trusts(role, DHMC_SERVICE)?, DHMC_SERVICE),
    };
    Ok(match decision {
        Decision::Allowed { by } => {
            Outcome::pass(format!("{} ({}) trusts {service}", role.name, in_use.via()))
                .evidence(format!("{by} allows sts:AssumeRole by {service}"))
        }
        Decision::Unknown { why } => Outcome::unknown(format!(
            "cannot tell whether {} trusts {service}: {why}",
            role.name
        )),
        Decision::ExplicitDeny { by } => untrusted(role, service, &format!("{by} denies it")),
        Decision::ImplicitDeny { why } => untrusted(role, service, &why),
    })
}

/// The service DHMC's role must trust.
const DHMC_SERVICE: &str = "ssm.amazonaws.com";

fn untrusted(role: &Role, service: &str, why: &str) -> Outcome {
    Outcome::fail(format!("{} does not let {service} assume it ({why})", role.name))
        .evidence(format!("trust policy of {}: {}", role.arn, role.trust_policy))
        .remedy(format!(
            "Let {service} assume the role:\naws iam update-assume-role-policy --role-name {} --policy-document \
             '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{service}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'",
            role.name
        ))
}

pub fn agent_permissions(c: &Check) -> Verdict {
    c.per_role(|in_use| agent_permissions_of(c, in_use))
}

fn agent_permissions_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
    let policies = RolePolicies::of(role)?;
    let ctx = agent_context(c.facts);
    let via = in_use.via();

    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = Vec::new();
    for service in ["ssm", "ssmmessages"] {
        for action in agent_calls::actions(service) {
            match policies.decide(action, &agent_resource(c.facts, action), &ctx) {
                Decision::Allowed { by } => evidence.push(format!("{action}: allowed by {by}")),
                Decision::ExplicitDeny { by } => {
                    denied.push((*action, format!("explicitly denied by {by}")))
                }
                Decision::ImplicitDeny { why } => denied.push((*action, why)),
                Decision::Unknown { why } => unknown.push(format!("{action} ({why})")),
            }
        }
    }
    let missing_ec2messages: Vec<&str> = agent_calls::actions("ec2messages")
        .iter()
        .copied()
        .filter(|a| !policies.decide(a, "*", &ctx).is_allowed())
        .collect();
    let attach = format!(
        "aws iam attach-role-policy --role-name {} --policy-arn {}",
        role.name,
        c.facts
            .partition()
            .managed_policy("AmazonSSMManagedInstanceCore")
    );
    if !denied.is_empty() {
        return Ok(Outcome::fail(format!(
            "role {} ({via}) does not allow what the agent needs: {}",
            role.name,
            by_reason(&denied)
        ))
        .evidence_all(evidence)
        .remedy(format!(
            "Attach AmazonSSMManagedInstanceCore (or a policy that allows ssm:UpdateInstanceInformation and the four \
             ssmmessages channel actions), and lift any deny or boundary that blocks them:\n{attach}"
        )));
    }
    if !unknown.is_empty() {
        return Ok(undecided(role, &unknown, evidence));
    }
    let allowed = Outcome::pass(format!(
        "role {} ({via}) allows every action the agent needs",
        role.name
    ))
    .evidence_all(evidence);
    if missing_ec2messages.is_empty() {
        return Ok(allowed);
    }
    let missing = missing_ec2messages.join(", ");
    Ok(match c.ec2messages_need() {
        Need::NotNeeded(why) => allowed.note(format!(
            "The role does not allow {missing}: {why}. Run Command on older agents would need them."
        )),
        Need::Required(why) => Outcome::fail(format!(
            "role {} ({via}) does not allow {missing}, and {why} (see agent-version)",
            role.name
        ))
        .evidence_all(allowed.evidence)
        .remedy(format!(
            "Update the agent (see agent-version), or allow the ec2messages actions; AmazonSSMManagedInstanceCore does:\n{attach}"
        )),
        Need::Unknown(why) => Outcome::unknown(format!(
            "role {} ({via}) does not allow {missing}: {why}",
            role.name
        ))
        .evidence_all(allowed.evidence),
    })
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
    c.per_role(|in_use| deprecated_policy_of(c, in_use))
}

fn deprecated_policy_of(c: &Check, in_use: &AgentRole) -> Verdict {
    let role = in_use.role();
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
             aws iam attach-role-policy --role-name {0} --policy-arn {2}\n\
             aws iam detach-role-policy --role-name {0} --policy-arn {1}",
            role.name,
            p.arn,
            c.facts
                .partition()
                .managed_policy("AmazonSSMManagedInstanceCore")
        )),
        None => Outcome::pass(format!("role {} does not use AmazonEC2RoleforSSM", role.name)),
    })
}

pub fn logging_permissions(c: &Check) -> Verdict {
    c.shell_only()?;
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
    c.per_role(|in_use| logging_permissions_of(c, in_use, &needs))
}

fn logging_permissions_of(
    c: &Check,
    in_use: &AgentRole,
    needs: &[(String, String, &'static str)],
) -> Verdict {
    let _ = c;
    let role = in_use.role();
    let policies = RolePolicies::of(role)?;
    let ctx = Context::open::<&str>([]);
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for (action, resource, why) in needs {
        match policies.decide(action, resource, &ctx) {
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

/// (action, resource, which setting needs it) for the preferences in force. `s3:GetEncryptionConfiguration` only
/// when S3 encryption is enforced: the agent asks for the bucket's encryption only then (agent `shell.go`).
fn logging_needs(facts: &Facts) -> Vec<(String, String, &'static str)> {
    let Some(prefs) = facts.session_preferences.value() else {
        return Vec::new();
    };
    let region = &facts.target.region;
    let account = facts.account();
    let partition = facts.partition().name;
    let mut needs = Vec::new();
    if let Some(bucket) = &prefs.s3_bucket {
        let prefix = prefs
            .s3_key_prefix
            .as_deref()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .unwrap_or_default();
        needs.push((
            "s3:PutObject".into(),
            format!("arn:{partition}:s3:::{bucket}/{prefix}session.log"),
            "S3 session logging",
        ));
        if prefs.s3_encryption_enabled {
            needs.push((
                "s3:GetEncryptionConfiguration".into(),
                format!("arn:{partition}:s3:::{bucket}"),
                "enforced S3 log encryption",
            ));
        }
    }
    if let Some(group) = &prefs.cloudwatch_log_group {
        let group_arn = format!("arn:{partition}:logs:{region}:{account}:log-group:{group}");
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            needs.push((
                action.into(),
                format!("{group_arn}:log-stream:session"),
                "CloudWatch session logging",
            ));
        }
        needs.push((
            "logs:DescribeLogGroups".into(),
            "*".into(),
            "CloudWatch session logging",
        ));
        needs.push((
            "logs:DescribeLogStreams".into(),
            format!("{group_arn}:*"),
            "CloudWatch session logging",
        ));
    }
    if let Some(key) = &prefs.kms_key_id {
        let arn = crate::caller::kms_key_arn(facts, key, &account);
        needs.push(("kms:Decrypt".into(), arn, "KMS session encryption"));
    }
    needs
}
