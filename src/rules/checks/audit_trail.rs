//! `audit-trail`: StartSession calls are recorded (`rules/audit-trail.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let trails = c.facts.cloudtrail.need("the CloudTrail trails")?;
    let region = &c.facts.target.region;
    let active: Vec<String> = trails
        .iter()
        .filter(|t| t.is_logging && (t.is_multi_region || &t.home_region == region))
        .map(|t| t.name.clone())
        .collect();
    if active.is_empty() {
        return Ok(Outcome::warn(format!("no active CloudTrail trail records StartSession calls in {region}"))
            .remedy("Create a multi-region trail into a bucket of yours, and watch ssm.amazonaws.com StartSession events with EventBridge:\naws cloudtrail create-trail --name sessions --s3-bucket-name BUCKET --is-multi-region-trail\naws cloudtrail start-logging --name sessions"));
    }
    Ok(Outcome::pass(format!(
        "StartSession calls in {region} are recorded by {}",
        active.join(", ")
    )))
}
