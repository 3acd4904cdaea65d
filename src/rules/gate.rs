//! The exit-code decision: which findings make a report fail. It belongs to the engine's report, not to a renderer,
//! so the command line, the CI formats and a library caller decide alike.

use crate::rules::{Report, Status};

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
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(&[])
    }
}
