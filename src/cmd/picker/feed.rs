//! The picker's background work, on a thread and a runtime of its own: one AWS session made before the screen
//! opens (an MFA profile asks for its code on the terminal as it is, not under the picker), then the targets
//! listed — sent as soon as they are — and a fleet check of them all, sent once done and always after the listing.

use super::screen::Feed;
use crate::cmd::cli::AwsArgs;
use crate::cmd::CommandError;
use futures_util::future::{AbortHandle, Abortable};
use ssm_check::facts::Document;
use ssm_check::gather::{self, Progress, Session};
use ssm_check::options::Options;
use ssm_check::selection::Selection;
use ssm_check::CheckError;
use std::future::Future;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

/// What the picker reads: what the work brings, its counts, and the call that stops it.
pub struct Started {
    pub feed: Receiver<Feed>,
    pub progress: Arc<Progress>,
    pub stop: AbortHandle,
}

/// Makes the session (credentials resolved, an MFA code asked for), then leaves listing and checking to run.
pub fn start(options: &Options, aws: &AwsArgs) -> Result<Started, CommandError> {
    let check = crate::cmd::live::check_options(options, aws);
    let progress = check.progress.clone();
    let (tx, feed) = channel();
    let (ready_tx, ready) = sync_channel(1);
    let (stop, registration) = AbortHandle::new_pair();
    let options = options.clone();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = ready_tx.send(Err(CommandError::environment(format!("cannot start: {e}"))));
                return;
            }
        };
        runtime.block_on(async move {
            let opts = check.gather();
            let session = match Session::new(&opts, check.progress.clone()).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(CheckError::from(e).into()));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            let work = work(&session, &check, &options, tx);
            let _ = Abortable::new(work, registration).await;
        });
    });
    ready
        .recv()
        .unwrap_or_else(|_| Err(CommandError::environment("the background check stopped")))?;
    Ok(Started {
        feed,
        progress,
        stop,
    })
}

async fn work(
    session: &Session,
    check: &ssm_check::CheckOptions,
    options: &Options,
    tx: Sender<Feed>,
) {
    let opts = check.gather();
    let list = async {
        let listed = bounded(check.timeout, gather::list_every(session, &opts)).await;
        match listed {
            Ok(listed) => tx.send(Feed::Listed(listed)).is_ok(),
            Err(e) => {
                let _ = tx.send(Feed::Failed(e.into()));
                false
            }
        }
    };
    let fleet = bounded(
        check.timeout,
        gather::gather_in(session, &Selection::All, &opts, check.progress.clone()),
    );
    let (listed, fleet) = tokio::join!(list, fleet);
    if listed {
        let _ = tx.send(match fleet {
            Ok(fleet) => Feed::Checked(ssm_check::rules::evaluate_document(
                &Document::Fleet(Box::new(fleet)),
                options,
            )),
            Err(e) => Feed::Failed(e.into()),
        });
    }
}

/// `work` within the run's time bound, its errors as the library words them.
async fn bounded<T>(
    timeout: Duration,
    work: impl Future<Output = Result<T, gather::EnvironmentError>>,
) -> Result<T, CheckError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| CheckError::Timeout(timeout))?
        .map_err(CheckError::from)
}
