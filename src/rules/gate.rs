//! The exit-code decision: which findings make a report fail. It belongs to the engine's report, not to a renderer,
//! so the command line, the CI formats and a library caller decide alike.

use crate::rules::{Answer, Report, Status};

/// The statuses that fail a run: failures always, warnings and unknowns when asked (`--fail-on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate(Vec<Status>);

impl Gate {
    pub fn new(also: &[Status]) -> Gate {
        let mut statuses = vec![Status::Fail];
        statuses.extend(also.iter().copied().filter(|s| *s != Status::Fail));
        Gate(statuses)
    }

    pub fn fails(&self, status: Status) -> bool {
        self.0.contains(&status)
    }

    /// Whether the report fails the gate.
    pub fn fails_report(&self, report: &Report) -> bool {
        report.has_any(&self.0)
    }

    /// What the gate says of a report: it fails (a failing requirement, or a status `--fail-on` names); or
    /// nothing fails but a requirement could not be checked, which is no pass; or it passes.
    pub fn judge(&self, report: &Report) -> Judgement {
        if self.fails_report(report) {
            Judgement::Fails
        } else if report.verdict.answer == Answer::CannotTell {
            Judgement::CannotTell
        } else {
            Judgement::Passes
        }
    }
}

/// The gate's word on a report, most severe first (the order a fleet's exit code takes the worst of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Judgement {
    Fails,
    CannotTell,
    Passes,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(&[])
    }
}
