//! The path from the instance to Systems Manager: routes and interface endpoints.

use super::{agent_calls, Check, Outcome, Verdict};
use crate::facts::VpcEndpoint;
use crate::network::path::{Analysis, Via, CORE_SERVICES};
use crate::policy::{evaluate_identity, Context, Outcome as Decision, Policy, Request};

fn create_endpoint(a: &Analysis, service: &str) -> String {
    format!(
        "aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id {} --service-name com.amazonaws.{}.{service} \
         --subnet-ids {} --security-group-ids <sg-admitting-443-from-the-instance> --private-dns-enabled --region {}",
        a.instance.vpc_id.as_deref().unwrap_or("<vpc>"),
        a.region(),
        a.subnet_id,
        a.region()
    )
}

pub fn path(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let mut evidence = vec![format!(
        "{} uses route table {}",
        a.subnet_id, a.table.route_table_id
    )];
    let mut broken = Vec::new();
    for p in a.core_paths() {
        match p.via {
            Via::Endpoint(e) => evidence.push(format!(
                "{} → {} (interface endpoint, private DNS)",
                p.service, e.vpc_endpoint_id
            )),
            Via::Internet if a.internet.works() => evidence.push(format!(
                "{} → public endpoint over {}",
                p.service,
                a.internet.describe()
            )),
            Via::Internet => broken.push(p),
        }
    }
    if broken.is_empty() {
        let mut out = Outcome::pass("the instance has a way to ssm, ec2messages and ssmmessages")
            .evidence_all(evidence);
        if let Some(beyond) = a.internet.beyond().filter(|_| a.uses_internet()) {
            out = out.note(beyond);
        }
        return Ok(out);
    }
    let names: Vec<&str> = broken.iter().map(|p| p.service).collect();
    let (silent, absent): (Vec<_>, Vec<_>) = broken.iter().partition(|p| p.endpoint.is_some());
    let mut reasons = Vec::new();
    if !silent.is_empty() {
        let list: Vec<String> = silent
            .iter()
            .map(|p| {
                format!(
                    "{} ({})",
                    p.endpoint.map_or("", |e| e.vpc_endpoint_id.as_str()),
                    p.service
                )
            })
            .collect();
        reasons.push(format!(
            "the endpoints {} exist but their private DNS names do not answer in this VPC (see endpoint-private-dns)",
            list.join(", ")
        ));
    }
    if !absent.is_empty() {
        reasons.push(format!(
            "no interface endpoint for {}",
            absent
                .iter()
                .map(|p| p.service)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut remedy = vec![
        "Either create the interface endpoints (the layout for a private subnet):".to_string(),
    ];
    remedy.extend(absent.iter().map(|p| create_endpoint(&a, p.service)));
    if !silent.is_empty() {
        remedy[0] = "Either make the endpoints answer (see endpoint-private-dns) and create any missing ones:".to_string();
    }
    remedy.push(format!(
        "or give the subnet a way out: `aws ec2 create-route --route-table-id {} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-…>`",
        a.table.route_table_id
    ));
    Ok(Outcome::fail(format!(
        "the agent cannot reach {} from {}: {}, and {}",
        names.join(", "),
        a.subnet_id,
        reasons.join("; "),
        a.internet.describe()
    ))
    .evidence_all(evidence)
    .remedy(remedy.join("\n")))
}

/// Interface endpoints for the core services present in the VPC, used or not.
fn core_endpoints<'a>(a: &Analysis<'a>) -> Vec<(&'static str, &'a VpcEndpoint)> {
    CORE_SERVICES
        .iter()
        .filter_map(|s| a.interface_endpoint(s).map(|e| (*s, e)))
        .collect()
}

/// Why an endpoint rule has nothing to look at: no endpoints, or endpoints the agent's traffic does not use.
fn no_endpoints(a: &Analysis) -> Outcome {
    let exist = CORE_SERVICES
        .iter()
        .any(|s| a.interface_endpoint(s).is_some());
    let what = if exist {
        "the VPC's Systems Manager interface endpoints are not in use (their private DNS names do not answer here; see endpoint-private-dns)"
    } else {
        "no Systems Manager interface endpoints in this VPC"
    };
    if a.internet.works() {
        Outcome::skip(format!(
            "{what}: the instance goes out over {}",
            a.internet.describe()
        ))
    } else {
        Outcome::skip(format!(
            "{what}, and the instance has no working way out either (see network-path)"
        ))
    }
}

pub fn endpoint_available(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let eps = core_endpoints(&a);
    if eps.is_empty() {
        return Ok(no_endpoints(&a));
    }
    let (ok, bad): (Vec<_>, Vec<_>) = eps
        .iter()
        .partition(|(_, e)| e.state.eq_ignore_ascii_case("available"));
    let evidence = eps
        .iter()
        .map(|(s, e)| format!("{} ({s}): {}", e.vpc_endpoint_id, e.state))
        .collect::<Vec<_>>();
    if bad.is_empty() {
        return Ok(Outcome::pass(match ok.len() {
            1 => "the endpoint is available".to_string(),
            n => format!("all {n} endpoints are available"),
        })
        .evidence_all(evidence));
    }
    let names = bad
        .iter()
        .map(|(s, e)| format!("{} ({s}) is {}", e.vpc_endpoint_id, e.state))
        .collect::<Vec<_>>();
    Ok(Outcome::fail(format!("not every endpoint is available: {}", names.join(", ")))
        .evidence_all(evidence)
        .remedy("A pending endpoint needs a few minutes; a failed or rejected one must be deleted and created again (`aws ec2 delete-vpc-endpoints`, then create-vpc-endpoint)."))
}

pub fn endpoint_private_dns(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let eps = core_endpoints(&a);
    if eps.is_empty() {
        return Ok(no_endpoints(&a));
    }
    let mut problems = Vec::new();
    let mut remedy = Vec::new();
    let mut evidence = Vec::new();
    let mut off = Vec::new();
    for (service, e) in &eps {
        evidence.push(format!(
            "{} ({service}): private DNS {}",
            e.vpc_endpoint_id,
            if e.private_dns_enabled { "on" } else { "off" }
        ));
        if !e.private_dns_enabled {
            off.push(format!("{} ({service})", e.vpc_endpoint_id));
            remedy.push(format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled",
                e.vpc_endpoint_id
            ));
        }
    }
    if !off.is_empty() {
        problems.push(format!(
            "private DNS is off on {}, so the services' names (e.g. ssm.{}.amazonaws.com) resolve to the public endpoints",
            off.join(", "),
            a.region()
        ));
    }
    match c.facts.vpc_dns.get_ref() {
        Ok(dns) => {
            let vpc = a.instance.vpc_id.as_deref().unwrap_or("the VPC");
            evidence.push(format!(
                "{vpc}: enableDnsSupport {}, enableDnsHostnames {}",
                dns.enable_dns_support, dns.enable_dns_hostnames
            ));
            for (on, attr) in [
                (dns.enable_dns_support, "enableDnsSupport"),
                (dns.enable_dns_hostnames, "enableDnsHostnames"),
            ] {
                if !on {
                    problems.push(format!("{vpc} has {attr} off, which private DNS needs"));
                    let flag = if attr == "enableDnsSupport" {
                        "--enable-dns-support"
                    } else {
                        "--enable-dns-hostnames"
                    };
                    remedy.push(format!(
                        "aws ec2 modify-vpc-attribute --vpc-id {vpc} {flag} '{{\"Value\":true}}'"
                    ));
                }
            }
        }
        Err(reason) => {
            if problems.is_empty() {
                return Ok(
                    Outcome::missing("the VPC's DNS attributes", reason).evidence_all(evidence)
                );
            }
        }
    }
    if problems.is_empty() {
        return Ok(Outcome::pass("private DNS answers for every endpoint").evidence_all(evidence));
    }
    let out = if a.internet.works() {
        Outcome::warn(format!(
            "{}: the endpoints are bypassed and traffic leaves over {}",
            problems.join("; "),
            a.internet.describe()
        ))
    } else {
        Outcome::fail(format!(
            "{}: with no route to the internet the agent cannot reach the service",
            problems.join("; ")
        ))
    };
    Ok(out.evidence_all(evidence).remedy(remedy.join("\n")))
}

pub fn endpoint_subnet_az(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let in_use = a.endpoints_in_use();
    if in_use.is_empty() {
        return Ok(no_endpoints(&a));
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
    for (service, e) in &in_use {
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
        }
    }
    if !none.is_empty() {
        return Ok(Outcome::fail(format!(
            "{} has no subnet, so it has no address to connect to",
            none.join(", ")
        ))
        .evidence_all(evidence)
        .remedy(format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id <id> --add-subnet-ids {}",
            a.subnet_id
        )));
    }
    if !elsewhere.is_empty() {
        return Ok(Outcome::warn(format!(
            "{} has no subnet in the instance's zone {az}: traffic crosses zones (it works, but costs more and fails with the other zone)",
            elsewhere.join(", ")
        ))
        .evidence_all(evidence)
        .remedy(format!("Add a subnet in {az}: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id <id> --add-subnet-ids {}`", a.subnet_id)));
    }
    Ok(Outcome::pass(format!("every endpoint in use has a subnet in {az}")).evidence_all(evidence))
}

