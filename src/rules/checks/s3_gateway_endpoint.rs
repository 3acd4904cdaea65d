//! `s3-gateway-endpoint`: S3 is reachable without internet (`rules/s3-gateway-endpoint.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    if a.internet.works() {
        return Ok(Outcome::pass(format!(
            "S3 is reached over {}",
            a.internet.describe()
        )));
    }
    // Session logs go to S3 only from shell sessions.
    let logging_to_s3 = c
        .facts
        .session_preferences
        .value()
        .filter(|_| c.options.mode.is_shell())
        .and_then(|p| p.s3_bucket.clone());
    let problem = |msg: String| match &logging_to_s3 {
        Some(bucket) => Outcome::fail(format!(
            "{msg}; session logs to s3://{bucket} cannot be written"
        )),
        None => Outcome::warn(format!(
            "{msg}: agent updates (AWS-UpdateSSMAgent), patching and S3 output cannot reach S3"
        )),
    };
    let table = &a.table.route_table_id;
    let Some(gw) = a.s3_gateway() else {
        return Ok(problem("no S3 gateway endpoint and no route to the internet".into()).remedy(format!(
            "aws ec2 create-vpc-endpoint --vpc-endpoint-type Gateway --vpc-id {} --service-name com.amazonaws.{}.s3 --route-table-ids {table}",
            a.instance.vpc_id.as_deref().unwrap_or("VPC_ID"),
            a.region()
        )));
    };
    if !gw.route_table_ids.iter().any(|t| t == table) {
        return Ok(problem(format!(
            "S3 gateway endpoint {} is not associated with the instance's route table {table}",
            gw.vpc_endpoint_id
        ))
        .remedy(format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --add-route-table-ids {table}",
            gw.vpc_endpoint_id
        )));
    }
    // A strict instance SG must let 443 out to the S3 prefix list (the article rdp-requirements: pl-61a54008 in Tokyo).
    let prefix_list = a
        .table
        .routes
        .iter()
        .find(|r| r.target == gw.vpc_endpoint_id)
        .and_then(|r| r.destination_prefix_list_id.clone());
    let Some(pl) = prefix_list else {
        return Ok(Outcome::unknown(format!(
            "route table {table} shows no prefix-list route to {}",
            gw.vpc_endpoint_id
        )));
    };
    let groups = c.groups(&a.instance.security_group_ids)?;
    let peer = crate::network::Peer {
        prefix_list: Some(&pl),
        ..Default::default()
    };
    let evidence = format!(
        "{} → {table} route {pl} → {}",
        gw.vpc_endpoint_id, gw.vpc_endpoint_id
    );
    Ok(match crate::network::sg::permits(&groups, true, 443, &peer, c.prefix_lists()) {
        crate::network::sg::SgVerdict::Allowed { group, rule } => Outcome::pass(format!("S3 gateway endpoint {} serves the subnet", gw.vpc_endpoint_id))
            .evidence(evidence)
            .evidence(crate::network::sg::describe(group, rule, true)),
        crate::network::sg::SgVerdict::Denied => problem(format!("the instance's security groups do not allow 443 out to the S3 prefix list {pl}"))
            .evidence(evidence)
            .remedy(format!(
                "aws ec2 authorize-security-group-egress --group-id {} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{{PrefixListId={pl}}}]'",
                a.instance.security_group_ids.first().map(String::as_str).unwrap_or("INSTANCE_SG_ID")
            )),
        crate::network::sg::SgVerdict::Unknown(why) => Outcome::unknown(why).evidence(evidence),
    })
}
