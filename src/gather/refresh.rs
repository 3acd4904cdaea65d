//! Re-reading only what changes while a target gets ready, for `--wait`: its instance (state, launch time), its
//! registration, its status checks, and a VPC's network while one of its endpoints is pending. The rest of the
//! facts — roles, policies, the caller's decisions, the preferences — are the first check's.
//!
//! Per region and re-check: one DescribeInstances (up to 200 targets) and one DescribeInstanceInformation (up to
//! 50), one DescribeInstanceStatus (up to 100) for the running targets whose agent is not online; the signals of an
//! agent that is not online (image, console output, …) the first time a target is seen running without it; a VPC's
//! network only while one of its endpoints is pending.

use super::errors::EnvironmentError;
use super::listing::{list, target_facts, Listing};
use super::offline::{self, Signals};
use super::options::GatherOptions;
use super::session::{Progress, RegionClients, Session};
use super::store::Run;
use crate::facts::*;
use crate::selection::Selection;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// `fleet` with the changing facts of the targets `ids` read again.
pub async fn refresh(
    session: &Session,
    opts: &GatherOptions,
    fleet: Fleet,
    ids: &[String],
    progress: Arc<Progress>,
) -> Result<Fleet, EnvironmentError> {
    let mut by_region: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in fleet.targets.iter().filter(|t| ids.contains(&t.id)) {
        by_region
            .entry(t.region.clone())
            .or_default()
            .push(t.id.clone());
    }
    let run = Run::resume(
        &Selection::Ids(ids.to_vec()),
        opts,
        session,
        progress,
        fleet,
    );
    futures_util::future::join_all(
        by_region
            .iter()
            .map(|(name, ids)| region(&run, session.region(name), ids)),
    )
    .await;
    run.store
        .with(|f| f.gathered_at = Some(jiff::Timestamp::now().to_string()));
    run.store.finish()
}

/// One region's targets, read again and filed over their earlier facts.
async fn region(run: &Run<'_>, rc: RegionClients, ids: &[String]) {
    let listing = list(&rc, &Selection::Ids(ids.to_vec())).await;
    let running_offline: Vec<&Instance> = listing
        .instances
        .iter()
        .flatten()
        .filter(|i| offline::not_asked(&i.instance_id, &listing).is_none())
        .collect();
    // The signals of an agent that is not online, the first time a target shows one (it was starting, say).
    let never_asked: Vec<String> = run.store.with(|f| {
        f.targets
            .iter()
            .filter(|t| ids.contains(&t.id))
            .filter(|t| {
                matches!(
                    t.status_checks.get_ref(),
                    Err(Unavailable::NotGathered { .. })
                )
            })
            .filter(|t| offline::not_asked(&t.id, &listing).is_none())
            .map(|t| t.id.clone())
            .collect()
    });
    let again: Vec<&Instance> = running_offline
        .iter()
        .copied()
        .filter(|i| !never_asked.contains(&i.instance_id))
        .collect();
    let first = Listing {
        instances: listing.instances.clone(),
        registrations: listing.registrations.clone(),
        found: never_asked,
    };
    let (statuses, mut signals, _) = tokio::join!(
        offline::statuses(run.concurrency(), &rc.ec2, &again),
        offline::signals(run, &rc, &first),
        pending_networks(run, &rc, ids)
    );
    for id in ids {
        let fresh = target_facts(&run.store, id, &rc.name, &listing);
        let status = again
            .iter()
            .any(|i| &i.instance_id == id)
            .then(|| offline::status_of(id, &statuses));
        let online = offline::not_asked(id, &listing) == Some(offline::ONLINE);
        let signals = signals.remove(id);
        run.store.with(|f| {
            let Some(t) = f.targets.iter_mut().find(|t| &t.id == id) else {
                return;
            };
            // A read that failed this time (throttled, a network error) keeps what the last one saw: the next
            // re-check reads again. An answer, even "not found", replaces it.
            if answered(&fresh.instance) {
                t.instance = fresh.instance;
            }
            if answered(&fresh.registration) {
                t.registration = fresh.registration;
            }
            if let Some(s) = signals {
                s.file(t);
            } else if online {
                Signals::not_gathered(offline::ONLINE).file(t);
            } else if let Some(s) = status.filter(answered) {
                t.status_checks = s;
            }
        });
    }
}

/// AWS answered: the value, or that there is none.
fn answered<T>(fact: &Fact<T>) -> bool {
    matches!(
        fact.get_ref(),
        Ok(_) | Err(Unavailable::NotFound { .. } | Unavailable::NotApplicable { .. })
    )
}

/// The networks of the targets' VPCs that have a pending endpoint, read again: its addresses and DNS come with it.
async fn pending_networks(run: &Run<'_>, rc: &RegionClients, ids: &[String]) {
    let vpcs: BTreeSet<String> = run.store.with(|f| {
        let region = f.regions.get(&rc.name);
        f.targets
            .iter()
            .filter(|t| ids.contains(&t.id))
            .filter_map(|t| t.instance.value()?.vpc_id.clone())
            .filter(|vpc| {
                region
                    .and_then(|r| r.vpcs.get(vpc))
                    .and_then(|v| v.vpc_endpoints.value())
                    .is_some_and(|eps| eps.iter().any(|e| e.state.eq_ignore_ascii_case("pending")))
            })
            .collect()
    });
    for vpc in vpcs {
        super::network::vpc(&rc.ec2, &rc.name, &vpc, &run.store).await;
    }
}
