//! The instance exists, runs, and has a role the agent can use.

use super::check::{AgentRole, DHMC_MINIMUM};
use super::{Check, Outcome, Verdict};
use crate::facts::Unavailable;

pub fn running(c: &Check) -> Verdict {
    let id = &c.facts.target.id;
    let region = &c.facts.target.region;
    let instance = match c.facts.instance.get_ref() {
        Ok(i) => i,
        Err(Unavailable::NotFound { what }) => {
            return Ok(Outcome::fail(format!("{id} does not exist in {region}: {what}"))
                .evidence(format!("ec2:DescribeInstances found no {id} in {region}"))
                .remedy(format!(
                    "Check the region and the profile: `TargetNotConnected` is often a wrong region or account. \
                     Look for it with `aws ec2 describe-instances --instance-ids {id} --region <region>` in the \
                     account that owns it, then run ssm-check with `--region`/`--profile` set to match."
                )))
        }
        Err(reason) => return Err(Outcome::missing("the instance", reason)),
    };
    let state = instance.state.as_str();
    let evidence = format!("{id} state: {state}");
    Ok(match state {
        "running" => Outcome::pass(format!("{id} is running")).evidence(evidence),
        "pending" => Outcome::fail(format!("{id} is still starting (pending)"))
            .evidence(evidence)
            .remedy("Wait until it is running and the agent has registered (a minute or two), then check again."),
        "stopped" | "stopping" => Outcome::fail(format!("{id} is not running ({state})"))
            .evidence(evidence)
            .remedy(format!("Start it: `aws ec2 start-instances --instance-ids {id} --region {region}`")),
        _ => Outcome::fail(format!("{id} is {state}: it cannot be started again"))
            .evidence(evidence)
            .remedy("Connect to another instance; a terminated instance is gone."),
    })
}

pub fn role_attached(c: &Check) -> Verdict {
    let instance = c.facts.instance.need("the instance")?;
    let id = &instance.instance_id;
    let region = &c.facts.target.region;
    let Some(arn) = &instance.instance_profile_arn else {
        let dhmc = c
            .facts
            .dhmc
            .need("the Default Host Management Configuration setting")?;
        return Ok(match &dhmc.role_name {
            Some(role) => Outcome::pass(format!(
                "no instance profile, but Default Host Management Configuration gives the agent role {role}"
            ))
            .evidence(format!("{id} has no instance profile"))
            .evidence(format!("{DHMC_SETTING} = {role}")),
            None => Outcome::fail(format!("{id} has no instance profile, and Default Host Management Configuration is off"))
                .evidence(format!("{id} has no instance profile"))
                .evidence(format!("{DHMC_SETTING} is not set"))
                .note("The agent logs `RequestManagedInstanceRoleToken: AccessDeniedException: Systems Manager's instance management role is not configured for account`.")
                .remedy(attach_profile_remedy(c, id, region)),
        });
    };
    let profile = c.facts.instance_profile.need("the instance profile")?;
    let holds = match profile.role_names.first() {
        Some(role) => format!("{id} → {arn} → role {role}"),
        None => format!("{id} → {arn} → no role"),
    };
    // The agent tries the profile first and falls back to DHMC's role when the profile's credentials are refused
    // (agent `ec2roleprovider`; AWS page "SSM Agent credentials precedence").
    let in_use = c.role_in_use()?;
    if let AgentRole::MaybeFallback { problem, dhmc, .. } = &in_use {
        return Ok(Outcome::unknown(format!(
            "instance profile {} cannot serve Systems Manager ({}); agents from {} fall back to the DHMC role {}, and this agent's version is not known",
            profile.name,
            problem.describe(),
            problem.fallback_from(),
            dhmc.name
        ))
        .evidence(holds));
    }
    if let AgentRole::Fallback { problem, dhmc } = in_use {
        return Ok(Outcome::warn(format!(
            "instance profile {} cannot serve Systems Manager ({}); the agent falls back to the DHMC role {}",
            profile.name,
            problem.describe(),
            dhmc.name
        ))
        .evidence(holds)
        .evidence(format!("{DHMC_SETTING} = {}", dhmc.name))
        .note("From agent 3.2.582.0 the agent falls back to Default Host Management Configuration when the instance profile's credentials are refused (amazon-ssm-agent ec2roleprovider).")
        .remedy(format!(
            "The profile does nothing for Systems Manager: give its role AmazonSSMManagedInstanceCore, or detach it \
             (`aws ec2 disassociate-iam-instance-profile --association-id <id> --region {region}`) if DHMC is meant to serve."
        )));
    }
    let Some(role) = profile.role_names.first() else {
        let dhmc_on = c.facts.dhmc.value().is_some_and(|d| d.role_name.is_some());
        let mut out = Outcome::fail(format!(
            "instance profile {} has no role in it",
            profile.name
        ))
        .evidence(holds)
        .remedy(format!(
            "Add a role that trusts {} and has AmazonSSMManagedInstanceCore: \
             `aws iam add-role-to-instance-profile --instance-profile-name {} --role-name <role>`",
            c.facts.partition().ec2_principal(),
            profile.name
        ));
        if dhmc_on {
            out = out.note(format!(
                "Default Host Management Configuration is on, but agent {} predates the fallback to it ({DHMC_MINIMUM}).",
                c.agent_version().map_or("?".to_string(), |v| v.to_string())
            ));
        }
        return Ok(out);
    };
    let mut out = Outcome::pass(format!(
        "instance profile {} carries role {role}",
        profile.name
    ))
    .evidence(holds);
    // A profile that cannot serve, in a DHMC account, with an agent too old to fall back: say why DHMC does not help.
    let dhmc_on = c.facts.dhmc.value().is_some_and(|d| d.role_name.is_some());
    if let (true, Ok(Some(problem)), Some(v)) = (dhmc_on, c.profile_problem(), c.agent_version()) {
        if v < problem.fallback_from() {
            out = out.note(format!(
                "The profile cannot serve Systems Manager ({}), and agent {v} predates the fallback to Default Host Management Configuration ({}): update the agent (see agent-version) or fix the role.",
                problem.describe(),
                problem.fallback_from()
            ));
        }
    }
    Ok(out)
}

