//! `endpoint-available`: The Systems Manager endpoints are available (`rules/endpoint-available.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{endpoints_present, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let eps = endpoints_present(&legs);
    if eps.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let mut f = Findings::new();
    for (leg, e) in &eps {
        f.evidence(format!(
            "{} ({}): {}",
            e.vpc_endpoint_id, leg.service, e.state
        ));
        if !e.state.eq_ignore_ascii_case("available") {
            f.problem_for(
                &leg.need,
                format!("{} ({}) is {}", e.vpc_endpoint_id, leg.service, e.state),
            );
        }
    }
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => Outcome::fail(format!("not every endpoint is available: {p}"))
            .remedy("A pending endpoint needs a few minutes; a failed or rejected one must be deleted (aws ec2 delete-vpc-endpoints) and created again (see network-path)."),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => Outcome::pass(match eps.len() {
            1 => "the endpoint is available".to_string(),
            2 => "both endpoints are available".to_string(),
            n => format!("all {n} endpoints are available"),
        }),
    }))
}
