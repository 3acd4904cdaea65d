//! The store the facts go into as they arrive, and the run that fills it: every region's steps beside the
//! caller's, then the caller's own documents beside the placing of the targets, then the fleet.

use super::caller;
use super::errors::{into_fact, EnvironmentError, Failure};
use super::listing::place_targets;
use super::local;
use super::options::GatherOptions;
use super::region::{region, RegionOutcome};
use super::roles::Roles;
use super::session::{Progress, RegionClients, Session};
use super::simulate;
use crate::facts::*;
use crate::selection::Selection;
use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Where the facts go as they arrive, and the first failure that stops the run.
pub struct Store {
    fleet: Mutex<Fleet>,
    fatal: Mutex<Option<EnvironmentError>>,
    progress: Arc<Progress>,
}

impl Store {
    /// A store that files over an earlier run's facts.
    fn resume(fleet: Fleet, progress: Arc<Progress>) -> Store {
        Store {
            fleet: Mutex::new(fleet),
            fatal: Mutex::new(None),
            progress,
        }
    }

    /// A call's result as a fact; a credentials or connectivity failure is also kept to stop the run.
    pub fn fact<T>(&self, result: Result<T, Failure>) -> Fact<T> {
        into_fact(result, &self.fatal)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Fleet) -> R) -> R {
        f(&mut self.fleet.lock().expect("not poisoned"))
    }

    pub(super) fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The fleet, unless a step failed for want of credentials or connectivity; every target is done.
    pub(super) fn finish(self) -> Result<Fleet, EnvironmentError> {
        if let Some(e) = self.fatal.lock().expect("not poisoned").take() {
            return Err(e);
        }
        let progress = &self.progress;
        progress
            .done
            .store(progress.targets.load(Ordering::Relaxed), Ordering::Relaxed);
        Ok(self.fleet.into_inner().expect("not poisoned"))
    }
}

/// Gathers every fact about the selected targets. Only credentials and connectivity failures (and a selection
/// that cannot be listed at all) are errors; anything else becomes an unavailable fact with its reason.
pub async fn gather(
    selection: &Selection,
    opts: &GatherOptions,
    progress: Arc<Progress>,
) -> Result<Fleet, EnvironmentError> {
    let session = Session::new(opts, progress.clone()).await?;
    gather_in(&session, selection, opts, progress).await
}

/// [`gather`] with a session made earlier: one that is kept to read again what changes (`refresh`).
pub async fn gather_in(
    session: &Session,
    selection: &Selection,
    opts: &GatherOptions,
    progress: Arc<Progress>,
) -> Result<Fleet, EnvironmentError> {
    let names = region_names(opts, session);
    let run = Run::new(selection, opts, session, progress);
    let round = regions_and_caller(&run, &names).await;
    let caller = identified(round.caller)?;
    let permissions = caller_permissions(&round.regions, round.source_identity.as_ref());
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
        place_targets(&run, &names, round.regions)
    );
    let targets = targets?;
    let source_identity_arn = round.source_identity.map(|(arn, _)| arn);
    run.store.with(|fleet| {
        fleet.caller.caller = Fact::known(caller);
        fleet.caller.credentials = match credentials {
            Ok(mut c) => {
                c.source_identity_arn = source_identity_arn;
                Fact::known(c)
            }
            Err(message) => Fact::unavailable(Unavailable::Error { message }),
        };
        fleet.client = Fact::known(round.client);
        fleet.targets = targets;
    });
    file_answers(&run.store, permissions, policies, round.mfa_devices);
    let tags = run.store.fact(run.caller_tags.clone().await);
    run.store.with(|fleet| fleet.caller.caller_tags = tags);
    run.store.finish()
}

/// The regions asked for, once each in the order given; none: the configuration's.
pub(super) fn region_names(opts: &GatherOptions, session: &Session) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in &opts.regions {
        if !names.contains(r) {
            names.push(r.clone());
        }
    }
    if names.is_empty() {
        names.push(session.default_region());
    }
    names
}

type SharedResult<T> = Shared<BoxFuture<'static, T>>;

/// What every step of one run shares.
pub struct Run<'a> {
    pub selection: Selection,
    pub opts: &'a GatherOptions,
    pub store: Store,
    pub roles: Roles,
    pub caller: SharedResult<Result<CallerIdentity, Failure>>,
    pub credentials: SharedResult<Result<Credentials, String>>,
    pub session: &'a Session,
    /// The tags of the caller's user or role: Run As and `aws:PrincipalTag` conditions read them.
    pub caller_tags: SharedResult<Result<PrincipalTags, Failure>>,
}

