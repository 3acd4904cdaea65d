//! The rule engine: every rule is a pure function of the facts and the user's options.
//!
//! - `checks/`: one file per rule, named by its id (`checks/agent_online.rs` for `rules/agent-online.toml`);
//! - `shared/`: the context a rule sees (`Check`) and the questions several rules ask of it;
//! - the engine: `registry` (every rule, in report order), `evaluate`, `outcome` (what a rule returns), `report`
//!   (what an evaluation produces), `meta` (the metadata compiled from `rules/*.toml`).

// A verdict is built once per rule and returned at once: boxing the early-return Outcome buys nothing.
#![allow(clippy::result_large_err)]

mod checks;
mod evaluate;
mod gate;
mod meta;
mod outcome;
mod registry;
mod report;
mod shared;

pub use evaluate::{evaluate, evaluate_document};
pub use gate::{Gate, Judgement};
pub use meta::{Area, RuleMeta, Severity};
pub use outcome::{Outcome, Status, Verdict};
pub use registry::{all, files, find, Rule};
pub use report::{Answer, Counts, Finding, Readiness, Report, Undecided, Waited};
pub use shared::Check;
