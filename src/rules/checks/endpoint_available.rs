//! `endpoint-available`: The Systems Manager endpoints are available (`rules/endpoint-available.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::Problems;
use crate::rules::shared::paths::{endpoints_present, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let eps = endpoints_present(&legs);
    if eps.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let evidence = eps
        .iter()
        .map(|(l, e)| format!("{} ({}): {}", e.vpc_endpoint_id, l.service, e.state))
        .collect::<Vec<_>>();
    let mut problems = Problems::new();
    for (leg, e) in &eps {
        if !e.state.eq_ignore_ascii_case("available") {
            problems.add(
                &leg.need,
                format!("{} ({}) is {}", e.vpc_endpoint_id, leg.service, e.state),
            );
        }
    }
    if let Some(out) = problems.outcome(|p| {
        Outcome::fail(format!("not every endpoint is available: {p}"))
            .remedy("A pending endpoint needs a few minutes; a failed or rejected one must be deleted and created again (`aws ec2 delete-vpc-endpoints`, then create-vpc-endpoint).")
    }) {
        return Ok(out.evidence_all(evidence));
    }
    Ok(Outcome::pass(match eps.len() {
        1 => "the endpoint is available".to_string(),
        n => format!("all {n} endpoints are available"),
    })
    .evidence_all(evidence))
}
