//! What the CI formats share: which findings fail the gate, and a finding's detail as plain lines.

use crate::rules::{Finding, Report, Status};

/// The statuses that fail a run: failures always, warnings and unknowns when `--fail-on` names them.
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

/// The target as people name it: `i-… (Name)`.
pub fn target_label(r: &Report) -> String {
    match &r.name {
        Some(n) => format!("{} ({n})", r.target.id),
        None => r.target.id.clone(),
    }
}

/// Evidence, the permissions that would reveal an unknown, and the remedy, one per line.
pub fn detail_lines(f: &Finding) -> Vec<String> {
    let mut lines: Vec<String> = f.evidence.iter().map(|e| format!("· {e}")).collect();
    if !f.needs.is_empty() {
        lines.push(format!("would be revealed by: {}", f.needs.join(", ")));
    }
    if let Some(r) = &f.remedy {
        let mut it = r.lines();
        if let Some(first) = it.next() {
            lines.push(format!("fix: {first}"));
        }
        lines.extend(it.map(|l| format!("     {l}")));
    }
    lines
}
