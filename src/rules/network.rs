//! The path from the instance to Systems Manager: routes and interface endpoints, for every service the session
//! needs (`Check::services`): ssm and ssmmessages always, ec2messages for agents before 3.3.40.0, kms and logs
//! when a shell session is encrypted or logged.

use super::needs::Need;
use super::paths::{endpoints_in_use, legs, Leg, Problems};
use super::{agent_calls, Check, Outcome, Verdict};
use crate::facts::VpcEndpoint;
use crate::network::path::{Analysis, Via};
use crate::network::route::TargetKind;
use crate::policy::{evaluate_identity, Context, Outcome as Decision, Policy, Request};

/// The Systems Manager services agents talk to: the core of every session.
const CORE: [&str; 3] = ["ssm", "ssmmessages", "ec2messages"];

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

/// Routes to a transit gateway or a peering connection: endpoints may live in a shared VPC behind them, with a
/// private hosted zone for the services' names (AWS's centralised-endpoint pattern), which the facts cannot see.
fn routes_to_shared_networks(a: &Analysis) -> Vec<String> {
    a.table
        .routes
        .iter()
        .filter(|r| {
            matches!(
                TargetKind::of(&r.target),
                TargetKind::TransitGateway | TargetKind::Peering
            )
        })
        .map(crate::network::route::describe)
        .collect()
}

