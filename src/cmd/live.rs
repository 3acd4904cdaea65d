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
fn not_built() -> CommandError {
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

#[cfg(feature = "live")]
fn check_options(options: &Options, aws: &AwsArgs) -> ssm_check::CheckOptions {
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
