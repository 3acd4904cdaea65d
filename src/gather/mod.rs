//! Live gathering: the fleet facts document of a selection of targets, from an AWS account, read-only.
//!
//! Gathering fills a store of facts keyed by what they describe — the caller, each region's settings, each VPC,
//! each instance profile and role, each target — by small steps whose dependencies are explicit, all running
//! concurrently:
//!
//! - round 1: the caller's identity, this machine, `iam:ListPolicies`; per region the selected instances and their
//!   registrations (batched by id), the DHMC setting, the preferences, the trails, the remote destination;
//! - then, per region: each distinct VPC's network once however many targets are in it (`network`), each
//!   distinct instance profile and role once (`roles`), the logging destinations, the hybrid tier, and one
//!   simulation of the caller over every target of the region (batched resource ARNs);
//! - last, the caller's own policy documents when the simulator could not answer or a role is assumed.
//!
//! So the calls grow with VPCs, roles and regions, not with instances. A single target is a fleet of one. Only
//! Describe*, Get*, List*, Simulate* and GetCallerIdentity are called (`tests/read_only.rs` checks the source,
//! `docs/iam-policy.json` lists them).

mod caller;
mod ec2;
pub mod errors;
mod iam;
mod local;
mod logging;
mod network;
mod pages;
mod policies;
mod roles;
mod session;
mod simulate;
mod ssm;
mod trail;

pub use errors::EnvironmentError;
pub use session::{sdk_config, Progress};

use crate::facts::*;
use crate::selection::{is_hybrid, Selection};
use errors::{into_fact, Failure};
use futures_util::{FutureExt, StreamExt};
use roles::Roles;
use session::{RegionClients, Session};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    pub profile: Option<String>,
    /// The regions to look in; none: the profile's (or `AWS_REGION`'s).
    pub regions: Vec<String>,
    /// The host of remote-host port forwarding, to look up its addresses and security groups.
    pub remote_host: Option<String>,
    /// Per-call timeout (each attempt); the whole run is bounded by the caller.
    pub call_timeout: Option<Duration>,
    /// Lookups of one kind in flight at once (VPCs, profiles); 0 means 8.
    pub concurrency: usize,
}

/// DescribeInstances takes up to 200 values per filter. DescribeInstanceInformation's pages hold 50 nodes: batches
/// of 50 ids run side by side instead of paging one after another.
const IDS_PER_DESCRIBE: usize = 200;
const IDS_PER_REGISTRATION: usize = ssm::PAGE as usize;
/// Listing batches in flight at once, per region: twenty are a thousand instances' registrations in one round.
const BATCHES_IN_FLIGHT: usize = 20;
/// Beyond this many unknown ids, looking for them in every other region costs more than it tells.
const LOOK_ELSEWHERE_UP_TO: usize = 3;

/// Where the facts go as they arrive, and the first failure that stops the run.
pub struct Store {
    fleet: Mutex<Fleet>,
    fatal: Mutex<Option<EnvironmentError>>,
    progress: Arc<Progress>,
}

impl Store {
    /// A call's result as a fact; a credentials or connectivity failure is also kept to stop the run.
    pub fn fact<T>(&self, result: Result<T, Failure>) -> Fact<T> {
        into_fact(result, &self.fatal)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Fleet) -> R) -> R {
        f(&mut self.fleet.lock().expect("not poisoned"))
    }
}

/// Gathers the facts of one target: a fleet of one.
pub async fn gather_one(target: &str, opts: &GatherOptions) -> Result<Facts, EnvironmentError> {
    let fleet = gather(
        &Selection::Ids(vec![target.to_string()]),
        opts,
        Arc::default(),
    )
    .await?;
    Ok(fleet.view(0))
}

