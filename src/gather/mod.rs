//! Live gathering: every fact of the facts document from an AWS account, read-only.
//!
//! The calls form a dependency graph run concurrently: everything that needs only the target id starts at once
//! (instance, registration, caller, DHMC setting, preferences, trails, local probes); each chain continues the
//! moment its inputs are known (the instance's VPC → its network facts → endpoint addresses and prefix lists; its
//! profile → role → policy documents; the caller → simulation). No fact is fetched twice: the VPC's security
//! groups come in one call, shared results are awaited, not repeated. Only Describe*, Get*, List*, Simulate* and
//! GetCallerIdentity are called (`tests/read_only.rs` checks the source, `docs/iam-policy.json` lists them).

mod ec2;
pub mod errors;
mod iam;
mod local;
mod logging;
mod pages;
mod ssm;
mod trail;

pub use errors::EnvironmentError;

use crate::facts::*;
use errors::{into_fact, Failure};
use futures_util::FutureExt;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// The host of remote-host port forwarding, to look up its addresses and security groups.
    pub remote_host: Option<String>,
    /// Per-call timeout (each attempt); the whole run is bounded by the caller.
    pub call_timeout: Option<Duration>,
}

/// The SDK configuration as the AWS CLI would build it (profile, region, `AWS_ENDPOINT_URL*`, SSO, roles),
/// with retries for throttling and transient errors and a timeout per call.
pub async fn sdk_config(opts: &GatherOptions) -> Result<aws_types::SdkConfig, EnvironmentError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(opts.call_timeout.unwrap_or(Duration::from_secs(15)))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_types::region::Region::new(r.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(EnvironmentError(
            "no region: pass --region or set AWS_REGION (or a region in your profile)".into(),
        ));
    }
    Ok(config)
}

