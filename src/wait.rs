//! Waiting until ready: the readiness gate provisioning scripts loop on. Check; while every failure of a target
//! is one that ends by itself (an instance starting, an agent registering or reconnecting, an endpoint being
//! created: a finding's `settles`), read again only what changes ([`crate::gather::refresh`]) after a pause, and
//! check again, until every target is ready, something fails that will not end by itself, or the time is up.
//!
//! ```no_run
//! # async fn provision() -> Result<(), ssm_check::CheckError> {
//! use ssm_check::options::{Mode, Options};
//! use ssm_check::CheckOptions;
//! use std::time::Duration;
//!
//! let options = CheckOptions::new(Options::new(Mode::Shell));
//! let report = ssm_check::check_until_ready("i-0123456789abcdef0", &options, Duration::from_secs(600)).await?;
//! let waited = report.waited.as_ref().expect("a wait says how it went");
//! println!("{} after {} checks", report.verdict.summary, waited.checks);
//! # Ok(())
//! # }
//! ```

use crate::api::{CheckError, CheckOptions};
use crate::facts::{Document, Fleet};
use crate::gather::{self, Session};
use crate::rules::{self, Answer, Report, Waited};
use crate::selection::{validate_target, Selection};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a wait's time comes from: the system's, or one a test advances (count re-checks, never seconds).
pub trait Clock: Send + Sync {
    /// Time since the clock was made.
    fn elapsed(&self) -> Duration;
    fn sleep(&self, pause: Duration) -> BoxFuture<'_, ()>;
}

/// The system's clock.
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }

    fn sleep(&self, pause: Duration) -> BoxFuture<'_, ()> {
        tokio::time::sleep(pause).boxed()
    }
}

/// A clock whose sleeps return at once, moving its time on: a wait of ten minutes runs in as long as its checks.
#[derive(Default)]
pub struct VirtualClock(AtomicU64);

impl Clock for VirtualClock {
    fn elapsed(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }

    fn sleep(&self, pause: Duration) -> BoxFuture<'_, ()> {
        self.0
            .fetch_add(pause.as_millis() as u64, Ordering::Relaxed);
        async {}.boxed()
    }
}

/// How long to wait, on which clock.
#[derive(Clone)]
pub struct WaitOptions {
    /// From the first check; the last check is made at this time at the latest.
    pub deadline: Duration,
    pub clock: Arc<dyn Clock>,
}

impl WaitOptions {
    pub fn new(deadline: Duration) -> WaitOptions {
        WaitOptions {
            deadline,
            clock: Arc::new(SystemClock::default()),
        }
    }
}

/// Where a wait stands after a check: for a status line.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitStatus {
    /// Checks made so far, the first one included.
    pub checks: u32,
    pub elapsed: Duration,
    pub deadline: Duration,
    pub targets: usize,
    pub ready: usize,
    /// What each target still waited on waits for, by target id.
    pub waiting: Vec<(String, Vec<String>)>,
    /// Findings of the targets waited on that could not see their facts (not failures: they do not stop a wait).
    pub unknown: usize,
}

/// The pause before re-check `n` (1 for the first re-check): short at first, when an instance is seconds from
/// running, then every 20 seconds — an agent registers within minutes, and each re-check costs a few calls.
pub fn pause_before(n: u32) -> Duration {
    Duration::from_secs(match n {
        0 | 1 => 5,
        2 => 10,
        3 => 15,
        _ => 20,
    })
}

/// Checks one target until it is ready, fails for good, or `deadline` has passed: its last report, with
/// `waited` saying how the wait went.
pub async fn check_until_ready(
    target: &str,
    options: &CheckOptions,
    deadline: Duration,
) -> Result<Report, CheckError> {
    let selection = Selection::Ids(vec![target.to_string()]);
    let mut reports =
        wait_until_ready(&selection, options, &WaitOptions::new(deadline), |_| {}).await?;
    Ok(reports.remove(0))
}

