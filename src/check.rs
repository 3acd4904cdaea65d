//! The library's front door for tools written in Rust: gather live, evaluate, return the reports — what the
//! command line does, without printing.
//!
//! ```no_run
//! # async fn pre_session() -> Result<(), ssm_check::CheckError> {
//! use ssm_check::options::{Mode, Options};
//! use ssm_check::CheckOptions;
//!
//! let options = CheckOptions {
//!     profile: Some("prod".into()),
//!     region: Some("eu-west-1".into()),
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

use crate::facts::Document;
use crate::gather::{self, EnvironmentError, GatherOptions};
use crate::options::Options;
use crate::rules::{self, Report};
use crate::selection::{valid_target, Selection};
use std::time::Duration;

/// What to check and where.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The mode, port and remote host of the session.
    pub options: Options,
    /// A named profile; `None`: as the AWS CLI picks one (`AWS_PROFILE`, else the default chain).
    pub profile: Option<String>,
    /// The region; `None`: the profile's or `AWS_REGION`.
    pub region: Option<String>,
    /// The whole gathering's bound.
    pub timeout: Duration,
}

impl CheckOptions {
    pub fn new(options: Options) -> CheckOptions {
        CheckOptions {
            options,
            profile: None,
            region: None,
            timeout: Duration::from_secs(60),
        }
    }

    fn gather(&self) -> GatherOptions {
        GatherOptions {
            profile: self.profile.clone(),
            regions: self.region.iter().cloned().collect(),
            remote_host: self.options.remote_host.clone(),
            ..GatherOptions::default()
        }
    }
}

/// Why no report could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    /// The input is wrong (a malformed id): exit code 2 on the command line.
    #[error("{0}")]
    Input(String),
    /// Credentials, region, connectivity, or the time bound: exit code 3.
    #[error("{0}")]
    Environment(String),
}

impl From<EnvironmentError> for CheckError {
    fn from(e: EnvironmentError) -> Self {
        CheckError::Environment(e.0)
    }
}

/// Checks one instance or managed node: its report, whose `verdict.ready` is the answer.
pub async fn check(target: &str, options: &CheckOptions) -> Result<Report, CheckError> {
    if !valid_target(target) {
        return Err(CheckError::Input(format!(
            "`{target}` is not an instance id (i-0123456789abcdef0) or a hybrid node id (mi-0123456789abcdef0)"
        )));
    }
    let mut reports = check_all(&Selection::Ids(vec![target.to_string()]), options).await?;
    Ok(reports.remove(0))
}

/// Checks every target of `selection`: one report each, in the order of the run.
pub async fn check_all(
    selection: &Selection,
    options: &CheckOptions,
) -> Result<Vec<Report>, CheckError> {
    let gather_options = options.gather();
    let work = gather::gather(selection, &gather_options, Default::default());
    let fleet = tokio::time::timeout(options.timeout, work)
        .await
        .map_err(|_| {
            CheckError::Environment(format!(
                "gathering did not finish within {}s",
                options.timeout.as_secs()
            ))
        })??;
    Ok(rules::evaluate_document(
        &Document::Fleet(Box::new(fleet)),
        &options.options,
    ))
}