pub fn path(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs: Vec<Leg> = legs(c, &a)
        .into_iter()
        .filter(|l| CORE.contains(&l.service))
        .collect();
    let mut evidence = vec![format!(
        "{} uses route table {}",
        a.subnet_id, a.table.route_table_id
    )];
    let mut broken: Vec<&Leg> = Vec::new();
    for leg in &legs {
        match leg.path.via {
            Via::Endpoint(e) => evidence.push(format!(
                "{} → {} (interface endpoint, private DNS)",
                leg.service, e.vpc_endpoint_id
            )),
            Via::Internet if a.internet.works() => evidence.push(format!(
                "{} → public endpoint over {}",
                leg.service,
                a.internet.describe()
            )),
            Via::Internet => broken.push(leg),
        }
    }
    let reached: Vec<&str> = legs
        .iter()
        .filter(|l| !broken.iter().any(|b| b.service == l.service))
        .map(|l| l.service)
        .collect();
    let mut notes = Vec::new();
    if let Some(Need::NotNeeded(why)) = c
        .services()
        .into_iter()
        .find(|s| s.service == "ec2messages")
        .map(|s| s.need)
    {
        notes.push(format!(
            "ec2messages is not checked: {why}. Windows Server 2012 and earlier and Nano Server keep using it for Run Command and agent updates."
        ));
    }
    if broken.is_empty() {
        let mut out = Outcome::pass(format!("the instance has a way to {}", and_list(&reached)))
            .evidence_all(evidence);
        if let Some(beyond) = a
            .internet
            .beyond()
            .filter(|_| legs.iter().any(|l| matches!(l.path.via, Via::Internet)))
        {
            out = out.note(beyond);
        }
        for n in notes {
            out = out.note(n);
        }
        return Ok(out);
    }
    let names: Vec<&str> = broken.iter().map(|l| l.service).collect();
    let (silent, absent): (Vec<&&Leg>, Vec<&&Leg>) =
        broken.iter().partition(|l| l.path.endpoint.is_some());
    let mut reasons = Vec::new();
    if !silent.is_empty() {
        let list: Vec<String> = silent
            .iter()
            .map(|l| {
                format!(
                    "{} ({})",
                    l.path.endpoint.map_or("", |e| e.vpc_endpoint_id.as_str()),
                    l.service
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
                .map(|l| l.service)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let problem = format!(
        "the agent cannot reach {} from {}: {}, and {}",
        names.join(", "),
        a.subnet_id,
        reasons.join("; "),
        a.internet.describe()
    );
    // Endpoints in another VPC, reached over a transit gateway or peering, are invisible from here.
    let shared = routes_to_shared_networks(&a);
    if !shared.is_empty() && silent.is_empty() {
        return Ok(Outcome::unknown(format!(
            "{problem}; but the subnet routes to shared networks ({}), where the endpoints may be centralised",
            shared.join(", ")
        ))
        .evidence_all(evidence)
        .note("In a hub-and-spoke layout a shared-services VPC holds the endpoints, and a Route 53 private hosted zone associated with this VPC answers for the services' names; look there, or run `ssm-cli get-diagnostics` on the instance."));
    }
    let mut remedy = vec![if silent.is_empty() {
        "Either create the interface endpoints (the layout for a private subnet):".to_string()
    } else {
        "Either make the endpoints answer (see endpoint-private-dns) and create any missing ones:"
            .to_string()
    }];
    remedy.extend(absent.iter().map(|l| create_endpoint(&a, l.service)));
    remedy.push(format!(
        "or give the subnet a way out: `aws ec2 create-route --route-table-id {} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-…>`",
        a.table.route_table_id
    ));
    let mut problems = Problems::new();
    for leg in &broken {
        problems.add(&leg.need, leg.service.to_string());
    }
    let out = problems
        .outcome(|_| Outcome::fail(problem.clone()))
        .expect("a broken service is required or may be");
    let mut out = out.evidence_all(evidence);
    if out.status == super::Status::Fail {
        out = out.remedy(remedy.join("\n"));
        for leg in broken
            .iter()
            .filter(|l| matches!(l.need, Need::Required(_)))
        {
            if leg.service == "ec2messages" {
                out = out.note(leg.need.reason().to_string());
            }
        }
    }
    for n in notes {
        out = out.note(n);
    }
    Ok(out)
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => "nothing".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Interface endpoints for the services to check, present in the VPC, used or not.
fn endpoints_present<'l, 'a>(legs: &'l [Leg<'a>]) -> Vec<(&'l Leg<'a>, &'a VpcEndpoint)> {
    legs.iter()
        .filter_map(|l| l.path.endpoint.map(|e| (l, e)))
        .collect()
}

/// Why an endpoint rule has nothing to look at: no endpoints, or endpoints the agent's traffic does not use.
fn no_endpoints(a: &Analysis, legs: &[Leg]) -> Outcome {
    let what = if endpoints_present(legs).is_empty() {
        "no Systems Manager interface endpoints in this VPC"
    } else {
        "the VPC's Systems Manager interface endpoints are not in use (their private DNS names do not answer here; see endpoint-private-dns)"
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

pub fn endpoint_private_dns(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let eps = endpoints_present(&legs);
    if eps.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let mut problems = Problems::new();
    let mut remedy = Vec::new();
    let mut evidence = Vec::new();
    let host = c.facts.partition().host("ssm", a.region());
    for (leg, e) in &eps {
        evidence.push(format!(
            "{} ({}): private DNS {}",
            e.vpc_endpoint_id,
            leg.service,
            if e.private_dns_enabled { "on" } else { "off" }
        ));
        if !e.private_dns_enabled {
            problems.add(
                &leg.need,
                format!(
                    "private DNS is off on {} ({}), so the service's name (e.g. {host}) resolves to the public endpoint",
                    e.vpc_endpoint_id, leg.service
                ),
            );
            remedy.push(format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled",
                e.vpc_endpoint_id
            ));
        }
    }
    let vpc = a.instance.vpc_id.as_deref().unwrap_or("the VPC");
    match c.facts.vpc_dns.get_ref() {
        Ok(dns) => {
            evidence.push(format!(
                "{vpc}: enableDnsSupport {}, enableDnsHostnames {}",
                dns.enable_dns_support, dns.enable_dns_hostnames
            ));
            let required = Need::Required("the endpoints answer only with both".into());
            for (on, attr, flag) in [
                (
                    dns.enable_dns_support,
                    "enableDnsSupport",
                    "--enable-dns-support",
                ),
                (
                    dns.enable_dns_hostnames,
                    "enableDnsHostnames",
                    "--enable-dns-hostnames",
                ),
            ] {
                if !on {
                    problems.add(
                        &required,
                        format!("{vpc} has {attr} off, which private DNS needs"),
                    );
                    remedy.push(format!(
                        "aws ec2 modify-vpc-attribute --vpc-id {vpc} {flag} '{{\"Value\":true}}'"
                    ));
                }
            }
        }
        Err(reason) if problems.is_empty() => {
            return Ok(Outcome::missing("the VPC's DNS attributes", reason).evidence_all(evidence));
        }
        Err(_) => {}
    }
    let internet = a.internet.works();
    let out = problems.outcome(|p| {
        if internet {
            Outcome::warn(format!(
                "{p}: the endpoints are bypassed and traffic leaves over {}",
                a.internet.describe()
            ))
        } else {
            Outcome::fail(format!(
                "{p}: with no route to the internet the agent cannot reach the service"
            ))
        }
    });
    Ok(match out {
        Some(out) => out.evidence_all(evidence).remedy(remedy.join("\n")),
        None => Outcome::pass("private DNS answers for every endpoint").evidence_all(evidence),
    })
}

pub fn endpoint_subnet_az(c: &Check) -> Verdict {
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
    let legs = legs(c, &a);
    let in_use = endpoints_in_use(&legs);
    if in_use.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let ctx = Context::open::<&str>([]);
    let instance_arn = c.facts.target_arn();
    let mut custom = Vec::new();
    let mut blocked = Problems::new();
    let mut unknown = Vec::new();
    for (leg, e) in &in_use {
        let service = leg.service;
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
                Decision::ExplicitDeny { by } => blocked.add(
                    &leg.need,
                    format!("{} denies {action} ({by})", e.vpc_endpoint_id),
                ),
                Decision::ImplicitDeny { .. } => blocked.add(
                    &leg.need,
                    format!("{} does not allow {action}", e.vpc_endpoint_id),
                ),
            }
        }
    }
    let note = "Principals in endpoint policies are not matched: a statement for another principal is read as applying to the agent.";
    if let Some(out) = blocked.outcome(|p| {
        Outcome::fail(format!("an endpoint policy blocks the agent: {p}"))
            .remedy("Allow the agent's actions in the endpoint policy, or reset it to the default full-access policy: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id <id> --reset-policy`")
    }) {
        return Ok(out.evidence_all(custom).note(note));
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

/// The kms and logs services, when a shell session's preferences need them: reached through an endpoint or the
/// way out (their endpoints' state, DNS, security groups, ACLs and policies are checked with the core ones).
pub fn logging_kms_endpoints(c: &Check) -> Verdict {
    c.shell_only()?;
    let a = c.analysis()?;
    let legs: Vec<Leg> = legs(c, &a)
        .into_iter()
        .filter(|l| matches!(l.service, "kms" | "logs"))
        .collect();
    if legs.is_empty() {
        return Ok(Outcome::skip(
            "no KMS encryption or CloudWatch logging in the session preferences",
        ));
    }
    let mut evidence = Vec::new();
    let mut problems = Problems::new();
    let mut remedy = Vec::new();
    for leg in &legs {
        let consequence = match leg.service {
            "kms" => "with KMS encryption the session cannot start",
            _ => "with CloudWatch logging the session shows a blank screen or waits about 2 minutes before the prompt",
        };
        match leg.path.via {
            Via::Endpoint(e) => evidence.push(format!("{} → {}", leg.service, e.vpc_endpoint_id)),
            Via::Internet if a.internet.works() => evidence.push(format!(
                "{} → public endpoint over {}",
                leg.service,
                a.internet.describe()
            )),
            Via::Internet => {
                problems.add(&leg.need, format!("{} ({consequence})", leg.service));
                remedy.push(create_endpoint(&a, leg.service));
            }
        }
    }
    Ok(
        match problems.outcome(|p| {
            Outcome::fail(format!("the instance cannot reach {p}")).remedy(remedy.join("\n"))
        }) {
            Some(out) => out.evidence_all(evidence),
            None => {
                Outcome::pass("the instance can reach the services the session preferences use")
                    .evidence_all(evidence)
            }
        },
    )
}

/// Every interface endpoint is billed, needed or not: the count is of those present for Systems Manager.
pub fn endpoint_cost(c: &Check) -> Verdict {
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