impl<'a> Run<'a> {
    /// The caller's identity and credentials start when first polled, and are read once however many steps ask.
    fn new(
        selection: &Selection,
        opts: &'a GatherOptions,
        session: &'a Session,
        progress: Arc<Progress>,
    ) -> Run<'a> {
        let fleet = Fleet::new(Some(jiff::Timestamp::now().to_string()));
        Run::resume(selection, opts, session, progress, fleet)
    }

    /// A run that files over `fleet`, an earlier run's facts.
    pub fn resume(
        selection: &Selection,
        opts: &'a GatherOptions,
        session: &'a Session,
        progress: Arc<Progress>,
        fleet: Fleet,
    ) -> Run<'a> {
        let config = session.config.clone();
        let profile = opts.profile.clone();
        let caller = caller::identity(session.sts.clone()).boxed().shared();
        let (iam, who) = (session.iam.clone(), caller.clone());
        let caller_tags = async move { caller::caller_tags(&iam, &who.await?).await }
            .boxed()
            .shared();
        Run {
            selection: dedup(selection),
            opts,
            store: Store::resume(fleet, progress),
            roles: Roles::new(session.iam.clone()),
            caller,
            credentials: async move { local::credentials(&config, profile.as_deref()).await }
                .boxed()
                .shared(),
            session,
            caller_tags,
        }
    }

    pub fn concurrency(&self) -> usize {
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

/// What every region's steps and the caller's leave for the rest of the run.
struct Round {
    regions: Vec<RegionOutcome>,
    caller: Result<CallerIdentity, Failure>,
    client: Client,
    mfa_devices: Option<Result<Vec<String>, Failure>>,
    source_identity: Option<(String, Option<PermissionCheck>)>,
}

/// Every region's steps beside the caller's identity, this machine, the caller's MFA devices and source
/// identity, and the managed policies' default versions.
async fn regions_and_caller(run: &Run<'_>, names: &[String]) -> Round {
    let session = run.session;
    let simulated = async {
        let caller = run.caller.clone().await?;
        simulate::simulated(&session.iam, &caller).await
    }
    .shared();
    let clients: Vec<RegionClients> = names.iter().map(|r| session.region(r)).collect();
    let (regions, caller, client, mfa_devices, source_identity, _versions, _tags) = tokio::join!(
        futures_util::future::join_all(clients.iter().enumerate().map(|(i, rc)| region(
            run,
            rc,
            i == 0,
            simulated.clone()
        ))),
        run.caller.clone(),
        local::client(),
        mfa_devices(run),
        source_identity(run),
        // Shared futures run only when polled: polling this one here starts ListPolicies in the first round.
        run.roles.policies().prefetch(),
        // Read beside the rest; the run files the answer when it is done.
        run.caller_tags.clone()
    );
    Round {
        regions,
        caller,
        client,
        mfa_devices,
        source_identity,
    }
}

/// An IAM user's MFA devices, for the MFA remedy; `None` when the caller is not a user.
async fn mfa_devices(run: &Run<'_>) -> Option<Result<Vec<String>, Failure>> {
    let caller = run.caller.clone().await.ok()?;
    caller::user_mfa_devices(&run.session.iam, &caller).await
}

/// Who assumed the profile's role, and whether it may; `None` when the profile assumes none.
async fn source_identity(run: &Run<'_>) -> Option<(String, Option<PermissionCheck>)> {
    let creds = run.credentials.clone().await.ok()?;
    caller::source_identity(creds, run.opts, &run.session.default_region()).await
}

/// The caller, or the one-line error of a run that cannot even identify it: nothing else would mean anything.
fn identified(caller: Result<CallerIdentity, Failure>) -> Result<CallerIdentity, EnvironmentError> {
    match caller {
        Ok(c) => Ok(c),
        Err(Failure::Environment(e)) => Err(e),
        Err(Failure::Fact(reason)) => Err(EnvironmentError(format!(
            "sts:GetCallerIdentity failed: {}",
            reason.describe()
        ))),
    }
}

/// The caller's decisions over every region's targets, with the source identity's on assuming the role.
fn caller_permissions(
    regions: &[RegionOutcome],
    source_identity: Option<&(String, Option<PermissionCheck>)>,
) -> Option<Result<CallerPermissions, Failure>> {
    let mut permissions = CallerPermissions::merge(
        regions
            .iter()
            .filter_map(|o| o.permissions.clone())
            .collect(),
    );
    if let (Some(Ok(p)), Some((_, Some(check)))) = (permissions.as_mut(), source_identity) {
        p.checks.push(check.clone());
    }
    permissions
}

/// Files what was asked about the caller, or why it was not.
fn file_answers(
    store: &Store,
    permissions: Option<Result<CallerPermissions, Failure>>,
    policies: Option<Result<CallerPolicies, Failure>>,
    mfa_devices: Option<Result<Vec<String>, Failure>>,
) {
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
}

/// Every live instance and managed node of the regions `opts` names (or the profile's), unchecked.
pub async fn list_every(
    session: &Session,
    opts: &GatherOptions,
) -> Result<Vec<super::Listed>, EnvironmentError> {
    super::listing::every(session, &region_names(opts, session)).await
}