/// Gathers every fact about the selected targets. Only credentials and connectivity failures (and a selection
/// that cannot be listed at all) are errors; anything else becomes an unavailable fact with its reason.
pub async fn gather(
    selection: &Selection,
    opts: &GatherOptions,
    progress: Arc<Progress>,
) -> Result<Fleet, EnvironmentError> {
    let session = Session::new(opts, progress.clone()).await?;
    let mut names: Vec<String> = Vec::new();
    for r in &opts.regions {
        if !names.contains(r) {
            names.push(r.clone());
        }
    }
    if names.is_empty() {
        names.push(session.default_region());
    }
    let run = Run {
        selection: dedup(selection),
        opts,
        store: Store {
            fleet: Mutex::new(Fleet::new(Some(jiff::Timestamp::now().to_string()))),
            fatal: Mutex::new(None),
            progress,
        },
        roles: Roles::new(session.iam.clone()),
        caller: identity(session.sts.clone()).boxed().shared(),
        credentials: {
            let config = session.config.clone();
            let profile = opts.profile.clone();
            async move { local::credentials(&config, profile.as_deref()).await }
                .boxed()
                .shared()
        },
        session: &session,
    };
    let simulated = async {
        let caller = run.caller.clone().await?;
        simulate::simulated(&session.iam, &caller).await
    }
    .shared();
    let regions: Vec<RegionClients> = names.iter().map(|r| session.region(r)).collect();
    let (outcomes, caller_r, client, mfa_devices, source_identity, _versions) = tokio::join!(
        futures_util::future::join_all(regions.iter().enumerate().map(|(i, rc)| region(
            &run,
            rc,
            i == 0,
            simulated.clone()
        ))),
        run.caller.clone(),
        local::client(),
        mfa_devices(&run),
        source_identity(&run),
        // Shared futures run only when polled: polling this one here starts ListPolicies in the first round.
        run.roles.policies().prefetch()
    );
    // If the caller cannot even be identified, nothing else means anything: one line, exit 3.
    let caller = match caller_r {
        Ok(c) => c,
        Err(Failure::Environment(e)) => return Err(e),
        Err(Failure::Fact(reason)) => {
            return Err(EnvironmentError(format!(
                "sts:GetCallerIdentity failed: {}",
                reason.describe()
            )))
        }
    };
    let mut permissions = CallerPermissions::merge(
        outcomes
            .iter()
            .filter_map(|o| o.permissions.clone())
            .collect(),
    );
    if let (Some(Ok(p)), Some((_, Some(check)))) = (permissions.as_mut(), &source_identity) {
        p.checks.push(check.clone());
    }
    let credentials = run.credentials.clone().await;
    // The caller's own documents: for local evaluation when the simulator could not answer, and for the trust
    // policy when the profile assumes a role.
    let assumes = credentials.as_ref().is_ok_and(|c| c.role_arn.is_some());
    let read_policies = assumes || matches!(permissions, Some(Err(_)));
    let (policies, targets) = tokio::join!(
        async {
            match read_policies {
                true => Some(caller::caller_policies(&session.iam, &caller, &run.roles).await),
                false => None,
            }
        },
        place_targets(&run, &session, &names, outcomes)
    );
    let targets = targets?;
    let store = &run.store;
    store.with(|fleet| {
        fleet.caller.caller = Fact::known(caller);
        fleet.caller.credentials = match credentials {
            Ok(mut c) => {
                c.source_identity_arn = source_identity.map(|(arn, _)| arn);
                Fact::known(c)
            }
            Err(message) => Fact::unavailable(Unavailable::Error { message }),
        };
        fleet.client = Fact::known(client);
        fleet.targets = targets;
    });
    let caller_permissions = match permissions {
        Some(p) => store.fact(p),
        None => Fact::not_gathered("no target to ask about"),
    };
    let caller_policies = match policies {
        Some(p) => store.fact(p),
        None => Fact::not_gathered("IAM's simulator answered for the caller"),
    };
    let mfa_devices = match mfa_devices {
        Some(d) => store.fact(d),
        None => Fact::not_applicable("the caller is not an IAM user"),
    };
    store.with(|fleet| {
        fleet.caller.caller_permissions = caller_permissions;
        fleet.caller.caller_policies = caller_policies;
        fleet.caller.mfa_devices = mfa_devices;
    });
    if let Some(e) = store.fatal.lock().expect("not poisoned").take() {
        return Err(e);
    }
    let progress = &store.progress;
    progress
        .done
        .store(progress.targets.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(run.store.fleet.into_inner().expect("not poisoned"))
}

type SharedResult<T> = futures_util::future::Shared<futures_util::future::BoxFuture<'static, T>>;

/// What every step of one run shares.
struct Run<'a> {
    selection: Selection,
    opts: &'a GatherOptions,
    store: Store,
    roles: Roles,
    caller: SharedResult<Result<CallerIdentity, Failure>>,
    credentials: SharedResult<Result<Credentials, String>>,
    session: &'a Session,
}

