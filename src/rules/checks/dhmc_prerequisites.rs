//! `dhmc-prerequisites`: DHMC can give the instance its role (`rules/dhmc-prerequisites.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::agent_role::{AgentRole, DHMC_MINIMUM};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::Check;

/// DHMC's own needs, whenever DHMC supplies the role: IMDSv2 usable, and an agent that knows DHMC (and, when it
/// takes over from a refused instance profile, the fallback).
pub fn check(c: &Check) -> Verdict {
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
    let mut f = Findings::new();
    // DHMC needs IMDSv2 to be usable, not IMDSv1 to be off: tokens `optional` or `required` both serve.
    match &instance.metadata_options {
        Some(m) if m.http_endpoint == "disabled" => {
            f.problem("the instance metadata service is disabled, so the agent cannot get DHMC credentials");
            f.remedy(format!(
                "aws ec2 modify-instance-metadata-options --instance-id {id} --http-endpoint enabled"
            ));
        }
        Some(m) => f.evidence(format!(
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
        Some(v) if v < minimum => {
            f.problem(format!("agent {v} predates it (needs {minimum})"));
            f.remedy(format!(
                "aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={id}"
            ));
        }
        Some(v) => f.evidence(format!("agent {v} ≥ {minimum}")),
        None => {
            return Ok(f.stop(Outcome::unknown(format!(
                "DHMC needs agent {minimum} or later, and the agent's version is not known"
            ))))
        }
    }
    f.remedy("or attach an instance profile with a working role instead (see instance-role).");
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => {
            Outcome::fail(format!("DHMC cannot give this instance its role: {p}"))
        }
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => Outcome::pass(format!(
            "DHMC can give this instance its role ({}): IMDSv2 is usable and the agent is new enough",
            in_use.via()
        )),
    }))
}
