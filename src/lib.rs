//! ssm-check: why can't I open a Systems Manager session to this instance, and what do I change?
//!
//! Three layers, dependencies pointing one way: [`gather`] (all I/O, the `live` feature) → [`facts`] (one
//! serialisable document of everything gathered) ← [`rules`] (pure functions of the facts, on the evaluators
//! [`policy`], [`network`] and [`version`]) → [`render`] (table, JSON through the [`report`] contract). [`options`]
//! (what the user asks for) is a leaf every layer may read.
//!
//! Live, [`check`] gathers and evaluates in one call (the `live` feature; its page has an example);
//! [`check_until_ready`] checks until a target is ready, for as long as every failure is one that ends by itself. The binary
//! (`src/main.rs`, `src/cmd/`: its arguments, the session's command line, the verdict cache) comes in the same way,
//! through [`check`] and [`gather_facts`]. On saved facts, as a pre-session check:
//!
//! ```
//! use ssm_check::{facts, options::{Mode, Options}, rules};
//! use std::path::Path;
//!
//! let facts = facts::load_file(Path::new("examples/rdp-mfa-enforced-broken-no-mfa.json")).unwrap();
//! let options = Options { mode: Mode::Port, port: Some(3389), remote_host: None };
//! let report = rules::evaluate(&facts, &options);
//! assert!(!report.verdict.ready);
//! let mfa = report.finding("caller-mfa").unwrap();
//! assert_eq!(mfa.status, rules::Status::Fail);
//! assert!(mfa.remedy.as_deref().unwrap().contains("aws sts get-session-token"));
//! ```

#[cfg(feature = "live")]
mod api;
pub mod caller;
pub mod facts;
#[cfg(feature = "live")]
pub mod gather;
pub mod messages;
pub mod network;
pub mod options;
pub mod partition;
pub mod policy;
pub mod render;
pub mod report;
pub mod rules;
pub mod selection;
pub mod version;
#[cfg(feature = "live")]
pub mod wait;

#[cfg(feature = "live")]
pub use api::{check, check_all, gather_facts, list_targets, CheckError, CheckOptions};
#[cfg(feature = "live")]
pub use wait::{check_until_ready, wait_until_ready, WaitOptions};