/// Gathers every fact about `target`. Only credentials and connectivity failures are errors; anything else
/// becomes an unavailable fact with its reason.
pub async fn gather(target: &str, opts: &GatherOptions) -> Result<Facts, EnvironmentError> {
    let config = sdk_config(opts).await?;
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let ec2c = aws_sdk_ec2::Client::new(&config);
    let ssmc = aws_sdk_ssm::Client::new(&config);
    let iamc = aws_sdk_iam::Client::new(&config);
    let stsc = aws_sdk_sts::Client::new(&config);
    let trailc = aws_sdk_cloudtrail::Client::new(&config);
    let logsc = aws_sdk_cloudwatchlogs::Client::new(&config);
    // An endpoint override (an emulator, a proxy) serves buckets by path, not by host name.
    let s3c = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(config.endpoint_url().is_some())
            .build(),
    );
    let fatal = Mutex::new(None);
    let hybrid = target.starts_with("mi-");

    // Results more than one chain needs are shared: computed once, awaited by each.
    let caller = async {
        let out = stsc
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| errors::classify(&e, "sts:GetCallerIdentity"))?;
        Ok::<_, Failure>(CallerIdentity {
            arn: out.arn().unwrap_or_default().to_string(),
            account: out.account().unwrap_or_default().to_string(),
            user_id: out.user_id().unwrap_or_default().to_string(),
        })
    }
    .shared();
    let dhmc = ssm::dhmc(&ssmc).shared();
    let preferences = ssm::preferences(&ssmc).shared();
    let credentials = local::credentials(&config, opts.profile.as_deref()).shared();
    let versions = iam::default_versions(&iamc).shared();

    let instance_chain = async {
        if hybrid {
            return None;
        }
        let instance = ec2::instance(&ec2c, target).await;
        let Ok(i) = &instance else {
            return Some((instance, None, None));
        };
        let network = async {
            let vpc = i.vpc_id.clone()?;
            Some(network(&ec2c, &vpc).await)
        };
        let role = async {
            match &i.instance_profile_arn {
                Some(arn) => {
                    let profile_chain = async {
                        let profile = iam::instance_profile(&iamc, arn).await;
                        let role = match &profile {
                            Ok(p) => match p.role_names.first() {
                                Some(name) => Some(iam::role(&iamc, name, versions.clone()).await),
                                None => None,
                            },
                            Err(_) => None,
                        };
                        (profile, role)
                    };
                    // The agent falls back to DHMC's role when the profile's is refused: look at both.
                    let dhmc_chain = async {
                        match dhmc.clone().await {
                            Ok(DhmcSetting {
                                role_name: Some(name),
                            }) => Some(iam::role(&iamc, &name, versions.clone()).await),
                            _ => None,
                        }
                    };
                    let ((profile, role), dhmc_role) = tokio::join!(profile_chain, dhmc_chain);
                    RoleFacts::Profile(Box::new((profile, role, dhmc_role)))
                }
                None => match dhmc.clone().await {
                    Ok(DhmcSetting {
                        role_name: Some(name),
                    }) => RoleFacts::Dhmc(Some(iam::role(&iamc, &name, versions.clone()).await)),
                    _ => RoleFacts::Dhmc(None),
                },
            }
        };
        let (network, role) = tokio::join!(network, role);
        Some((instance, network, Some(role)))
    };

    let simulation = async {
        let caller = match caller.clone().await {
            Ok(c) => c,
            Err(e) => {
                return CallerSide {
                    permissions: Err(e),
                    policies: None,
                    source_identity: None,
                    mfa_devices: None,
                }
            }
        };
        let prefs = preferences.clone().await.ok();
        let creds = credentials.clone().await.ok();
        let mut partial = Facts::new(Target {
            id: target.into(),
            region: region.clone(),
            account: Some(caller.account.clone()),
        });
        if let Some(p) = prefs {
            partial.session_preferences = Fact::known(p);
        }
        let mfa_now = creds.as_ref().and_then(|c| {
            if c.temporary {
                c.mfa_authenticated
            } else {
                None
            }
        });
        let long_term = creds.as_ref().is_some_and(|c| !c.temporary);
        // An IAM user's MFA devices, for the MFA remedy; alongside the simulation.
        let user = crate::caller::Principal::from_caller_arn(&caller.arn)
            .filter(|p| p.kind == crate::caller::PrincipalKind::User)
            .map(|p| p.name);
        let (mut permissions, mfa_devices) = tokio::join!(
            iam::simulate(&iamc, &partial, &caller, mfa_now, long_term),
            async {
                match &user {
                    Some(name) => Some(iam::mfa_devices(&iamc, name).await),
                    None => None,
                }
            }
        );
        let assumes = creds.as_ref().and_then(|c| c.role_arn.clone());
        // The caller's own documents: for local evaluation when the simulator could not answer, and for the
        // trust policy when the profile assumes a role.
        let policies = if permissions.is_err() || assumes.is_some() {
            Some(iam::caller_policies(&iamc, &caller, versions.clone()).await)
        } else {
            None
        };
        // Who assumed the role, asked with the source profile's own credentials, and whether it may.
        let mut source_identity = None;
        if let (Some(role_arn), Some(source)) = (
            assumes,
            creds.as_ref().and_then(|c| c.source_profile.clone()),
        ) {
            let source_opts = GatherOptions {
                profile: Some(source),
                region: Some(region.clone()),
                ..opts.clone()
            };
            if let Ok(source_config) = sdk_config(&source_opts).await {
                if let Ok(me) = aws_sdk_sts::Client::new(&source_config)
                    .get_caller_identity()
                    .send()
                    .await
                {
                    let arn = me.arn().unwrap_or_default().to_string();
                    let check = iam::assume_role_check(
                        &aws_sdk_iam::Client::new(&source_config),
                        &arn,
                        &role_arn,
                    )
                    .await;
                    if let (Ok(check), Ok(p)) = (check, permissions.as_mut()) {
                        p.checks.push(check);
                    }
                    source_identity = Some(arn);
                }
            }
        }
        CallerSide {
            permissions,
            policies,
            source_identity,
            mfa_devices,
        }
    };

    // Where the preferences log, as the agent checks it when encryption is enforced.
    let logging = async {
        let Ok(prefs) = preferences.clone().await else {
            return None;
        };
        let group = prefs
            .cloudwatch_log_group
            .clone()
            .filter(|_| prefs.cloudwatch_encryption_enabled);
        let bucket = prefs
            .s3_bucket
            .clone()
            .filter(|_| prefs.s3_encryption_enabled);
        let (group, bucket) = tokio::join!(
            async {
                match &group {
                    Some(g) => Some(logging::log_group(&logsc, g).await),
                    None => None,
                }
            },
            async {
                match &bucket {
                    Some(b) => Some(logging::bucket_encryption(&s3c, b).await),
                    None => None,
                }
            }
        );
        Some((group, bucket))
    };
    let tier = async {
        if hybrid {
            Some(ssm::activation_tier(&ssmc).await)
        } else {
            None
        }
    };

    let remote = async {
        match &opts.remote_host {
            Some(host) => Some(remote_destination(&ec2c, host).await),
            None => None,
        }
    };

    let (
        caller_r,
        instance_r,
        registration,
        dhmc_r,
        prefs_r,
        trails,
        creds_r,
        client,
        sim_r,
        remote_r,
        logging_r,
        tier_r,
        _versions,
    ) = tokio::join!(
        caller.clone(),
        instance_chain,
        ssm::registration(&ssmc, target),
        dhmc.clone(),
        preferences.clone(),
        trail::trails(&trailc),
        credentials.clone(),
        local::client(),
        simulation,
        remote,
        logging,
        tier,
        // Shared futures run only when polled: polling this one here starts ListPolicies in the first round.
        versions.clone()
    );

    let mut facts = Facts::new(Target {
        id: target.to_string(),
        region: region.clone(),
        account: None,
    });
    facts.gathered_at = Some(jiff::Timestamp::now().to_string());
    // If the caller cannot even be identified, nothing else means anything: one line, exit 3.
    facts.caller = match caller_r {
        Ok(c) => Fact::known(c),
        Err(Failure::Environment(e)) => return Err(e),
        Err(Failure::Fact(reason)) => {
            return Err(EnvironmentError(format!(
                "sts:GetCallerIdentity failed: {}",
                reason.describe()
            )))
        }
    };
    facts.target.account = facts.caller.value().map(|c| c.account.clone());
    facts.registration = into_fact(registration, &fatal);
    facts.dhmc = into_fact(dhmc_r, &fatal);
    facts.session_preferences = into_fact(prefs_r, &fatal);
    facts.cloudtrail = into_fact(trails, &fatal);
    facts.credentials = match creds_r {
        Ok(mut c) => {
            c.source_identity_arn = sim_r.source_identity;
            Fact::known(c)
        }
        Err(message) => Fact::unavailable(Unavailable::Error { message }),
    };
    facts.client = Fact::known(client);
    facts.caller_permissions = into_fact(sim_r.permissions, &fatal);
    facts.mfa_devices = match sim_r.mfa_devices {
        Some(d) => into_fact(d, &fatal),
        None => Fact::not_applicable("the caller is not an IAM user"),
    };
    facts.caller_policies = match sim_r.policies {
        Some(p) => into_fact(p, &fatal),
        None => Fact::not_gathered("IAM's simulator answered for the caller"),
    };
    let (group, bucket) = match logging_r {
        Some((group, bucket)) => (Some(group), Some(bucket)),
        None => (None, None),
    };
    let not_enforced = |what: &str| {
        format!("encryption of {what} logs is not enforced, or no destination is named")
    };
    facts.log_group = match group.flatten() {
        Some(g) => into_fact(g, &fatal),
        None if facts.session_preferences.value().is_some() => {
            Fact::not_applicable(not_enforced("CloudWatch"))
        }
        None => Fact::not_gathered("the session preferences could not be seen"),
    };
    facts.log_bucket_encryption = match bucket.flatten() {
        Some(b) => into_fact(b, &fatal),
        None if facts.session_preferences.value().is_some() => {
            Fact::not_applicable(not_enforced("S3"))
        }
        None => Fact::not_gathered("the session preferences could not be seen"),
    };
    facts.activation_tier = match tier_r {
        Some(t) => into_fact(t, &fatal),
        None => Fact::not_applicable("an EC2 instance"),
    };
    facts.remote_destination = match remote_r {
        Some(r) => into_fact(r, &fatal),
        None => Fact::not_applicable("not remote-host port forwarding"),
    };
    match instance_r {
        None => {
            let why = "hybrid managed node: not an EC2 instance";
            facts.instance_profile = Fact::not_applicable(why);
            facts.role = Fact::not_applicable(why);
            facts.dhmc_role = Fact::not_applicable(why);
            facts.instance = Fact::not_applicable(why);
            not_applicable_network(&mut facts, why);
        }
        Some((instance, network, role)) => {
            let instance = match instance {
                Err(Failure::Fact(Unavailable::NotFound { .. })) => {
                    let elsewhere = ec2::find_elsewhere(&config, target).await;
                    let what = match elsewhere.as_slice() {
                        [] => format!("no instance {target} in {region} for this account"),
                        regions => format!(
                            "{target} is not in {region}, but in {}: pass --region",
                            regions.join(", ")
                        ),
                    };
                    Err(Failure::Fact(Unavailable::NotFound { what }))
                }
                other => other,
            };
            facts.instance = into_fact(instance, &fatal);
            match network {
                Some(n) => n.apply(&mut facts, &fatal),
                None => not_applicable_network(&mut facts, "the instance is in no VPC"),
            }
            match role {
                Some(RoleFacts::Profile(both)) => {
                    let (profile, role, dhmc_role) = *both;
                    facts.instance_profile = into_fact(profile, &fatal);
                    facts.role = match (role, facts.instance_profile.reason()) {
                        (Some(r), _) => into_fact(r, &fatal),
                        // The role hangs on the profile: unseen profile, unseen role — never "no role".
                        (None, Some(reason)) => Fact::not_gathered(format!(
                            "the instance profile could not be seen ({})",
                            reason.describe()
                        )),
                        (None, None) => Fact::not_applicable("the instance profile has no role"),
                    };
                    facts.dhmc_role = match (dhmc_role, facts.dhmc.reason()) {
                        (Some(r), _) => into_fact(r, &fatal),
                        (None, Some(reason)) => Fact::not_gathered(format!(
                            "the DHMC setting could not be seen ({})",
                            reason.describe()
                        )),
                        (None, None) => Fact::not_applicable("DHMC names no role"),
                    };
                }
                Some(RoleFacts::Dhmc(role)) => {
                    facts.instance_profile =
                        Fact::not_applicable("the instance has no instance profile");
                    facts.role = Fact::not_applicable("the instance has no instance profile");
                    facts.dhmc_role = match (role, facts.dhmc.reason()) {
                        (Some(r), _) => into_fact(r, &fatal),
                        (None, Some(reason)) => Fact::not_gathered(format!(
                            "the DHMC setting could not be seen ({})",
                            reason.describe()
                        )),
                        (None, None) => Fact::not_applicable("DHMC names no role"),
                    };
                }
                None => {
                    let why = "the instance could not be seen";
                    facts.instance_profile = Fact::not_gathered(why);
                    facts.role = Fact::not_gathered(why);
                    facts.dhmc_role = Fact::not_gathered(why);
                }
            }
            if facts.instance.value().is_none() {
                let reason = facts.instance.reason().cloned().expect("unavailable");
                not_gathered_network(&mut facts, &reason);
            }
        }
    }
    if let Some(e) = fatal.lock().expect("not poisoned").take() {
        return Err(e);
    }
    Ok(facts)
}

