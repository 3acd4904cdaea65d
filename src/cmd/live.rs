//! Gathering from AWS for the commands, through the library's entry (`ssm_check::{check, gather_facts}`: one time
//! bound, one validation), with a progress bar on stderr when it is a terminal; or, built without the `live`
//! feature, a clear refusal.

use super::cli::AwsArgs;
use super::CommandError;
use ssm_check::facts::Document;
use ssm_check::options::Options;
use ssm_check::rules::Report;
use ssm_check::selection::Selection;

/// Without the `live` feature there is nothing to gather with: say so, and how to evaluate saved facts instead.
#[cfg(not(feature = "live"))]
pub fn not_built() -> CommandError {
    CommandError::input(
        "this ssm-check was built without live gathering (the `live` feature): evaluate saved facts with --facts FILE",
    )
}

#[cfg(not(feature = "live"))]
pub fn gather(
    _selection: &Selection,
    _options: &Options,
    _aws: &AwsArgs,
    _quiet: bool,
) -> Result<Document, CommandError> {
    Err(not_built())
}

#[cfg(not(feature = "live"))]
pub fn check(_target: &str, _options: &Options, _aws: &AwsArgs) -> Result<Report, CommandError> {
    Err(not_built())
}

#[cfg(not(feature = "live"))]
pub fn wait(
    _selection: &Selection,
    _options: &Options,
    _aws: &AwsArgs,
    _deadline: std::time::Duration,
    _quiet: bool,
) -> Result<Vec<Report>, CommandError> {
    Err(not_built())
}

/// The facts of `selection`, for evaluating here as each target's report is printed (or for printing as they are).
#[cfg(feature = "live")]
pub fn gather(
    selection: &Selection,
    options: &Options,
    aws: &AwsArgs,
    quiet: bool,
) -> Result<Document, CommandError> {
    use std::io::IsTerminal;
    let options = check_options(options, aws);
    let bar = !quiet && std::io::stderr().is_terminal();
    let fleet = block_on(async {
        let work = ssm_check::gather_facts(selection, &options);
        if bar {
            with_progress(work, &options.progress).await
        } else {
            work.await
        }
    })??;
    Ok(Document::Fleet(Box::new(fleet)))
}

/// One target's report, quietly: the entry points' check before a session.
#[cfg(feature = "live")]
pub fn check(target: &str, options: &Options, aws: &AwsArgs) -> Result<Report, CommandError> {
    let options = check_options(options, aws);
    Ok(block_on(ssm_check::check(target, &options))??)
}

/// The reports of `selection` once every target is ready, fails for good, or `deadline` has passed; what it waits
/// for on stderr as it goes (a status line on a terminal, else a line per change), nothing with `quiet`.
#[cfg(feature = "live")]
pub fn wait(
    selection: &Selection,
    options: &Options,
    aws: &AwsArgs,
    deadline: std::time::Duration,
    quiet: bool,
) -> Result<Vec<Report>, CommandError> {
    use ssm_check::wait::{Clock, SystemClock, VirtualClock, WaitOptions};
    use std::sync::Arc;
    let options = check_options(options, aws);
    // The tests' clock: sleeps return at once, so they count re-checks rather than take minutes.
    let clock: Arc<dyn Clock> = match std::env::var_os("SSM_CHECK_VIRTUAL_CLOCK") {
        Some(_) => Arc::new(VirtualClock::default()),
        None => Arc::new(SystemClock::default()),
    };
    let wait = WaitOptions { deadline, clock };
    let mut status = wait_status::Line::new(quiet, deadline);
    let reports = block_on(ssm_check::wait_until_ready(
        selection,
        &options,
        &wait,
        |s| status.show(s),
    ))?;
    status.finish();
    Ok(reports?)
}

#[cfg(feature = "live")]
pub fn check_options(options: &Options, aws: &AwsArgs) -> ssm_check::CheckOptions {
    ssm_check::CheckOptions {
        profile: aws.profile.clone(),
        regions: aws.region.clone(),
        timeout: std::time::Duration::from_secs(aws.timeout),
        concurrency: usize::from(aws.concurrency),
        ..ssm_check::CheckOptions::new(options.clone())
    }
}

/// Runs the library's future on a runtime of its own: the commands are synchronous otherwise.
#[cfg(feature = "live")]
fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, CommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::environment(format!("cannot start: {e}")))?;
    Ok(runtime.block_on(work))
}

/// Targets done of those found, API calls and retries, redrawn while `work` runs; cleared at the end.
#[cfg(feature = "live")]
async fn with_progress<F: std::future::Future>(
    work: F,
    progress: &ssm_check::gather::Progress,
) -> F::Output {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} gathering {pos}/{len} targets {wide_bar} {msg}")
            .expect("a valid template"),
    );
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut work => {
                bar.finish_and_clear();
                return out;
            }
            _ = tick.tick() => {
                let (done, targets, calls, retries) = progress.get();
                bar.set_length(targets as u64);
                bar.set_position(done as u64);
                bar.set_message(format!("{calls} calls, {retries} retried"));
                bar.tick();
            }
        }
    }
}

