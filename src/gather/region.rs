//! Every step of one region: its settings beside its targets, then their networks, roles and the caller's
//! simulation over them.

use super::errors::Failure;
use super::listing::{list, Listing};
use super::session::RegionClients;
use super::store::Run;
use super::{kms, logging, network, offline, simulate, ssm, trail};
use crate::facts::*;
use crate::selection::{is_hybrid, Selection};
use futures_util::future::Shared;
use futures_util::{FutureExt, StreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::Ordering;

/// What the caller's questions depend on beside the targets: the preferences, their KMS key resolved, and the
/// region's just-in-time approval policies.
type Access<P, K, A> = (Shared<P>, Shared<K>, Shared<A>);
/// The same, read.
type AccessRead = (
    Result<SessionPreferences, Failure>,
    Fact<KmsKey>,
    Result<Vec<ApprovalPolicy>, Failure>,
);

/// What one region's steps leave for the run to assemble.
pub struct RegionOutcome {
    pub name: String,
    pub listing: Listing,
    pub permissions: Option<Result<CallerPermissions, Failure>>,
    /// What EC2 and Systems Manager show of the targets whose agent is not online, by target id.
    pub signals: BTreeMap<String, offline::Signals>,
}

/// Every step of one region: its settings beside its targets, then their networks, roles and simulation.
pub async fn region(
    run: &Run<'_>,
    rc: &RegionClients,
    first: bool,
    simulated: Shared<impl Future<Output = Result<simulate::Simulated, Failure>>>,
) -> RegionOutcome {
    let preferences = ssm::preferences(&rc.ssm).shared();
    let session_key = session_key(run, rc, preferences.clone()).shared();
    let approval = kms::approval_policies(&rc.ssm).shared();
    let (_, (listing, permissions, signals), _) = tokio::join!(
        settings(run, rc, preferences.clone()),
        targets(
            run,
            rc,
            first,
            (preferences.clone(), session_key.clone(), approval.clone()),
            simulated,
        ),
        access_layers(run, rc, session_key, approval)
    );
    RegionOutcome {
        name: rc.name.clone(),
        listing,
        permissions,
        signals,
    }
}

/// The region's own settings: DHMC (and its role), the trails, the remote destination, the logging destinations.
async fn settings(
    run: &Run<'_>,
    rc: &RegionClients,
    preferences: Shared<impl Future<Output = Result<SessionPreferences, Failure>>>,
) {
    let store = &run.store;
    let dhmc = async {
        let dhmc = ssm::dhmc(&rc.ssm).await;
        if let Ok(DhmcSetting {
            role_name: Some(name),
        }) = &dhmc
        {
            run.roles.file_role(name, store).await;
        }
        let fact = store.fact(dhmc);
        store.with(|f| f.region_mut(&rc.name).dhmc = fact);
    };
    let trails = async {
        let fact = store.fact(trail::trails(&rc.trail).await);
        store.with(|f| f.region_mut(&rc.name).cloudtrail = fact);
    };
    let remote = async {
        let fact = match &run.opts.remote_host {
            Some(host) => store.fact(network::remote_destination(&rc.ec2, host).await),
            None => Fact::not_applicable("not remote-host port forwarding"),
        };
        store.with(|f| f.region_mut(&rc.name).remote_destination = fact);
    };
    tokio::join!(dhmc, trails, remote, logging(run, rc, preferences));
}

/// The KMS key the preferences name, resolved; not applicable when sessions are not encrypted.
async fn session_key(
    run: &Run<'_>,
    rc: &RegionClients,
    preferences: Shared<impl Future<Output = Result<SessionPreferences, Failure>>>,
) -> Fact<KmsKey> {
    let (preferences, caller) = tokio::join!(preferences, run.caller.clone());
    match preferences {
        Ok(SessionPreferences {
            kms_key_id: Some(key),
            ..
        }) => {
            let account = caller.map(|c| c.account).unwrap_or_default();
            run.store
                .fact(kms::session_key(&rc.kms, &key, &account).await)
        }
        Ok(_) => Fact::not_applicable("the session preferences name no KMS key"),
        Err(_) => Fact::not_gathered("the session preferences could not be seen"),
    }
}

/// The session key and the just-in-time node access approval policies, into the region's facts.
async fn access_layers(
    run: &Run<'_>,
    rc: &RegionClients,
    session_key: Shared<impl Future<Output = Fact<KmsKey>>>,
    approval: Shared<impl Future<Output = Result<Vec<ApprovalPolicy>, Failure>>>,
) {
    let (key, approval) = tokio::join!(session_key, approval);
    let approval = run.store.fact(approval);
    run.store.with(|f| {
        let r = f.region_mut(&rc.name);
        r.session_key = key;
        r.approval_policies = approval;
    });
}

/// The region's targets, then side by side their networks, their profiles, the hybrid tier and the caller's
/// decisions on them.
async fn targets(
    run: &Run<'_>,
    rc: &RegionClients,
    first: bool,
    access: Access<
        impl Future<Output = Result<SessionPreferences, Failure>>,
        impl Future<Output = Fact<KmsKey>>,
        impl Future<Output = Result<Vec<ApprovalPolicy>, Failure>>,
    >,
    simulated: Shared<impl Future<Output = Result<simulate::Simulated, Failure>>>,
) -> (
    Listing,
    Option<Result<CallerPermissions, Failure>>,
    BTreeMap<String, offline::Signals>,
) {
    let store = &run.store;
    let listing = list(rc, &run.selection).await;
    store
        .progress()
        .targets
        .fetch_add(listing.found.len(), Ordering::Relaxed);
    let instances: Vec<&Instance> = match &listing.instances {
        Ok(all) => all
            .iter()
            .filter(|i| listing.found.contains(&i.instance_id))
            .collect(),
        Err(_) => Vec::new(),
    };
    let asked = asked(run, &listing, first);
    let hybrid = asked.iter().any(|id| is_hybrid(id));
    let (_, _, tier, permissions, signals) = tokio::join!(
        networks(run, rc, &instances, listing.found.len()),
        profiles(run, &instances),
        async {
            if hybrid {
                Some(ssm::activation_tier(&rc.ssm).await)
            } else {
                None
            }
        },
        simulate(run, rc, &asked, access, simulated, &instances),
        offline::signals(run, rc, &listing)
    );
    let tier = match tier {
        Some(t) => store.fact(t),
        None => Fact::not_applicable("no hybrid node in the region"),
    };
    store.with(|f| f.region_mut(&rc.name).activation_tier = tier);
    (listing, permissions, signals)
}

/// The targets the caller's decisions and the hybrid tier concern: those found here, and in the first region
/// also the ids no region has (they are reported there).
fn asked(run: &Run<'_>, listing: &Listing, first: bool) -> Vec<String> {
    let mut asked = listing.found.clone();
    if let (true, Selection::Ids(ids)) = (first, &run.selection) {
        asked.extend(ids.iter().filter(|id| !listing.found.contains(id)).cloned());
    }
    asked
}

/// Each distinct VPC's network, once, a few at a time; a target counts as done when its network is in.
async fn networks(run: &Run<'_>, rc: &RegionClients, instances: &[&Instance], found: usize) {
    let mut by_vpc: BTreeMap<&str, usize> = BTreeMap::new();
    for i in instances {
        if let Some(vpc) = &i.vpc_id {
            *by_vpc.entry(vpc).or_default() += 1;
        }
    }
    let done = &run.store.progress().done;
    done.fetch_add(found - by_vpc.values().sum::<usize>(), Ordering::Relaxed);
    futures_util::stream::iter(by_vpc)
        .map(|(vpc, count)| async move {
            network::vpc(&rc.ec2, &rc.name, vpc, &run.store).await;
            done.fetch_add(count, Ordering::Relaxed);
        })
        .buffer_unordered(run.concurrency())
        .collect::<Vec<()>>()
        .await;
}

/// Each distinct instance profile and its role, once.
async fn profiles(run: &Run<'_>, instances: &[&Instance]) {
    let arns: BTreeSet<&str> = instances
        .iter()
        .filter_map(|i| i.instance_profile_arn.as_deref())
        .collect();
    futures_util::stream::iter(arns)
        .map(|arn| run.roles.file_profile(arn, &run.store))
        .buffer_unordered(run.concurrency())
        .collect::<Vec<()>>()
        .await;
}

/// Where the preferences log, as the agent checks it when encryption is enforced.
async fn logging(
    run: &Run<'_>,
    rc: &RegionClients,
    preferences: Shared<impl Future<Output = Result<SessionPreferences, Failure>>>,
) {
    let store = &run.store;
    let preferences = preferences.await;
    let not_enforced = |what: &str| {
        format!("encryption of {what} logs is not enforced, or no destination is named")
    };
    let (group, bucket) = match &preferences {
        Ok(prefs) => {
            let group = prefs
                .cloudwatch_log_group
                .as_ref()
                .filter(|_| prefs.cloudwatch_encryption_enabled);
            let bucket = prefs
                .s3_bucket
                .as_ref()
                .filter(|_| prefs.s3_encryption_enabled);
            tokio::join!(
                async {
                    match group {
                        Some(g) => store.fact(logging::log_group(&rc.logs, g).await),
                        None => Fact::not_applicable(not_enforced("CloudWatch")),
                    }
                },
                async {
                    match bucket {
                        Some(b) => store.fact(logging::bucket_encryption(&rc.s3, b).await),
                        None => Fact::not_applicable(not_enforced("S3")),
                    }
                }
            )
        }
        Err(_) => (
            Fact::not_gathered("the session preferences could not be seen"),
            Fact::not_gathered("the session preferences could not be seen"),
        ),
    };
    let preferences = store.fact(preferences);
    store.with(|f| {
        let r = f.region_mut(&rc.name);
        r.session_preferences = preferences;
        r.log_group = group;
        r.log_bucket_encryption = bucket;
    });
}

/// The facts the caller's questions depend on: region, partition, account, caller, the preferences, their KMS
/// key (whose ARN is what KMS authorises against, whatever form the preferences name it in) and, where
/// just-in-time access is set up, its approval policies (the request right is asked too).
fn question_facts(
    target: Target,
    caller: &CallerIdentity,
    (prefs, key, approval): AccessRead,
) -> Facts {
    let mut template = Facts::new(target);
    template.caller = Fact::known(caller.clone());
    if let Ok(p) = prefs {
        template.session_preferences = Fact::known(p);
    }
    template.session_key = key;
    if let Ok(a) = approval {
        template.approval_policies = Fact::known(a);
    }
    template
}

/// The caller's decisions on `found` (this region's targets); `None` when there are none.
async fn simulate(
    run: &Run<'_>,
    rc: &RegionClients,
    found: &[String],
    (preferences, session_key, approval): Access<
        impl Future<Output = Result<SessionPreferences, Failure>>,
        impl Future<Output = Fact<KmsKey>>,
        impl Future<Output = Result<Vec<ApprovalPolicy>, Failure>>,
    >,
    simulated: Shared<impl Future<Output = Result<simulate::Simulated, Failure>>>,
    instances: &[&Instance],
) -> Option<Result<CallerPermissions, Failure>> {
    if found.is_empty() {
        return None;
    }
    let (caller, who, prefs, creds, principal_tags, key, approval) = tokio::join!(
        run.caller.clone(),
        simulated,
        preferences,
        run.credentials.clone(),
        run.caller_tags.clone(),
        session_key,
        approval
    );
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let who = match who {
        Ok(w) => w,
        Err(e) => return Some(Err(e)),
    };
    let template = question_facts(
        Target {
            id: found[0].clone(),
            region: rc.name.clone(),
            account: Some(caller.account.clone()),
        },
        &caller,
        (prefs, key, approval),
    );
    let arn_of = |id: &str| {
        let mut t = template.clone();
        t.target.id = id.to_string();
        t.target_arn()
    };
    let arns: Vec<String> = found.iter().map(|id| arn_of(id)).collect();
    // The instances' tags, for policies that test them.
    let resource_tags = instances
        .iter()
        .filter_map(|i| Some((arn_of(&i.instance_id), i.tags.clone()?)))
        .collect();
    let creds = creds.ok();
    let mfa_now = creds.as_ref().and_then(|c| {
        if c.temporary {
            c.mfa_authenticated
        } else {
            None
        }
    });
    let long_term = creds.as_ref().is_some_and(|c| !c.temporary);
    Some(
        simulate::simulate(
            &run.session.iam,
            &who,
            &template,
            &caller,
            &arns,
            simulate::Asking {
                mfa_now,
                long_term,
                in_flight: run.concurrency(),
                resource_tags,
                principal_tags: principal_tags.ok(),
            },
        )
        .await,
    )
}