struct CallerSide {
    permissions: Result<CallerPermissions, Failure>,
    policies: Option<Result<CallerPolicies, Failure>>,
    source_identity: Option<String>,
    /// `None` when the caller is not an IAM user.
    mfa_devices: Option<Result<Vec<String>, Failure>>,
}

type ProfileRoles = (
    Result<InstanceProfile, Failure>,
    Option<Result<Role, Failure>>,
    Option<Result<Role, Failure>>,
);

enum RoleFacts {
    /// The profile, its role, and DHMC's role when the setting names one.
    Profile(Box<ProfileRoles>),
    Dhmc(Option<Result<Role, Failure>>),
}

struct Network {
    vpc: Result<Vpc, Failure>,
    dns: Result<VpcDns, Failure>,
    subnets: Result<Vec<Subnet>, Failure>,
    route_tables: Result<Vec<RouteTable>, Failure>,
    endpoints: Result<Vec<VpcEndpoint>, Failure>,
    security_groups: Result<Vec<SecurityGroup>, Failure>,
    network_acls: Result<Vec<NetworkAcl>, Failure>,
    prefix_lists: Result<Vec<PrefixList>, Failure>,
}

impl Network {
    fn apply(self, facts: &mut Facts, fatal: &Mutex<Option<EnvironmentError>>) {
        facts.vpc = into_fact(self.vpc, fatal);
        facts.vpc_dns = into_fact(self.dns, fatal);
        facts.subnets = into_fact(self.subnets, fatal);
        facts.route_tables = into_fact(self.route_tables, fatal);
        facts.vpc_endpoints = into_fact(self.endpoints, fatal);
        facts.security_groups = into_fact(self.security_groups, fatal);
        facts.network_acls = into_fact(self.network_acls, fatal);
        facts.prefix_lists = into_fact(self.prefix_lists, fatal);
    }
}

