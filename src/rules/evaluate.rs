//! Running the registry's rules over one target's facts, or over every target of a document.

use super::outcome::Outcome;
use super::registry::all;
use super::report::{Finding, Report};
use super::shared::{commands, Check};
use crate::facts::{Document, Facts};
use crate::options::Options;

/// Every target of a facts document (one target's or a fleet's), in its order.
pub fn evaluate_document(doc: &Document, options: &Options) -> Vec<Report> {
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
                let mut o = match (rule.check)(&check) {
                    Ok(o) | Err(o) => o,
                };
                o.remedy = o.remedy.map(|r| commands::complete(&r, facts));
                o
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