/// What a wait is waiting for, on stderr: one redrawn line on a terminal, else one line per change.
#[cfg(feature = "live")]
mod wait_status {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use ssm_check::render::table::duration_words;
    use ssm_check::render::text::printable;
    use ssm_check::wait::WaitStatus;
    use std::io::IsTerminal;
    use std::time::Duration;

    pub struct Line {
        bar: Option<ProgressBar>,
        plain: bool,
        last: Option<String>,
    }

    impl Line {
        pub fn new(quiet: bool, deadline: Duration) -> Line {
            let terminal = !quiet && std::io::stderr().is_terminal();
            let bar = terminal.then(|| {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                let of = duration_words(deadline.as_secs());
                bar.set_style(
                    // The message is cut to the terminal's width: one line, however long the ids. The time
                    // in the words the report uses (`1 m 20 s of 10 m`).
                    ProgressStyle::with_template(&format!(
                        "{{spinner}} {{waited}} of {of}: {{wide_msg}}"
                    ))
                    .expect("a valid template")
                    .with_key(
                        "waited",
                        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&duration_words(state.elapsed().as_secs()));
                        },
                    ),
                );
                bar.set_message("checking");
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            Line {
                bar,
                plain: !quiet && !terminal,
                last: None,
            }
        }

        pub fn show(&mut self, s: &WaitStatus) {
            let what = describe(s);
            if let Some(bar) = &self.bar {
                bar.set_message(what);
            } else if self.plain
                && !s.waiting.is_empty()
                && self.last.as_deref() != Some(what.as_str())
            {
                // A line per change of what it waits for; the end is the report's to say.
                crate::cmd::output::eprint(&format!(
                    "ssm-check: {what} (check {}, {} of {})\n",
                    s.checks,
                    duration_words(s.elapsed.as_secs()),
                    duration_words(s.deadline.as_secs())
                ));
                self.last = Some(what);
            }
        }

        pub fn finish(&self) {
            if let Some(bar) = &self.bar {
                bar.finish_and_clear();
            }
        }
    }

    /// `waiting for the agent on i-… to register; nothing else fails`, or for a fleet how many are ready.
    pub fn describe(s: &WaitStatus) -> String {
        let what: Vec<String> = s.waiting.iter().flat_map(|(_, w)| w.clone()).collect();
        let unseen = match s.unknown {
            0 => String::new(),
            1 => " (1 check could not see its facts)".to_string(),
            n => format!(" ({n} checks could not see their facts)"),
        };
        let text = match (s.waiting.len(), s.targets) {
            (0, _) => "done waiting".to_string(),
            (_, 1) => format!(
                "waiting for {}; nothing else fails{unseen}",
                what.join(" and ")
            ),
            (n, all) => format!(
                "waiting for {n} of {all} targets ({}); {} ready",
                list(&what, 3),
                s.ready
            ),
        };
        printable(&text).into_owned()
    }

    fn list(items: &[String], at_most: usize) -> String {
        match items.len() {
            n if n <= at_most => items.join(", "),
            n => format!("{} and {} more", items[..at_most].join(", "), n - at_most),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn status(waiting: &[(&str, &str)], targets: usize, ready: usize) -> WaitStatus {
            WaitStatus {
                checks: 3,
                elapsed: Duration::from_secs(80),
                deadline: Duration::from_secs(600),
                targets,
                ready,
                unknown: 0,
                waiting: waiting
                    .iter()
                    .map(|(id, w)| (id.to_string(), vec![w.to_string()]))
                    .collect(),
            }
        }

        #[test]
        fn one_target_names_what_it_waits_for_and_that_nothing_else_fails() {
            let s = status(&[("i-1", "the agent on i-1 to register")], 1, 0);
            assert_eq!(
                describe(&s),
                "waiting for the agent on i-1 to register; nothing else fails"
            );
        }

        #[test]
        fn checks_that_could_not_see_their_facts_are_not_hidden_by_nothing_else_fails() {
            let s = WaitStatus {
                unknown: 2,
                ..status(&[("i-1", "the agent on i-1 to register")], 1, 0)
            };
            assert_eq!(
                describe(&s),
                "waiting for the agent on i-1 to register; nothing else fails (2 checks could not see their facts)"
            );
        }

        #[test]
        fn a_fleet_counts_the_targets_waited_on_and_those_ready() {
            let s = status(
                &[
                    ("i-1", "i-1 to start"),
                    ("i-2", "the agent on i-2 to register"),
                ],
                5,
                3,
            );
            assert_eq!(
                describe(&s),
                "waiting for 2 of 5 targets (i-1 to start, the agent on i-2 to register); 3 ready"
            );
        }
    }
}
