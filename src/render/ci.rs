//! What the CI formats share: the target's label, and a finding's detail as plain lines. (Which findings fail
//! is the engine's: `rules::Gate`.)

use crate::rules::{Finding, Report};

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
