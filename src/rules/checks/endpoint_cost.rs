//! `endpoint-cost`: What the endpoints cost (`rules/endpoint-cost.toml`).

use crate::facts::VpcEndpoint;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::paths::{legs, no_endpoints};
use crate::rules::shared::Check;

/// Every interface endpoint is billed, needed or not: the count is of those present for Systems Manager.
pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let in_use: Vec<&VpcEndpoint> = ["ssm", "ssmmessages", "ec2messages", "kms", "logs"]
        .iter()
        .filter_map(|s| a.interface_endpoint(s))
        .collect();
    if in_use.is_empty() {
        return Ok(no_endpoints(&a, &legs(c, &a)));
    }
    let endpoint_azs: usize = in_use.iter().map(|e| e.subnet_ids.len().max(1)).sum();
    Ok(Outcome::pass(format!(
        "{} interface {} in {endpoint_azs} {}: each is billed per hour in each zone",
        in_use.len(),
        if in_use.len() == 1 {
            "endpoint"
        } else {
            "endpoints"
        },
        if endpoint_azs == 1 {
            "zone"
        } else {
            "zone placements"
        }
    ))
    .note("EC2 Instance Connect Endpoint costs nothing, but has no session logging."))
}
