//! Gathering from AWS for the commands: within the run's time bound, with a progress bar on stderr when it is a
//! terminal; or, built without the `live` feature, a clear refusal.

use super::Failure;
use ssm_check::cli::AwsArgs;
use ssm_check::facts::Document;
use ssm_check::selection::Selection;

/// Without the `live` feature there is nothing to gather with: say so, and how to evaluate saved facts instead.
#[cfg(not(feature = "live"))]
pub fn gather(
    _selection: &Selection,
    _remote_host: Option<String>,
    _aws: &AwsArgs,
    _quiet: bool,
) -> Result<Document, Failure> {
    Err((
        super::INPUT_ERROR,
        "this ssm-check was built without live gathering (the `live` feature): evaluate saved facts with --facts FILE"
            .into(),
    ))
}

#[cfg(feature = "live")]
pub fn gather(
    selection: &Selection,
    remote_host: Option<String>,
    aws: &AwsArgs,
    quiet: bool,
) -> Result<Document, Failure> {
    use super::ENVIRONMENT_ERROR;
    use ssm_check::gather::{self, GatherOptions, Progress};
    use std::io::IsTerminal;
    use std::sync::Arc;
    use std::time::Duration;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (ENVIRONMENT_ERROR, format!("cannot start: {e}")))?;
    let opts = GatherOptions {
        profile: aws.profile.clone(),
        regions: aws.region.clone(),
        remote_host,
        call_timeout: None,
        concurrency: usize::from(aws.concurrency),
    };
    let limit = Duration::from_secs(aws.timeout);
    let progress = Arc::new(Progress::default());
    let bar = !quiet && std::io::stderr().is_terminal();
    runtime.block_on(async {
        let work = tokio::time::timeout(limit, gather::gather(selection, &opts, progress.clone()));
        let result = if bar {
            with_progress(work, &progress).await
        } else {
            work.await
        };
        match result {
            Ok(Ok(fleet)) => Ok(Document::Fleet(Box::new(fleet))),
            Ok(Err(e)) => Err((ENVIRONMENT_ERROR, e.to_string())),
            Err(_) => Err((
                ENVIRONMENT_ERROR,
                format!(
                    "gathering did not finish within {}s (--timeout)",
                    aws.timeout
                ),
            )),
        }
    })
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
