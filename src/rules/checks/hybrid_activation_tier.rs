//! `hybrid-activation-tier`: Hybrid nodes: the instance tier Session Manager needed (`rules/hybrid-activation-tier.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

/// The hybrid-node tier: Session Manager needed `advanced` until AWS removed the tier on 30 June 2026.
pub fn check(c: &Check) -> Verdict {
    if !c.facts.is_hybrid() {
        return Ok(Outcome::skip(
            "an EC2 instance: the tier concerns hybrid nodes",
        ));
    }
    let tier = c
        .facts
        .activation_tier
        .need("the account's instance tier")?;
    let evidence = format!("/ssm/managed-instance/activation-tier = {tier}");
    Ok(if tier.eq_ignore_ascii_case("advanced") {
        Outcome::pass("the account uses the advanced-instances tier").evidence(evidence)
    } else {
        Outcome::pass(format!(
            "the account's tier is {tier}, which Session Manager no longer minds"
        ))
        .evidence(evidence)
        .note("Until 30 June 2026 Session Manager needed the advanced-instances tier for hybrid nodes (\"Enable advanced-instances tier to use Session Manager with your on-premises instances\"); AWS has since removed the tier (Systems Manager \"activations\" page).")
    })
}
