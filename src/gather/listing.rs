//! Which targets each region has — by id in batches, by the user's `--filters`, or `--all` — and placing every
//! target of the selection in its region once all of them are listed.

use super::ec2;
use super::errors::{EnvironmentError, Failure};
use super::region::RegionOutcome;
use super::session::{RegionClients, Session};
use super::ssm;
use super::store::{Run, Store};
use crate::facts::*;
use crate::selection::{is_hybrid, Ec2Filter, Selection};
use futures_util::StreamExt;
use std::collections::BTreeMap;

/// DescribeInstances takes up to 200 values per filter. DescribeInstanceInformation's pages hold 50 nodes: batches
/// of 50 ids run side by side instead of paging one after another.
const IDS_PER_DESCRIBE: usize = 200;
const IDS_PER_REGISTRATION: usize = ssm::PAGE as usize;
/// Listing batches in flight at once, per region: twenty are a thousand instances' registrations in one round.
const BATCHES_IN_FLIGHT: usize = 20;
/// Beyond this many unknown ids, looking for them in every other region costs more than it tells.
const LOOK_ELSEWHERE_UP_TO: usize = 3;

type Instances = Result<Vec<Instance>, Failure>;
type Registrations = Result<BTreeMap<String, Registration>, Failure>;

/// The selected targets one region has.
pub struct Listing {
    pub instances: Instances,
    pub registrations: Registrations,
    /// The targets found here, in order: instances, then hybrid nodes.
    pub found: Vec<String>,
}

/// The selected instances and registrations of one region: batched by id, by the user's filters, or all.
pub async fn list(rc: &RegionClients, selection: &Selection) -> Listing {
    let (instances, registrations) = match selection {
        Selection::Ids(ids) => by_id(rc, ids).await,
        Selection::Filters(filters) => filtered(rc, filters).await,
        Selection::All => every_target(rc).await,
    };
    let found = found(selection, &instances, &registrations);
    Listing {
        instances,
        registrations,
        found,
    }
}

/// The instances asked for by id, and the registrations of every id asked for (hybrid nodes among them).
async fn by_id(rc: &RegionClients, ids: &[String]) -> (Instances, Registrations) {
    let ec2_ids: Vec<String> = ids.iter().filter(|i| !is_hybrid(i)).cloned().collect();
    tokio::join!(
        describe_by_id(&rc.ec2, &ec2_ids),
        registrations_by_id(&rc.ssm, ids)
    )
}

/// The instances the user's filters match (live ones unless a filter names the state), and their registrations.
async fn filtered(rc: &RegionClients, filters: &[Ec2Filter]) -> (Instances, Registrations) {
    let mut sdk: Vec<_> = filters
        .iter()
        .map(|f| ec2::filter(&f.name, &f.values))
        .collect();
    if !filters.iter().any(|f| f.name == "instance-state-name") {
        sdk.push(ec2::filter("instance-state-name", &live_states()));
    }
    instances_and_registrations(rc, sdk).await
}