/// The service setting that turns on Default Host Management Configuration.
const DHMC_SETTING: &str = "/ssm/managed-instance/default-ec2-instance-management-role";

fn attach_profile_remedy(c: &Check, id: &str, region: &str) -> String {
    let partition = c.facts.partition();
    format!(
        "Create a role for the agent and attach it through an instance profile:\n\
         aws iam create-role --role-name SSMInstanceRole --assume-role-policy-document \
         '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"{}\"}},\"Action\":\"sts:AssumeRole\"}}]}}'\n\
         aws iam attach-role-policy --role-name SSMInstanceRole --policy-arn {}\n\
         aws iam create-instance-profile --instance-profile-name SSMInstanceProfile\n\
         aws iam add-role-to-instance-profile --instance-profile-name SSMInstanceProfile --role-name SSMInstanceRole\n\
         aws ec2 associate-iam-instance-profile --instance-id {id} --iam-instance-profile Name=SSMInstanceProfile --region {region}\n\
         (or turn on Default Host Management Configuration for the account)",
        partition.ec2_principal(),
        partition.managed_policy("AmazonSSMManagedInstanceCore")
    )
}

/// DHMC's own needs, whenever DHMC supplies the role: IMDSv2 usable, and an agent that knows DHMC (and, when it
/// takes over from a refused instance profile, the fallback).
pub fn dhmc_prerequisites(c: &Check) -> Verdict {
    let instance = c.facts.instance.need("the instance")?;
    let in_use = c.role_in_use()?;
    let minimum = match &in_use {
        AgentRole::Profile(_) => {
            return Ok(Outcome::skip(
                "the instance profile's role serves the agent; DHMC is not used",
            ))
        }
        AgentRole::Dhmc(_) => DHMC_MINIMUM,
        AgentRole::Fallback { problem, .. } | AgentRole::MaybeFallback { problem, .. } => {
            problem.fallback_from()
        }
    };
    let id = &instance.instance_id;
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    // DHMC needs IMDSv2 to be usable, not IMDSv1 to be off: tokens `optional` or `required` both serve.
    match &instance.metadata_options {
        Some(m) if m.http_endpoint == "disabled" => problems.push(format!(
            "the instance metadata service is disabled, so the agent cannot get DHMC credentials \
             (fix: `aws ec2 modify-instance-metadata-options --instance-id {id} --http-endpoint enabled`)"
        )),
        Some(m) => evidence.push(format!(
            "IMDS endpoint {}, tokens {}: IMDSv2 is usable",
            m.http_endpoint, m.http_tokens
        )),
        None => {
            return Ok(Outcome::unknown(
                "DHMC needs IMDSv2, and the instance's metadata options are not in the facts",
            )
            .needs("ec2:DescribeInstances"))
        }
    }
    match c.agent_version() {
        Some(v) if v < minimum => problems.push(format!(
            "agent {v} predates it (needs {minimum}); update it: `aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={id}`"
        )),
        Some(v) => evidence.push(format!("agent {v} ≥ {minimum}")),
        None => {
            return Ok(Outcome::unknown(format!(
                "DHMC needs agent {minimum} or later, and the agent's version is not known"
            ))
            .evidence_all(evidence))
        }
    }
    if problems.is_empty() {
        return Ok(Outcome::pass(format!(
            "DHMC can give this instance its role ({}): IMDSv2 is usable and the agent is new enough",
            in_use.via()
        ))
        .evidence_all(evidence));
    }
    Ok(Outcome::fail(format!(
        "DHMC cannot give this instance its role: {}",
        problems.join("; ")
    ))
    .evidence_all(evidence)
    .remedy("Fix each item above, or attach an instance profile with a working role instead (see instance-role)."))
}

/// The hybrid-node tier: Session Manager needed `advanced` until AWS removed the tier on 30 June 2026.
pub fn activation_tier(c: &Check) -> Verdict {
    if !c.facts.is_hybrid() {
        return Ok(Outcome::skip(
            "an EC2 instance: the tier concerns hybrid nodes",
        ));
    }
    let tier = c
        .facts
        .activation_tier
        .need("the account's instance tier")?;
    let evidence = format!("/ssm/managed-instance/activation-tier = {tier}");
    Ok(if tier.eq_ignore_ascii_case("advanced") {
        Outcome::pass("the account uses the advanced-instances tier").evidence(evidence)
    } else {
        Outcome::pass(format!(
            "the account's tier is {tier}, which Session Manager no longer minds"
        ))
        .evidence(evidence)
        .note("Until 30 June 2026 Session Manager needed the advanced-instances tier for hybrid nodes (\"Enable advanced-instances tier to use Session Manager with your on-premises instances\"); AWS has since removed the tier (Systems Manager \"activations\" page).")
    })
}
