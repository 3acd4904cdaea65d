//! `endpoint-subnet-az`: The endpoints have a subnet in the instance's zone (`rules/endpoint-subnet-az.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::paths::{endpoints_in_use, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let subnets = c.facts.subnets.need("the subnets")?;
    let Some(az) = a.instance.availability_zone.as_deref() else {
        return Ok(Outcome::unknown(
            "the instance's availability zone is not in the facts",
        ));
    };
    let mut evidence = Vec::new();
    let mut elsewhere = Vec::new();
    let mut none = Vec::new();
    let mut elsewhere_ids = Vec::new();
    for (leg, e) in &in_use {
        let service = leg.service;
        let mut azs = Vec::new();
        for id in &e.subnet_ids {
            match subnets.iter().find(|s| &s.subnet_id == id) {
                Some(s) => azs.push(s.availability_zone.as_str()),
                None => {
                    return Ok(Outcome::unknown(format!(
                        "subnet {id} of {} is not in the facts",
                        e.vpc_endpoint_id
                    )))
                }
            }
        }
        evidence.push(format!(
            "{} ({service}): {}",
            e.vpc_endpoint_id,
            if azs.is_empty() {
                "no subnets".to_string()
            } else {
                azs.join(", ")
            }
        ));
        if azs.is_empty() {
            none.push(e.vpc_endpoint_id.clone());
        } else if !azs.contains(&az) {
            elsewhere.push(format!("{} ({service})", e.vpc_endpoint_id));
            elsewhere_ids.push(e.vpc_endpoint_id.clone());
        }
    }
    if !none.is_empty() {
        return Ok(Outcome::fail(format!(
            "{} has no subnet, so it has no address to connect to",
            none.join(", ")
        ))
        .evidence_all(evidence)
        .remedy(add_subnet(&none, a.subnet_id)));
    }
    if !elsewhere.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} has no subnet in the instance's zone {az}: traffic crosses zones (it works, but costs more and fails with the other zone)",
            elsewhere.join(", ")
        ))
        .evidence_all(evidence)
        .remedy(format!("Add a subnet in {az}:\n{}", add_subnet(&elsewhere_ids, a.subnet_id))));
    }
    Ok(Outcome::pass(format!("every endpoint in use has a subnet in {az}")).evidence_all(evidence))
}

/// Adds the instance's subnet to each endpoint.
fn add_subnet(endpoints: &[String], subnet: &str) -> String {
    endpoints
        .iter()
        .map(|e| {
            format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {e} --add-subnet-ids {subnet}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
