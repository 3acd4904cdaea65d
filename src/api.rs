//! The library's front door for tools written in Rust: gather live, evaluate, return the reports — what the
//! command line does, without printing. The command line comes in through here too (`src/cmd/live.rs`), so the
//! two cannot drift apart.
//!
//! ```no_run
//! # async fn pre_session() -> Result<(), ssm_check::CheckError> {
//! use ssm_check::options::{Mode, Options};
//! use ssm_check::CheckOptions;
//!
//! let options = CheckOptions {
//!     profile: Some("prod".into()),
//!     regions: vec!["eu-west-1".into()],
//!     ..CheckOptions::new(Options { mode: Mode::Port, port: Some(3389), remote_host: None })
//! };
//! let report = ssm_check::check("i-0123456789abcdef0", &options).await?;
//! if !report.verdict.ready {
//!     for f in report.fixes() {
//!         eprintln!("{}: {}", f.rule(), f.remedy.as_deref().unwrap_or(&f.message));
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Input is validated before anything is asked of AWS:
//!
//! ```
//! use ssm_check::options::{Mode, Options};
//! use ssm_check::{check, CheckError, CheckOptions};
//!
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let options = CheckOptions::new(Options::new(Mode::Shell));
//! let err = runtime.block_on(check("web-1; rm -rf /", &options)).unwrap_err();
//! assert!(matches!(err, CheckError::Input(_)));
//! ```

use crate::facts::{Document, Fleet};
use crate::gather::{self, EnvironmentError, GatherOptions, Listed, Progress};
use crate::options::Options;
use crate::rules::{self, Report};
use crate::selection::{validate_target, Selection};
use std::sync::Arc;
use std::time::Duration;

/// What to check and where.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The mode, port and remote host of the session.
    pub options: Options,
    /// A named profile; `None`: as the AWS CLI picks one (`AWS_PROFILE`, else the default chain).
    pub profile: Option<String>,
    /// The regions to look in, all in one run; none: the profile's or `AWS_REGION`.
    pub regions: Vec<String>,
    /// The whole gathering's bound.
    pub timeout: Duration,
    /// Lookups of one kind (VPCs, instance profiles) in flight at once.
    pub concurrency: usize,
    /// Targets done and calls made so far, counted as gathering goes: share it to draw a progress line.
    pub progress: Arc<Progress>,
}

impl CheckOptions {
    pub fn new(options: Options) -> CheckOptions {
        CheckOptions {
            options,
            profile: None,
            regions: Vec::new(),
            timeout: Duration::from_secs(60),
            concurrency: 8,
            progress: Arc::default(),
        }
    }

    /// The gathering options these check options stand for.
    pub fn gather(&self) -> GatherOptions {
        GatherOptions {
            profile: self.profile.clone(),
            regions: self.regions.clone(),
            remote_host: self.options.remote_host.clone(),
            call_timeout: None,
            concurrency: self.concurrency,
        }
    }
}

/// Why no report could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    /// The input is wrong (a malformed id, a remote host the mode does not take): exit code 2 on the command line.
    #[error("{0}")]
    Input(String),
    /// Credentials, region or connectivity: exit code 3. When there is something to do about it, the message
    /// has a second line, `help: …` (`help: aws sso login --profile dev`).
    #[error("{0}")]
    Environment(String),
    /// Gathering did not finish within `CheckOptions::timeout`: exit code 3 too.
    #[error("gathering did not finish within {}s", .0.as_secs())]
    Timeout(Duration),
}

impl From<EnvironmentError> for CheckError {
    fn from(e: EnvironmentError) -> Self {
        CheckError::Environment(e.0)
    }
}

/// Checks one instance or managed node: its report, whose `verdict.ready` is the answer.
pub async fn check(target: &str, options: &CheckOptions) -> Result<Report, CheckError> {
    let mut reports = check_all(&Selection::Ids(vec![target.to_string()]), options).await?;
    Ok(reports.remove(0))
}

/// Checks every target of `selection`: one report each, in the order of the run.
pub async fn check_all(
    selection: &Selection,
    options: &CheckOptions,
) -> Result<Vec<Report>, CheckError> {
    options.options.validate().map_err(CheckError::Input)?;
    let fleet = gather_facts(selection, options).await?;
    Ok(rules::evaluate_document(
        &Document::Fleet(Box::new(fleet)),
        &options.options,
    ))
}

/// The facts [`check_all`] evaluates, gathered within `options.timeout`: for a caller that keeps them (`ssm-check
/// gather`) or evaluates them one by one as it prints. Only the remote host of `options.options` is read.
pub async fn gather_facts(
    selection: &Selection,
    options: &CheckOptions,
) -> Result<Fleet, CheckError> {
    if let Selection::Ids(ids) = selection {
        ids.iter()
            .try_for_each(|id| validate_target(id))
            .map_err(CheckError::Input)?;
    }
    let gather_options = options.gather();
    let work = gather::gather(selection, &gather_options, options.progress.clone());
    let fleet = tokio::time::timeout(options.timeout, work)
        .await
        .map_err(|_| CheckError::Timeout(options.timeout))??;
    Ok(fleet)
}

/// Every live instance and managed node of the regions, listed without checking them (a picker's first view),
/// within `options.timeout`.
pub async fn list_targets(options: &CheckOptions) -> Result<Vec<Listed>, CheckError> {
    let gather_options = options.gather();
    let work = async {
        let session = gather::Session::new(&gather_options, options.progress.clone()).await?;
        gather::list_every(&session, &gather_options).await
    };
    let listed = tokio::time::timeout(options.timeout, work)
        .await
        .map_err(|_| CheckError::Timeout(options.timeout))??;
    Ok(listed)
}
