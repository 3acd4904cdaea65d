//! `logging-kms-endpoints`: The instance reaches KMS and CloudWatch Logs when the preferences use them (`rules/logging-kms-endpoints.toml`).

use crate::network::path::Via;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{create_endpoint, legs, Leg};
use crate::rules::shared::Check;

/// The kms and logs services, when a shell session's preferences need them: reached through an endpoint or the
/// way out (their endpoints' state, DNS, security groups, ACLs and policies are checked with the core ones).
pub fn check(c: &Check) -> Verdict {
    c.shell_only()?;
    let a = c.analysis()?;
    let legs: Vec<Leg> = legs(c, &a)
        .into_iter()
        .filter(|l| matches!(l.service, "kms" | "logs"))
        .collect();
    if legs.is_empty() {
        return Ok(Outcome::skip(
            "no KMS encryption or CloudWatch logging in the session preferences",
        ));
    }
    let mut f = Findings::new();
    for leg in &legs {
        let consequence = match leg.service {
            "kms" => "with KMS encryption the session cannot start",
            _ => "with CloudWatch logging the session shows a blank screen or waits about 2 minutes before the prompt",
        };
        match leg.path.via {
            Via::Endpoint(e) => f.evidence(format!("{} → {}", leg.service, e.vpc_endpoint_id)),
            Via::Internet if a.internet.works() => f.evidence(format!(
                "{} → public endpoint over {}",
                leg.service,
                a.internet.describe()
            )),
            Via::Internet => {
                f.problem_for(&leg.need, format!("{} ({consequence})", leg.service));
                f.remedy("Create the endpoints, with ENDPOINT_SG_ID a security group that admits TCP 443 from the instance:");
                f.remedy(create_endpoint(&a, leg.service));
            }
        }
    }
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!("the instance cannot reach {p}")),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => {
            Outcome::pass("the instance can reach the services the session preferences use")
        }
    }))
}