fn is_default_policy(p: &Policy) -> bool {
    p.statements.len() == 1 && {
        let s = &p.statements[0];
        s.allow
            && !s.not_action
            && s.actions == ["*"]
            && s.resources.as_deref() == Some(&["*".to_string()][..])
            && s.condition.is_none()
            && matches!(s.principal, Some(crate::policy::Principal::Any))
    }
}

pub fn endpoint_policy(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let in_use = a.endpoints_in_use();
    if in_use.is_empty() {
        return Ok(no_endpoints(&a));
    }
    let ctx = Context::open::<&str>([]);
    let instance_arn = c.facts.target_arn();
    let mut custom = Vec::new();
    let mut blocked = Vec::new();
    let mut unknown = Vec::new();
    for (service, e) in &in_use {
        let Some(doc) = &e.policy else { continue };
        let policy = match Policy::parse(doc) {
            Ok(p) if is_default_policy(&p) => continue,
            Ok(p) => p,
            Err(err) => {
                unknown.push(format!("{}: {err}", e.vpc_endpoint_id));
                continue;
            }
        };
        custom.push(format!("{} ({service}): {doc}", e.vpc_endpoint_id));
        for action in agent_calls::actions(service) {
            let resource = if action.starts_with("ssm:") {
                instance_arn.as_str()
            } else {
                "*"
            };
            match evaluate_identity(
                &[("endpoint policy", &policy)],
                None,
                &Request {
                    action,
                    resource,
                    context: &ctx,
                },
            ) {
                Decision::Allowed { .. } => {}
                Decision::Unknown { why } => {
                    unknown.push(format!("{} {action}: {why}", e.vpc_endpoint_id))
                }
                Decision::ExplicitDeny { by } => {
                    blocked.push((*action, format!("{} denies them: {by}", e.vpc_endpoint_id)))
                }
                Decision::ImplicitDeny { .. } => blocked.push((
                    *action,
                    format!("{} does not allow them", e.vpc_endpoint_id),
                )),
            }
        }
    }
    let note = "Principals in endpoint policies are not matched: a statement for another principal is read as applying to the agent.";
    if !blocked.is_empty() {
        return Ok(Outcome::fail(format!("an endpoint policy blocks the agent: {}", super::outcome::by_reason(&blocked)))
            .evidence_all(custom)
            .note(note)
            .remedy("Allow the agent's actions in the endpoint policy, or reset it to the default full-access policy: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id <id> --reset-policy`"));
    }
    if !unknown.is_empty() {
        return Ok(Outcome::unknown(format!(
            "cannot evaluate the endpoint policy: {}",
            unknown.join("; ")
        ))
        .evidence_all(custom));
    }
    if !custom.is_empty() {
        return Ok(Outcome::warn("an endpoint in use has a non-default policy; it allows the agent's calls, but review it")
            .evidence_all(custom)
            .note(note));
    }
    Ok(Outcome::pass(
        "the endpoints in use have the default policy",
    ))
}