/// Every live instance and every hybrid node.
async fn every_target(rc: &RegionClients) -> (Instances, Registrations) {
    // The instances' registrations by id, side by side, rather than every node's page after page; the hybrid
    // nodes meanwhile.
    let ((instances, registrations), hybrid) = tokio::join!(
        instances_and_registrations(rc, vec![ec2::filter("instance-state-name", &live_states())]),
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

/// The instances `filters` match, then their registrations by id.
async fn instances_and_registrations(
    rc: &RegionClients,
    filters: Vec<aws_sdk_ec2::types::Filter>,
) -> (Instances, Registrations) {
    let instances = ec2::instances(&rc.ec2, filters).await;
    let ids: Vec<String> = instances
        .iter()
        .flatten()
        .map(|i| i.instance_id.clone())
        .collect();
    let registrations = registrations_by_id(&rc.ssm, &ids).await;
    (instances, registrations)
}

/// The targets found: the instances, then the hybrid nodes (registered ones asked for by id, or all of them).
fn found(
    selection: &Selection,
    instances: &Instances,
    registrations: &Registrations,
) -> Vec<String> {
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
    found
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

async fn describe_by_id(c: &aws_sdk_ec2::Client, ids: &[String]) -> Instances {
    in_batches(
        ids.chunks(IDS_PER_DESCRIBE)
            .map(|part| ec2::instances(c, vec![ec2::filter("instance-id", part)])),
    )
    .await
}

async fn registrations_by_id(c: &aws_sdk_ssm::Client, ids: &[String]) -> Registrations {
    let found = in_batches(
        ids.chunks(IDS_PER_REGISTRATION)
            .map(|part| ssm::registrations(c, ssm::Nodes::Ids(part))),
    )
    .await?;
    Ok(found.into_iter().collect())
}

/// The targets in the order asked: each in the region that has it; an id no region has is "not found" in the
/// first region (or where it is, when a quick look finds it elsewhere), a listing that failed makes its targets'
/// facts unavailable for that reason.
pub async fn place_targets(
    run: &Run<'_>,
    names: &[String],
    mut outcomes: Vec<RegionOutcome>,
) -> Result<Vec<TargetFacts>, EnvironmentError> {
    let mut targets = Vec::new();
    for o in outcomes.iter_mut() {
        for id in &o.listing.found {
            let mut t = target_facts(&run.store, id, &o.name, &o.listing);
            if let Some(signals) = o.signals.remove(id) {
                signals.file(&mut t);
            }
            targets.push(t);
        }
    }
    let Selection::Ids(ids) = &run.selection else {
        all_listed(&outcomes, &run.selection)?;
        return Ok(targets);
    };
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !targets.iter().any(|t| &t.id == *id))
        .collect();
    targets.extend(missing_targets(run, names, &outcomes, missing).await);
    // In the order given.
    targets.sort_by_key(|t| ids.iter().position(|id| id == &t.id));
    Ok(targets)
}

/// Filters or all: a region whose targets could not be listed would drop them unseen, and a gate would pass on
/// what it never saw. Say so instead of reporting the rest.
fn all_listed(outcomes: &[RegionOutcome], selection: &Selection) -> Result<(), EnvironmentError> {
    for o in outcomes {
        let unlisted = match (&o.listing.instances, &o.listing.registrations, selection) {
            (Err(e), _, _) => Some(("the instances", e)),
            (_, Err(e), Selection::All) => Some(("the managed nodes (hybrid ones among them)", e)),
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
    Ok(())
}

/// The ids asked for that no region listed, placed in the first region.
async fn missing_targets(
    run: &Run<'_>,
    names: &[String],
    outcomes: &[RegionOutcome],
    missing: Vec<&String>,
) -> Vec<TargetFacts> {
    let store = &run.store;
    let first = &outcomes[0];
    // A region that could not list is where a missing target may be: it is unseen, not absent.
    let unlisted_instances = outcomes
        .iter()
        .find_map(|o| o.listing.instances.as_ref().err());
    let unlisted_nodes = outcomes
        .iter()
        .find_map(|o| o.listing.registrations.as_ref().err());
    let look_elsewhere = missing.len() <= LOOK_ELSEWHERE_UP_TO && unlisted_instances.is_none();
    let mut targets = Vec::new();
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
            t.instance = not_found(run.session, names, id, look_elsewhere).await;
        }
        targets.push(t);
    }
    targets
}

/// An instance no region has: named where it is when a quick look in every other region finds it.
async fn not_found(
    session: &Session,
    names: &[String],
    id: &str,
    look_elsewhere: bool,
) -> Fact<Instance> {
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
    Fact::unavailable(Unavailable::NotFound { what })
}

pub fn target_facts(store: &Store, id: &str, region: &str, listing: &Listing) -> TargetFacts {
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
    TargetFacts::new(id, region, instance, registration)
}

/// A target as a picker shows it before any check: the instances and managed nodes of the run's regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub region: String,
    /// The Name tag of an instance, the computer name of a managed node.
    pub name: Option<String>,
    /// The instance's platform (`windows`, else Linux/UNIX), or a node's platform type.
    pub platform: Option<String>,
    /// The instance's state, or a hybrid node's ping status.
    pub state: String,
}

/// Every live instance and managed node of `regions` (the calls of `--all`'s listing, nothing more), in the
/// order a fleet check reports them.
pub async fn every(session: &Session, regions: &[String]) -> Result<Vec<Listed>, EnvironmentError> {
    let lists = futures_util::future::join_all(regions.iter().map(|name| async move {
        let rc = session.region(name);
        (name, list(&rc, &Selection::All).await)
    }))
    .await;
    let mut out = Vec::new();
    for (region, listing) in lists {
        let unlisted = |f: Failure| match f {
            Failure::Environment(e) => e,
            Failure::Fact(u) => EnvironmentError(format!(
                "could not list the instances of {region}: {}",
                u.describe()
            )),
        };
        let instances = listing.instances.map_err(unlisted)?;
        let registrations = listing.registrations.unwrap_or_default();
        for id in &listing.found {
            let instance = instances.iter().find(|i| &i.instance_id == id);
            let registration = registrations.get(id);
            out.push(Listed {
                id: id.clone(),
                region: region.clone(),
                name: match instance {
                    Some(i) => i.name.clone(),
                    None => registration.and_then(|r| r.computer_name.clone()),
                },
                platform: instance
                    .map(|i| i.platform.clone().unwrap_or_else(|| "Linux/UNIX".into()))
                    .or_else(|| registration.and_then(|r| r.platform_type.clone())),
                state: match instance {
                    Some(i) => i.state.clone(),
                    None => registration
                        .and_then(|r| r.ping_status.clone())
                        .unwrap_or_else(|| "unknown".into()),
                },
            });
        }
    }
    Ok(out)
}
