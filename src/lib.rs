//! ssm-check: why can't I open a Systems Manager session to this instance, and what do I change?
//!
//! Three layers: [`facts`] (one serialisable document of everything gathered), [`rules`] (pure functions of the
//! facts) and [`render`] (table, JSON).
//!
//! As a pre-session check:
//!
//! ```
//! use ssm_check::{facts, rules};
//! use std::path::Path;
//!
//! let facts = facts::load_file(Path::new("examples/seed004-broken-no-mfa.json")).unwrap();
//! let options = rules::Options { mode: rules::Mode::Port, port: Some(3389), remote_host: None };
//! let report = rules::evaluate(&facts, &options);
//! assert!(!report.verdict.ready);
//! let mfa = report.finding("caller-mfa").unwrap();
//! assert_eq!(mfa.status, rules::Status::Fail);
//! assert!(mfa.remedy.as_deref().unwrap().contains("aws sts get-session-token"));
//! ```

pub mod caller;
pub mod cli;
pub mod facts;
pub mod gather;
pub mod network;
pub mod policy;
pub mod render;
pub mod report;
pub mod rules;
pub mod version;
