//! Live gathering: the fleet facts document of a selection of targets, from an AWS account, read-only.
//!
//! Gathering fills a store of facts keyed by what they describe — the caller, each region's settings, each VPC,
//! each instance profile and role, each target — by small steps whose dependencies are explicit, all running
//! concurrently:
//!
//! - round 1: the caller's identity, this machine, `iam:ListPolicies`; per region the selected instances and their
//!   registrations (batched by id), the DHMC setting, the preferences, the trails, the remote destination;
//! - then, per region: each distinct VPC's network once however many targets are in it (`network`), each
//!   distinct instance profile and role once (`roles`), the logging destinations, the hybrid tier, and one
//!   simulation of the caller over every target of the region (batched resource ARNs); and, for targets whose
//!   agent is not online only, what EC2 and Systems Manager show from outside (`offline`);
//! - last, the caller's own policy documents when the simulator could not answer or a role is assumed.
//!
//! So the calls grow with VPCs, roles and regions, not with instances. A single target is a fleet of one. Only
//! Describe*, Get*, List*, Simulate* and GetCallerIdentity are called (`tests/read_only.rs` checks the source,
//! `docs/iam-policy.json` lists them).
//!
//! Files: `store`, the store and the run (the steps above, in order); `refresh`, what `--wait` reads again; `region`, one region's steps; `listing`,
//! which targets each region has and where each target of the selection is placed; `options`, what the caller of
//! [`gather`] chooses; `session`, the SDK configuration and clients made from it. A service's calls are in its
//! file (`ec2`, `ssm`, `iam`, `trail`, `logging`; `network` a VPC's, `simulate` IAM's simulator), the caller's in
//! `caller`; `roles` and `policies` memoise IAM lookups, `local` reads this machine, `pages` reads every page of a
//! listing, `errors` turns SDK errors into facts or a stop.

mod caller;
mod ec2;
pub mod errors;
mod iam;
mod kms;
mod listing;
mod local;
mod logging;
mod network;
mod offline;
mod options;
mod pages;
mod policies;
mod refresh;
mod region;
mod roles;
mod session;
mod simulate;
mod ssm;
mod store;
mod trail;

pub use errors::EnvironmentError;
pub use listing::Listed;
pub use options::GatherOptions;
pub use refresh::refresh;
pub use session::{sdk_config, Progress, Session};
pub use store::{gather, gather_in, list_every, Store};
