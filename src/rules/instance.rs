//! The instance exists, runs, and has a role the agent can use.

use super::{Check, Outcome, Verdict};
use crate::facts::Unavailable;
use crate::version::Version4;

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
    if let Some(arn) = &instance.instance_profile_arn {
        let profile = c.facts.instance_profile.need("the instance profile")?;
        return Ok(match profile.role_names.first() {
            Some(role) => Outcome::pass(format!("instance profile {} carries role {role}", profile.name))
                .evidence(format!("{id} → {arn} → role {role}")),
            None => Outcome::fail(format!("instance profile {} has no role in it", profile.name))
                .evidence(format!("{id} → {arn} → no role"))
                .remedy(format!(
                    "Add a role that trusts ec2.amazonaws.com and has AmazonSSMManagedInstanceCore: \
                     `aws iam add-role-to-instance-profile --instance-profile-name {} --role-name <role>`",
                    profile.name
                )),
        });
    }
    let dhmc = c
        .facts
        .dhmc
        .need("the Default Host Management Configuration setting")?;
    Ok(match &dhmc.role_name {
        Some(role) => Outcome::pass(format!(
            "no instance profile, but Default Host Management Configuration gives the agent role {role}"
        ))
        .evidence(format!("{id} has no instance profile"))
        .evidence(format!("/ssm/managed-instance/default-ec2-instance-management-role = {role}")),
        None => Outcome::fail(format!("{id} has no instance profile, and Default Host Management Configuration is off"))
            .evidence(format!("{id} has no instance profile"))
            .evidence("/ssm/managed-instance/default-ec2-instance-management-role is not set")
            .note("The agent logs `RequestManagedInstanceRoleToken: AccessDeniedException: Systems Manager's instance management role is not configured for account`.")
            .remedy(attach_profile_remedy(id, &c.facts.target.region)),
    })
}

pub(super) fn attach_profile_remedy(id: &str, region: &str) -> String {
    format!(
        "Create a role for the agent and attach it through an instance profile:\n\
         aws iam create-role --role-name SSMInstanceRole --assume-role-policy-document \
         '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"ec2.amazonaws.com\"}},\"Action\":\"sts:AssumeRole\"}}]}}'\n\
         aws iam attach-role-policy --role-name SSMInstanceRole --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore\n\
         aws iam create-instance-profile --instance-profile-name SSMInstanceProfile\n\
         aws iam add-role-to-instance-profile --instance-profile-name SSMInstanceProfile --role-name SSMInstanceRole\n\
         aws ec2 associate-iam-instance-profile --instance-id {id} --iam-instance-profile Name=SSMInstanceProfile --region {region}\n\
         (or turn on Default Host Management Configuration for the account)"
    )
}

/// DHMC's own needs: IMDSv2 reachable and an agent that knows DHMC.
pub fn dhmc_prerequisites(c: &Check) -> Verdict {
    let instance = c.facts.instance.need("the instance")?;
    if instance.instance_profile_arn.is_some() {
        return Ok(Outcome::skip(
            "the instance profile's role is used; DHMC is not needed",
        ));
    }
    let dhmc = c.facts.dhmc.need("the DHMC setting")?;
    if dhmc.role_name.is_none() {
        return Ok(Outcome::skip("DHMC is off (see instance-role)"));
    }
    const MIN: Version4 = Version4::new(3, 2, 582, 0);
    let mut problems = Vec::new();
    let mut out =
        Outcome::pass("DHMC can reach the instance: IMDSv2 is on and the agent is new enough");
    match &instance.metadata_options {
        Some(m) if m.http_endpoint == "disabled" => problems.push(format!(
            "the instance metadata service is disabled, so the agent cannot get DHMC credentials \
             (fix: `aws ec2 modify-instance-metadata-options --instance-id {} --http-endpoint enabled --http-tokens required`)",
            instance.instance_id
        )),
        Some(m) => out = out.evidence(format!("IMDS endpoint {}, tokens {}", m.http_endpoint, m.http_tokens)),
        None => out = out.note("the instance's metadata options are not in the facts"),
    }
    match c.agent_version() {
        Some(v) if v < MIN => problems.push(format!(
            "agent {v} predates DHMC (needs {MIN}); update it: `aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={}`",
            instance.instance_id
        )),
        Some(v) => out = out.evidence(format!("agent {v} ≥ {MIN}")),
        None => out = out.note(format!("the agent's version is not known; DHMC needs {MIN} or later")),
    }
    if problems.is_empty() {
        return Ok(out);
    }
    let mut fail = Outcome::fail(format!(
        "DHMC cannot give this instance its role: {}",
        problems.join("; ")
    ))
    .remedy("Fix each item above, or attach an instance profile instead (see instance-role).");
    fail.evidence = out.evidence;
    Ok(fail)
}
