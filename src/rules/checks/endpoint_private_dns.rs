//! `endpoint-private-dns`: Private DNS answers for the endpoints (`rules/endpoint-private-dns.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::Problems;
use crate::rules::shared::needs::Need;
use crate::rules::shared::paths::{endpoints_present, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
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
