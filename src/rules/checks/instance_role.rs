//! `instance-role`: The agent has a role: an instance profile, or Default Host Management Configuration (`rules/instance-role.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::{AgentRole, DHMC_MINIMUM};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let instance = c.facts.instance.need("the instance")?;
    let id = &instance.instance_id;
    let Some(arn) = &instance.instance_profile_arn else {
        return without_profile(c, id);
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
            "The profile does nothing for Systems Manager: give its role AmazonSSMManagedInstanceCore, or, if DHMC is meant to serve, detach it. The association's id (ASSOCIATION_ID) is listed by:\n\
             aws ec2 describe-iam-instance-profile-associations --filters Name=instance-id,Values={id}\n\
             aws ec2 disassociate-iam-instance-profile --association-id ASSOCIATION_ID"
        )));
    }
    let Some(role) = profile.role_names.first() else {
        return Ok(empty_profile(c, &profile.name, holds));
    };
    let out = Outcome::pass(format!(
        "instance profile {} carries role {role}",
        profile.name
    ))
    .evidence(holds);
    Ok(match too_old_to_fall_back(c) {
        Some(note) => out.note(note),
        None => out,
    })
}

/// No instance profile: DHMC's role, or none at all.
fn without_profile(c: &Check, id: &str) -> Verdict {
    let dhmc = c
        .facts
        .dhmc
        .need("the Default Host Management Configuration setting")?;
    Ok(match &dhmc.role_name {
        Some(role) => Outcome::pass(format!(
            "no instance profile, but Default Host Management Configuration gives the agent role {role}"
        ))
        .evidence(format!("{id} has no instance profile"))
        .evidence(format!("{DHMC_SETTING} = {role}")),
        None => Outcome::fail(format!("{id} has no instance profile, and Default Host Management Configuration is off"))
            .evidence(format!("{id} has no instance profile"))
            .evidence(format!("{DHMC_SETTING} is not set"))
            .note("The agent logs `RequestManagedInstanceRoleToken: AccessDeniedException: Systems Manager's instance management role is not configured for account`.")
            .remedy(attach_profile_remedy(c, id, &c.facts.target.region)),
    })
}

/// A profile with no role, and an agent that does not fall back to DHMC.
fn empty_profile(c: &Check, profile: &str, holds: String) -> Outcome {
    let out = Outcome::fail(format!("instance profile {profile} has no role in it"))
        .evidence(holds)
        .remedy(format!(
            "Add a role that trusts {} and has AmazonSSMManagedInstanceCore:\n\
             aws iam add-role-to-instance-profile --instance-profile-name {profile} --role-name ROLE_NAME",
            c.facts.partition().ec2_principal(),
        ));
    if !dhmc_on(c) {
        return out;
    }
    out.note(format!(
        "Default Host Management Configuration is on, but agent {} predates the fallback to it ({DHMC_MINIMUM}).",
        c.agent_version().map_or("?".to_string(), |v| v.to_string())
    ))
}

/// A profile that cannot serve, in a DHMC account, with an agent too old to fall back: why DHMC does not help.
fn too_old_to_fall_back(c: &Check) -> Option<String> {
    let (Ok(Some(problem)), Some(v)) = (c.profile_problem(), c.agent_version()) else {
        return None;
    };
    (dhmc_on(c) && v < problem.fallback_from()).then(|| format!(
        "The profile cannot serve Systems Manager ({}), and agent {v} predates the fallback to Default Host Management Configuration ({}): update the agent (see agent-version) or fix the role.",
        problem.describe(),
        problem.fallback_from()
    ))
}

fn dhmc_on(c: &Check) -> bool {
    c.facts.dhmc.value().is_some_and(|d| d.role_name.is_some())
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
