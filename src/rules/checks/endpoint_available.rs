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
    // Pending endpoints become available within minutes; a failed or rejected one never does.
    let mut pending = Vec::new();
    let mut stuck = false;
    for (leg, e) in &eps {
        f.evidence(format!(
            "{} ({}): {}",
            e.vpc_endpoint_id, leg.service, e.state
        ));
        if !e.state.eq_ignore_ascii_case("available") {
            if e.state.eq_ignore_ascii_case("pending") {
                pending.push(e.vpc_endpoint_id.clone());
            } else {
                stuck = true;
            }
            f.problem_for(
                &leg.need,
                format!("{} ({}) is {}", e.vpc_endpoint_id, leg.service, e.state),
            );
        }
    }
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) => settles(Outcome::fail(format!("not every endpoint is available: {p}")), &pending, stuck)
            .remedy("A pending endpoint needs a few minutes; a failed or rejected one must be deleted (aws ec2 delete-vpc-endpoints) and created again (see network-path)."),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => Outcome::pass(match eps.len() {
            1 => "the endpoint is available".to_string(),
            2 => "both endpoints are available".to_string(),
            n => format!("all {n} endpoints are available"),
        }),
    }))
}

/// Endpoints that are only pending: a failure that ends by itself.
fn settles(out: Outcome, pending: &[String], stuck: bool) -> Outcome {
    match (stuck, pending) {
        (false, [one]) => out.settles(format!("{one} to become available")),
        (false, [_, ..]) => out.settles(format!("{} to become available", pending.join(", "))),
        _ => out,
    }
}
