//! `instance-running`: The instance exists and is running (`rules/instance-running.toml`).

use crate::facts::Unavailable;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let id = &c.facts.target.id;
    let region = &c.facts.target.region;
    let instance = match c.facts.instance.get_ref() {
        Ok(i) => i,
        Err(Unavailable::NotFound { what }) => {
            return Ok(Outcome::fail(format!("{id} does not exist in {region}: {what}"))
                .evidence(format!("ec2:DescribeInstances found no {id} in {region}"))
                .remedy(format!(
                    "Check the region and the profile: `TargetNotConnected` is often a wrong region or account. \
                     Look for it in the account that owns it, region by region, then run ssm-check with --region and \
                     --profile set to match:\n\
                     aws ec2 describe-instances --instance-ids {id} --region REGION"
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
            .settles(format!("{id} to start"))
            .remedy(format!(
                "Wait until it is running and the agent has registered (a minute or two); to check until then:\n\
                 ssm-check {id} --region {region} --wait 10m"
            )),
        // Stopping ends stopped, which is not ready either: nothing to wait for.
        "stopping" => Outcome::fail(format!("{id} is not running (stopping)"))
            .evidence(evidence)
            .remedy(format!("Once it has stopped, start it:\naws ec2 start-instances --instance-ids {id} --region {region}")),
        "stopped" => Outcome::fail(format!("{id} is not running ({state})"))
            .evidence(evidence)
            .remedy(format!("Start it:\naws ec2 start-instances --instance-ids {id} --region {region}")),
        _ => Outcome::fail(format!("{id} is {state}: it cannot be started again"))
            .evidence(evidence)
            .remedy("Connect to another instance; a terminated instance is gone."),
    })
}
