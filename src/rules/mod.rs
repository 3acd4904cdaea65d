//! The rule engine: every rule is a pure function of the facts and the user's options.

// A verdict is built once per rule and returned at once: boxing the early-return Outcome buys nothing.
#![allow(clippy::result_large_err)]

mod agent;
mod agent_calls;
mod audit;
mod caller;
mod check;
mod client;
mod firewall;
mod gate;
mod instance;
mod meta;
mod minimums;
mod mode;
mod needs;
mod network;
mod outcome;
mod paths;
mod registry;
mod report;
mod role;
mod role_policies;

pub use check::Check;
pub use gate::Gate;
pub use meta::{Area, RuleMeta, Severity};
pub use outcome::{Outcome, Status, Verdict};
pub use registry::{all, files, find, Rule};
pub use report::{Counts, Finding, Readiness, Report};

use crate::facts::Facts;
use crate::options::Options;

/// Every target of a facts document (one target's or a fleet's), in its order.
pub fn evaluate_document(doc: &crate::facts::Document, options: &Options) -> Vec<Report> {
    let all: Vec<usize> = (0..doc.len()).collect();
    doc.views(&all).map(|f| evaluate(&f, options)).collect()
}

/// Runs every rule, in registry order.
pub fn evaluate(facts: &Facts, options: &Options) -> Report {
    let check = Check::new(facts, options);
    let findings = all()
        .iter()
        .map(|rule| {
            let outcome = if rule.meta.applies_to(options.mode) {
                match (rule.check)(&check) {
                    Ok(o) | Err(o) => o,
                }
            } else {
                Outcome::skip(format!("not needed for {}", options.mode.noun()))
            };
            Finding::new(rule.meta, outcome)
        })
        .collect();
    let mut report = Report::new(&facts.target, options, findings);
    report.name = facts.instance.value().and_then(|i| i.name.clone());
    report
}