/// The VPC's network facts: one round of VPC-filtered Describe calls, then the endpoints' addresses and the
/// prefix lists that security groups and routes name.
async fn network(c: &aws_sdk_ec2::Client, vpc: &str) -> Network {
    let (v, dns, subnets, tables, endpoints, groups, acls) = tokio::join!(
        ec2::vpc(c, vpc),
        ec2::vpc_dns(c, vpc),
        ec2::subnets(c, vpc),
        ec2::route_tables(c, vpc),
        ec2::vpc_endpoints(c, vpc),
        ec2::security_groups(c, vpc),
        ec2::network_acls(c, vpc)
    );
    let mut lists: Vec<String> = Vec::new();
    if let Ok(groups) = &groups {
        for rule in groups
            .iter()
            .flat_map(|g| g.ingress.iter().chain(&g.egress))
        {
            if let crate::facts::Peer::PrefixList(id) = &rule.peer {
                lists.push(id.clone());
            }
        }
    }
    if let Ok(tables) = &tables {
        lists.extend(
            tables
                .iter()
                .flat_map(|t| &t.routes)
                .filter_map(|r| r.destination_prefix_list_id.clone()),
        );
    }
    lists.sort();
    lists.dedup();
    let enis: Vec<String> = endpoints
        .iter()
        .flatten()
        .flat_map(|(_, ids)| ids.clone())
        .collect();
    let (addresses, prefix_lists) = tokio::join!(
        ec2::interface_addresses(c, &enis),
        ec2::prefix_lists(c, &lists)
    );
    // Without the addresses the endpoints are still known; rules that need addresses say so (Unknown).
    let addresses = addresses.unwrap_or_default();
    let endpoints = endpoints.map(|eps| {
        eps.into_iter()
            .map(|(mut e, ids)| {
                e.interface_ips = addresses
                    .iter()
                    .filter(|(id, _)| ids.contains(id))
                    .map(|(_, ip)| *ip)
                    .collect();
                e
            })
            .collect()
    });
    Network {
        vpc: v,
        dns,
        subnets,
        route_tables: tables,
        endpoints,
        security_groups: groups,
        network_acls: acls,
        prefix_lists,
    }
}

