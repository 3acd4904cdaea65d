//! `endpoint-private-dns`: Private DNS answers for the endpoints (`rules/endpoint-private-dns.toml`).

use crate::facts::VpcDns;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::paths::{endpoints_present, legs, no_endpoints};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let a = c.analysis()?;
    let legs = legs(c, &a);
    let eps = endpoints_present(&legs);
    if eps.is_empty() {
        return Ok(no_endpoints(&a, &legs));
    }
    let mut f = Findings::new();
    for (leg, e) in &eps {
        f.evidence(format!(
            "{} ({}): private DNS {}",
            e.vpc_endpoint_id,
            leg.service,
            if e.private_dns_enabled { "on" } else { "off" }
        ));
        if !e.private_dns_enabled {
            f.problem_for(
                &leg.need,
                format!(
                    "private DNS is off on {} ({}), so {} resolves to the public endpoint",
                    e.vpc_endpoint_id,
                    leg.service,
                    c.facts.partition().host(leg.service, a.region())
                ),
            );
            f.remedy(format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled",
                e.vpc_endpoint_id
            ));
        }
    }
    let vpc = a.instance.vpc_id.as_deref().unwrap_or("the VPC");
    match c.facts.vpc_dns.get_ref() {
        Ok(dns) => vpc_dns_attributes(&mut f, vpc, dns),
        Err(reason) if !f.has_problems() => {
            return Ok(f.stop(Outcome::missing("the VPC's DNS attributes", reason)));
        }
        Err(_) => {}
    }
    let internet = a.internet.works();
    Ok(f.finish(|summary| match summary {
        Summary::Problems(p) if internet => Outcome::warn(format!(
            "{p}: the endpoints are bypassed and traffic leaves over {}",
            a.internet.describe()
        )),
        Summary::Problems(p) => Outcome::fail(format!(
            "{p}: with no route to the internet the agent cannot reach the service"
        )),
        Summary::Unknown(u) | Summary::Doubts(u) => Outcome::unknown(u),
        Summary::Clear => Outcome::pass("private DNS answers for every endpoint"),
    }))
}

/// Private DNS answers only in a VPC with both DNS attributes on.
fn vpc_dns_attributes(f: &mut Findings, vpc: &str, dns: &VpcDns) {
    f.evidence(format!(
        "{vpc}: enableDnsSupport {}, enableDnsHostnames {}",
        dns.enable_dns_support, dns.enable_dns_hostnames
    ));
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
            f.problem(format!("{vpc} has {attr} off, which private DNS needs"));
            f.remedy(format!(
                "aws ec2 modify-vpc-attribute --vpc-id {vpc} {flag} '{{\"Value\":true}}'"
            ));
        }
    }
}