/// [`check_until_ready`] for every target of `selection`, on `wait`'s clock, telling `observe` after each check.
pub async fn wait_until_ready(
    selection: &Selection,
    options: &CheckOptions,
    wait: &WaitOptions,
    mut observe: impl FnMut(&WaitStatus),
) -> Result<Vec<Report>, CheckError> {
    options.options.validate().map_err(CheckError::Input)?;
    if let Selection::Ids(ids) = selection {
        ids.iter()
            .try_for_each(|id| validate_target(id))
            .map_err(CheckError::Input)?;
    }
    let clock = &wait.clock;
    let start = clock.elapsed();
    let opts = options.gather();
    let session = Session::new(&opts, options.progress.clone()).await?;
    let first = gather::gather_in(&session, selection, &opts, options.progress.clone());
    let mut fleet = bounded(options.timeout, first).await?;
    let mut checks = 1;
    // Per target: the checks it had and when the last one was made (a target ready at once had one, at 0 s).
    let mut seen: HashMap<String, (u32, Duration)> = HashMap::new();
    let mut checked: Option<Vec<String>> = None;
    loop {
        let reports = evaluate(&fleet, options);
        let waiting = waiting(&reports);
        let elapsed = clock.elapsed() - start;
        for r in &reports {
            let id = &r.target.id;
            if checked.as_ref().is_none_or(|ids| ids.contains(id)) {
                let entry = seen.entry(id.clone()).or_insert((0, elapsed));
                *entry = (entry.0 + 1, elapsed);
            }
        }
        observe(&WaitStatus {
            checks,
            elapsed,
            deadline: wait.deadline,
            targets: reports.len(),
            ready: reports.iter().filter(|r| r.verdict.ready).count(),
            unknown: unknown(&reports, &waiting),
            waiting: waiting.clone(),
        });
        let timed_out = elapsed >= wait.deadline;
        // One target that fails for good fails the run: waiting on the others would only delay saying so.
        let failed = reports
            .iter()
            .any(|r| r.verdict.answer == Answer::No && r.waiting_for().is_empty());
        if waiting.is_empty() || timed_out || failed {
            return Ok(finish(reports, &seen, timed_out));
        }
        clock
            .sleep(pause_before(checks).min(wait.deadline - elapsed))
            .await;
        let ids: Vec<String> = waiting.into_iter().map(|(id, _)| id).collect();
        let again = gather::refresh(&session, &opts, fleet, &ids, options.progress.clone());
        fleet = bounded(options.timeout, again).await?;
        checked = Some(ids);
        checks += 1;
    }
}

/// One gathering, within the run's time bound.
async fn bounded(
    timeout: Duration,
    work: impl std::future::Future<Output = Result<Fleet, gather::EnvironmentError>>,
) -> Result<Fleet, CheckError> {
    Ok(tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| CheckError::Timeout(timeout))??)
}

fn evaluate(fleet: &Fleet, options: &CheckOptions) -> Vec<Report> {
    // The document is rebuilt from a clone: a fleet's views borrow it, and the next refresh takes it.
    rules::evaluate_document(&Document::Fleet(Box::new(fleet.clone())), &options.options)
}

/// The targets still waited on, with what each waits for.
fn waiting(reports: &[Report]) -> Vec<(String, Vec<String>)> {
    reports
        .iter()
        .filter_map(|r| {
            let what = r.waiting_for();
            (!what.is_empty()).then(|| {
                (
                    r.target.id.clone(),
                    what.into_iter().map(str::to_string).collect(),
                )
            })
        })
        .collect()
}

/// The findings that could not see their facts, over the targets still waited on: a status line that says
/// "nothing else fails" says this too.
fn unknown(reports: &[Report], waiting: &[(String, Vec<String>)]) -> usize {
    reports
        .iter()
        .filter(|r| waiting.iter().any(|(id, _)| id == &r.target.id))
        .map(|r| r.counts.unknown)
        .sum()
}

/// The last reports, each saying how its wait went (its own checks and time); those still waited on when the
/// time ran out say so.
fn finish(
    mut reports: Vec<Report>,
    seen: &HashMap<String, (u32, Duration)>,
    timed_out: bool,
) -> Vec<Report> {
    for r in &mut reports {
        let waiting_for: Vec<String> = r.waiting_for().into_iter().map(str::to_string).collect();
        let (checks, elapsed) = seen.get(&r.target.id).copied().unwrap_or_default();
        r.waited = Some(Waited {
            checks,
            seconds: elapsed.as_secs(),
            timed_out: timed_out && !waiting_for.is_empty(),
            // Still waited on when the wait ended: the time ran out, or another target failed for good.
            waiting_for,
        });
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_then_hold_at_twenty_seconds() {
        let pauses: Vec<u64> = (1..=6).map(|n| pause_before(n).as_secs()).collect();
        assert_eq!(pauses, [5, 10, 15, 20, 20, 20]);
    }

    #[tokio::test]
    async fn a_virtual_clock_moves_on_by_its_sleeps_at_once() {
        let clock = VirtualClock::default();
        clock.sleep(Duration::from_secs(90)).await;
        clock.sleep(Duration::from_millis(500)).await;
        assert_eq!(clock.elapsed(), Duration::from_millis(90_500));
    }
}