async fn remote_destination(
    c: &aws_sdk_ec2::Client,
    host: &str,
) -> Result<RemoteDestination, Failure> {
    let addresses: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => {
            match tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((host, 0)))
                .await
            {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                _ => Vec::new(),
            }
        }
    };
    let mut dest = RemoteDestination {
        host: host.to_string(),
        addresses: addresses.clone(),
        security_group_ids: Vec::new(),
        subnet_id: None,
    };
    if let Some(ip) = addresses.first() {
        let filter = aws_sdk_ec2::types::Filter::builder()
            .name("addresses.private-ip-address")
            .values(ip.to_string())
            .build();
        let out = c
            .describe_network_interfaces()
            .filters(filter)
            .send()
            .await
            .map_err(|e| errors::classify(&e, "ec2:DescribeNetworkInterfaces"))?;
        if let Some(eni) = out.network_interfaces().first() {
            dest.security_group_ids = eni
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect();
            dest.subnet_id = eni.subnet_id().map(str::to_string);
        }
    }
    Ok(dest)
}

fn not_applicable_network(facts: &mut Facts, why: &str) {
    facts.vpc = Fact::not_applicable(why);
    facts.vpc_dns = Fact::not_applicable(why);
    facts.subnets = Fact::not_applicable(why);
    facts.route_tables = Fact::not_applicable(why);
    facts.vpc_endpoints = Fact::not_applicable(why);
    facts.security_groups = Fact::not_applicable(why);
    facts.network_acls = Fact::not_applicable(why);
    facts.prefix_lists = Fact::not_applicable(why);
}

fn not_gathered_network(facts: &mut Facts, reason: &Unavailable) {
    let why = format!("the instance could not be seen ({})", reason.describe());
    facts.vpc = Fact::not_gathered(why.clone());
    facts.vpc_dns = Fact::not_gathered(why.clone());
    facts.subnets = Fact::not_gathered(why.clone());
    facts.route_tables = Fact::not_gathered(why.clone());
    facts.vpc_endpoints = Fact::not_gathered(why.clone());
    facts.security_groups = Fact::not_gathered(why.clone());
    facts.network_acls = Fact::not_gathered(why.clone());
    facts.prefix_lists = Fact::not_gathered(why);
}