impl Run<'_> {
    fn concurrency(&self) -> usize {
        if self.opts.concurrency == 0 {
            8
        } else {
            self.opts.concurrency
        }
    }
}

/// The ids once each, in the order given.
fn dedup(selection: &Selection) -> Selection {
    match selection {
        Selection::Ids(ids) => {
            let mut seen = BTreeSet::new();
            Selection::Ids(
                ids.iter()
                    .filter(|id| seen.insert(id.as_str()))
                    .cloned()
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

async fn identity(sts: aws_sdk_sts::Client) -> Result<CallerIdentity, Failure> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| errors::classify(&e, "sts:GetCallerIdentity"))?;
    Ok(CallerIdentity {
        arn: out.arn().unwrap_or_default().to_string(),
        account: out.account().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    })
}

/// An IAM user's MFA devices, for the MFA remedy; `None` when the caller is not a user.
async fn mfa_devices(run: &Run<'_>) -> Option<Result<Vec<String>, Failure>> {
    let caller = run.caller.clone().await.ok()?;
    let user = crate::caller::Principal::from_caller_arn(&caller.arn)
        .filter(|p| p.kind == crate::caller::PrincipalKind::User)?;
    Some(caller::mfa_devices(&run.session.iam, &user.name).await)
}

/// Who assumed the profile's role, asked with the source profile's own credentials, and whether it may.
async fn source_identity(run: &Run<'_>) -> Option<(String, Option<PermissionCheck>)> {
    let creds = run.credentials.clone().await.ok()?;
    let (role_arn, source) = (creds.role_arn?, creds.source_profile?);
    let source_opts = GatherOptions {
        profile: Some(source),
        ..run.opts.clone()
    };
    let config = sdk_config(&source_opts, Some(&run.session.default_region()))
        .await
        .ok()?;
    let sts = aws_sdk_sts::Client::new(&config);
    let me = sts.get_caller_identity().send().await.ok()?;
    let arn = me.arn().unwrap_or_default().to_string();
    let check = simulate::assume_role_check(&aws_sdk_iam::Client::new(&config), &arn, &role_arn)
        .await
        .ok();
    Some((arn, check))
}

/// What one region's steps leave for the run to assemble.
struct RegionOutcome {
    name: String,
    listing: Listing,
    permissions: Option<Result<CallerPermissions, Failure>>,
}

/// The selected targets one region has.
struct Listing {
    instances: Result<Vec<Instance>, Failure>,
    registrations: Result<BTreeMap<String, Registration>, Failure>,
    /// The targets found here, in order: instances, then hybrid nodes.
    found: Vec<String>,
}

/// Every step of one region: its settings beside its targets, then their networks, roles and simulation.
async fn region(
    run: &Run<'_>,
    rc: &RegionClients,
    first: bool,
    simulated: futures_util::future::Shared<
        impl std::future::Future<Output = Result<simulate::Simulated, Failure>>,
    >,
) -> RegionOutcome {
    let store = &run.store;
    let preferences = ssm::preferences(&rc.ssm).shared();
    let settings = async {
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
        tokio::join!(dhmc, trails, remote, logging(run, rc, preferences.clone()));
    };
    let targets = async {
        let listing = list(rc, &run.selection).await;
        store
            .progress
            .targets
            .fetch_add(listing.found.len(), Ordering::Relaxed);
        let instances: Vec<&Instance> = match &listing.instances {
            Ok(all) => all
                .iter()
                .filter(|i| listing.found.contains(&i.instance_id))
                .collect(),
            Err(_) => Vec::new(),
        };
        // The first region also answers for ids no region has (they are reported there): the caller's decisions
        // and the hybrid tier still concern them.
        let mut asked = listing.found.clone();
        if let (true, Selection::Ids(ids)) = (first, &run.selection) {
            asked.extend(ids.iter().filter(|id| !listing.found.contains(id)).cloned());
        }
        let hybrid = asked.iter().any(|id| is_hybrid(id));
        let (_, _, tier, permissions) = tokio::join!(
            networks(run, rc, &instances, listing.found.len()),
            profiles(run, &instances),
            async {
                if hybrid {
                    Some(ssm::activation_tier(&rc.ssm).await)
                } else {
                    None
                }
            },
            simulate(run, rc, &asked, preferences.clone(), simulated)
        );
        let tier = match tier {
            Some(t) => store.fact(t),
            None => Fact::not_applicable("no hybrid node in the region"),
        };
        store.with(|f| f.region_mut(&rc.name).activation_tier = tier);
        (listing, permissions)
    };
    let (_, (listing, permissions)) = tokio::join!(settings, targets);
    RegionOutcome {
        name: rc.name.clone(),
        listing,
        permissions,
    }
}

/// The selected instances and registrations of one region: batched by id, by the user's filters, or all.
async fn list(rc: &RegionClients, selection: &Selection) -> Listing {
    let (instances, registrations) = match selection {
        Selection::Ids(ids) => {
            let ec2_ids: Vec<String> = ids.iter().filter(|i| !is_hybrid(i)).cloned().collect();
            tokio::join!(
                describe_by_id(&rc.ec2, &ec2_ids),
                registrations_by_id(&rc.ssm, ids)
            )
        }
        Selection::Filters(filters) => {
            let mut sdk: Vec<_> = filters
                .iter()
                .map(|f| ec2::filter(&f.name, &f.values))
                .collect();
            if !filters.iter().any(|f| f.name == "instance-state-name") {
                sdk.push(ec2::filter("instance-state-name", &live_states()));
            }
            let instances = ec2::instances(&rc.ec2, sdk).await;
            let ids: Vec<String> = instances
                .iter()
                .flatten()
                .map(|i| i.instance_id.clone())
                .collect();
            let registrations = registrations_by_id(&rc.ssm, &ids).await;
            (instances, registrations)
        }
        Selection::All => {
            // The instances' registrations by id, side by side, rather than every node's page after page; the
            // hybrid nodes meanwhile.
            let ec2_registrations = async {
                let instances = ec2::instances(
                    &rc.ec2,
                    vec![ec2::filter("instance-state-name", &live_states())],
                )
                .await;
                let ids: Vec<String> = instances
                    .iter()
                    .flatten()
                    .map(|i| i.instance_id.clone())
                    .collect();
                (instances, registrations_by_id(&rc.ssm, &ids).await)
            };
            let ((instances, registrations), hybrid) = tokio::join!(
                ec2_registrations,
                ssm::registrations(&rc.ssm, ssm::Nodes::Hybrid)
            );
            let registrations = match (registrations, hybrid) {
                (Ok(mut r), Ok(h)) => {
                    r.extend(h);
                    Ok(r)
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            (instances, registrations)
        }
    };
    let mut found: Vec<String> = instances
        .iter()
        .flatten()
        .map(|i| i.instance_id.clone())
        .collect();
    found.sort();
    let mut hybrid: Vec<String> = match selection {
        Selection::Ids(ids) => ids
            .iter()
            .filter(|id| is_hybrid(id) && registrations.as_ref().is_ok_and(|r| r.contains_key(*id)))
            .cloned()
            .collect(),
        Selection::All => registrations
            .iter()
            .flat_map(|r| r.keys())
            .filter(|id| is_hybrid(id))
            .cloned()
            .collect(),
        Selection::Filters(_) => Vec::new(),
    };
    hybrid.sort();
    found.extend(hybrid);
    Listing {
        instances,
        registrations,
        found,
    }
}

/// Every state but terminated and shutting-down: a stopped instance is still a target (and fails as such).
fn live_states() -> Vec<String> {
    ["pending", "running", "stopping", "stopped"]
        .map(String::from)
        .to_vec()
}

/// Batches side by side, at most `BATCHES_IN_FLIGHT` at once; the first failure fails the listing.
async fn in_batches<T, F>(batches: impl Iterator<Item = F>) -> Result<Vec<T>, Failure>
where
    F: std::future::Future<Output = Result<Vec<T>, Failure>>,
{
    let results: Vec<Result<Vec<T>, Failure>> = futures_util::stream::iter(batches)
        .buffered(BATCHES_IN_FLIGHT)
        .collect()
        .await;
    let mut out = Vec::new();
    for batch in results {
        out.extend(batch?);
    }
    Ok(out)
}

async fn describe_by_id(c: &aws_sdk_ec2::Client, ids: &[String]) -> Result<Vec<Instance>, Failure> {
    in_batches(
        ids.chunks(IDS_PER_DESCRIBE)
            .map(|part| ec2::instances(c, vec![ec2::filter("instance-id", part)])),
    )
    .await
}

async fn registrations_by_id(
    c: &aws_sdk_ssm::Client,
    ids: &[String],
) -> Result<BTreeMap<String, Registration>, Failure> {
    let found = in_batches(
        ids.chunks(IDS_PER_REGISTRATION)
            .map(|part| ssm::registrations(c, ssm::Nodes::Ids(part))),
    )
    .await?;
    Ok(found.into_iter().collect())
}

/// Each distinct VPC's network, once, a few at a time; a target counts as done when its network is in.
async fn networks(run: &Run<'_>, rc: &RegionClients, instances: &[&Instance], found: usize) {
    let mut by_vpc: BTreeMap<&str, usize> = BTreeMap::new();
    for i in instances {
        if let Some(vpc) = &i.vpc_id {
            *by_vpc.entry(vpc).or_default() += 1;
        }
    }
    let done = &run.store.progress.done;
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
    preferences: futures_util::future::Shared<
        impl std::future::Future<Output = Result<SessionPreferences, Failure>>,
    >,
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

/// The caller's decisions on `found` (this region's targets); `None` when there are none.
async fn simulate(
    run: &Run<'_>,
    rc: &RegionClients,
    found: &[String],
    preferences: futures_util::future::Shared<
        impl std::future::Future<Output = Result<SessionPreferences, Failure>>,
    >,
    simulated: futures_util::future::Shared<
        impl std::future::Future<Output = Result<simulate::Simulated, Failure>>,
    >,
) -> Option<Result<CallerPermissions, Failure>> {
    if found.is_empty() {
        return None;
    }
    let (caller, who, prefs, creds) = tokio::join!(
        run.caller.clone(),
        simulated,
        preferences,
        run.credentials.clone()
    );
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let who = match who {
        Ok(w) => w,
        Err(e) => return Some(Err(e)),
    };
    // The facts the questions depend on: region, partition, account, caller, the preferences' KMS key.
    let mut template = Facts::new(Target {
        id: found[0].clone(),
        region: rc.name.clone(),
        account: Some(caller.account.clone()),
    });
    template.caller = Fact::known(caller.clone());
    if let Ok(p) = prefs {
        template.session_preferences = Fact::known(p);
    }
    let arns: Vec<String> = found
        .iter()
        .map(|id| {
            let mut t = template.clone();
            t.target.id = id.clone();
            t.target_arn()
        })
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
            },
        )
        .await,
    )
}

/// The targets in the order asked: each in the region that has it; an id no region has is "not found" in the
/// first region (or where it is, when a quick look finds it elsewhere), a listing that failed makes its targets'
/// facts unavailable for that reason.
async fn place_targets(
    run: &Run<'_>,
    session: &Session,
    names: &[String],
    outcomes: Vec<RegionOutcome>,
) -> Result<Vec<TargetFacts>, EnvironmentError> {
    let store = &run.store;
    let mut targets = Vec::new();
    for o in &outcomes {
        for id in &o.listing.found {
            targets.push(target_facts(store, id, &o.name, &o.listing));
        }
    }
    let Selection::Ids(ids) = &run.selection else {
        // Filters or all: a region whose targets could not be listed would drop them unseen, and a gate would pass
        // on what it never saw. Say so instead of reporting the rest.
        for o in &outcomes {
            let unlisted = match (
                &o.listing.instances,
                &o.listing.registrations,
                &run.selection,
            ) {
                (Err(e), _, _) => Some(("the instances", e)),
                (_, Err(e), Selection::All) => {
                    Some(("the managed nodes (hybrid ones among them)", e))
                }
                _ => None,
            };
            if let Some((what, reason)) = unlisted {
                return Err(match reason {
                    Failure::Environment(e) => e.clone(),
                    Failure::Fact(r) => EnvironmentError(format!(
                        "cannot list {what} to check in {}: {}",
                        o.name,
                        r.describe()
                    )),
                });
            }
        }
        return Ok(targets);
    };
    let first = &outcomes[0];
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !targets.iter().any(|t| &t.id == *id))
        .collect();
    // A region that could not list is where a missing target may be: it is unseen, not absent.
    let unlisted_instances = outcomes
        .iter()
        .find_map(|o| o.listing.instances.as_ref().err());
    let unlisted_nodes = outcomes
        .iter()
        .find_map(|o| o.listing.registrations.as_ref().err());
    let look_elsewhere = missing.len() <= LOOK_ELSEWHERE_UP_TO && unlisted_instances.is_none();
    for id in missing {
        let mut t = target_facts(store, id, &first.name, &first.listing);
        t.registration = match unlisted_nodes {
            None => Fact::known(ssm::unregistered()),
            Some(e) => store.fact(Err(e.clone())),
        };
        if is_hybrid(id) {
            // Its registration is all there is to find.
        } else if let Some(e) = unlisted_instances {
            t.instance = store.fact(Err(e.clone()));
        } else {
            let regions = if look_elsewhere {
                ec2::find_elsewhere(&session.config, id).await
            } else {
                Vec::new()
            };
            let what = match regions.as_slice() {
                [] => format!("no instance {id} in {} for this account", names.join(", ")),
                regions => format!(
                    "{id} is not in {}, but in {}: pass --region",
                    names.join(", "),
                    regions.join(", ")
                ),
            };
            t.instance = Fact::unavailable(Unavailable::NotFound { what });
        }
        targets.push(t);
    }
    // In the order given.
    targets.sort_by_key(|t| ids.iter().position(|id| id == &t.id));
    Ok(targets)
}

fn target_facts(store: &Store, id: &str, region: &str, listing: &Listing) -> TargetFacts {
    let instance = if is_hybrid(id) {
        Fact::not_applicable("hybrid managed node: not an EC2 instance")
    } else {
        match &listing.instances {
            Ok(all) => match all.iter().find(|i| i.instance_id == id) {
                Some(i) => Fact::known(i.clone()),
                None => Fact::unavailable(Unavailable::NotFound {
                    what: format!("no instance {id} in {region}"),
                }),
            },
            Err(e) => store.fact(Err(e.clone())),
        }
    };
    let registration = match &listing.registrations {
        Ok(r) => Fact::known(r.get(id).cloned().unwrap_or_else(ssm::unregistered)),
        Err(e) => store.fact(Err(e.clone())),
    };
    TargetFacts {
        id: id.to_string(),
        region: region.to_string(),
        instance,
        registration,
    }
}