pub fn s3_gateway_endpoint(c: &Check) -> Verdict {
    let a = c.analysis()?;
    if a.internet.works() {
        return Ok(Outcome::pass(format!(
            "S3 is reached over {}",
            a.internet.describe()
        )));
    }
    let logging_to_s3 = c
        .facts
        .session_preferences
        .value()
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
            a.instance.vpc_id.as_deref().unwrap_or("<vpc>"),
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
                a.instance.security_group_ids.first().map(String::as_str).unwrap_or("<sg>")
            )),
        crate::network::sg::SgVerdict::Unknown(why) => Outcome::unknown(why).evidence(evidence),
    })
}

pub fn logging_kms_endpoints(c: &Check) -> Verdict {
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let mut needed = Vec::new();
    if prefs.kms_key_id.is_some() {
        needed.push(("kms", "KMS session encryption: the session cannot start"));
    }
    if prefs.cloudwatch_log_group.is_some() {
        needed.push(("logs", "CloudWatch logging: the session shows a blank screen or waits about 2 minutes before the prompt"));
    }
    if needed.is_empty() {
        return Ok(Outcome::skip(
            "no KMS encryption or CloudWatch logging in the session preferences",
        ));
    }
    let a = c.analysis()?;
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    let mut remedy = Vec::new();
    for (service, consequence) in needed {
        let p = a.service_path(service);
        match p.via {
            Via::Endpoint(e) => evidence.push(format!("{service} → {}", e.vpc_endpoint_id)),
            Via::Internet if a.internet.works() => evidence.push(format!(
                "{service} → public endpoint over {}",
                a.internet.describe()
            )),
            Via::Internet => {
                missing.push(format!("{service} ({consequence})"));
                remedy.push(create_endpoint(&a, service));
            }
        }
    }
    if missing.is_empty() {
        return Ok(Outcome::pass(
            "the instance can reach the services the session preferences use",
        )
        .evidence_all(evidence));
    }
    Ok(
        Outcome::fail(format!("the instance cannot reach {}", missing.join("; ")))
            .evidence_all(evidence)
            .remedy(remedy.join("\n")),
    )
}

pub fn endpoint_cost(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let in_use = a.endpoints_in_use();
    if in_use.is_empty() {
        return Ok(no_endpoints(&a));
    }
    let endpoint_azs: usize = in_use.iter().map(|(_, e)| e.subnet_ids.len().max(1)).sum();
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
