//! `ssm-check why`: what a pasted message means, and — with a target's report — which of its causes hold there,
//! which are ruled out, and which could not be checked.

use super::table::bold;
use super::text::{printable, wrap};
use crate::messages::Known;
use crate::rules::{Report, Status};

/// The explanation of each recognised message; with a report, its causes sorted by what the check found.
pub fn explain(
    known: &[&Known],
    report: Option<&Report>,
    width: Option<usize>,
    color: bool,
) -> String {
    let mut out = String::new();
    for (i, k) in known.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{}\n", bold(k.id, "39", color)));
        let mut para = |label: &str, text: &str| {
            let rest = " ".repeat(label.len());
            for line in wrap(text, width, label, &rest) {
                out.push_str(&line);
                out.push('\n');
            }
        };
        para("  printed by: ", k.printed_by.describe());
        para("  meaning:    ", k.meaning);
        match report {
            None if !k.rules.is_empty() => para("  checked by: ", &k.rules.join(", ")),
            None => {}
            Some(r) => {
                for (label, text) in verdicts(k, r) {
                    para(label, &text);
                }
            }
        }
        if !k.other_causes.is_empty() {
            para("  also:       ", &k.other_causes.join("; "));
        }
        para("  source:     ", k.source);
    }
    out
}

/// The causes that hold on this target, those that could not be checked, and those ruled out.
fn verdicts(k: &Known, r: &Report) -> Vec<(&'static str, String)> {
    let mut holds = Vec::new();
    let mut unseen = Vec::new();
    let mut ruled_out = Vec::new();
    for id in k.rules {
        let Some(f) = r.finding(id) else { continue };
        match f.status {
            Status::Fail | Status::Warn => holds.push(format!("{id}: {}", printable(&f.message))),
            Status::Unknown => unseen.push(id.to_string()),
            Status::Pass | Status::Skip => ruled_out.push(id.to_string()),
        }
    }
    let n = k.rules.len();
    let mut out = vec![(
        "  here:       ",
        match holds.len() {
            0 => format!(
                "of its {n} causes that ssm-check checks, none holds on {}",
                r.target.id
            ),
            h => format!(
                "of its {n} causes that ssm-check checks, {h} {} on {}:",
                if h == 1 { "holds" } else { "hold" },
                r.target.id
            ),
        },
    )];
    out.extend(holds.into_iter().map(|h| ("    ✗ ", h)));
    if !unseen.is_empty() {
        out.push(("  not seen:   ", unseen.join(", ")));
    }
    if !ruled_out.is_empty() {
        out.push(("  ruled out:  ", ruled_out.join(", ")));
    }
    out
}
