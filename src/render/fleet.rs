//! A run over several targets: one row per target (its verdict and what fails), a summary line, and the rules
//! that fail most often — the fleet's common causes. `--verbose` adds each target's full report.

use super::table::{bold, render as full_report, Style, MIN_FIT_WIDTH};
use crate::report::fleet::Summary;
use crate::rules::{Report, Status};
use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use std::collections::BTreeMap;

/// How many of the most frequent failing rules the summary names.
const COMMON_CAUSES: usize = 5;

pub fn table(reports: &[Report], style: &Style) -> String {
    let mut out = String::new();
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    if style.fit_terminal && t.width().is_some_and(|w| w >= MIN_FIT_WIDTH) {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    t.set_header(["VERDICT", "TARGET", "NAME", "REGION", "FAILING"]);
    for r in reports {
        t.add_row(vec![
            verdict_cell(r, style.color),
            Cell::new(&r.target.id),
            Cell::new(r.name.as_deref().unwrap_or("-")),
            Cell::new(&r.target.region),
            Cell::new(problems(r)),
        ]);
    }
    for line in t.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let s = Summary::of(reports);
    let line = format!(
        "{} targets: {} ready, {} not ready ({} with checks that could not see their facts, {} with warnings)",
        s.targets, s.ready, s.not_ready, s.with_unknowns, s.with_warnings
    );
    let colour = if s.not_ready == 0 { "32" } else { "31" };
    out.push_str(&format!("\n{}\n", bold(&line, colour, style.color)));
    let causes = common_causes(reports);
    if !causes.is_empty() {
        out.push_str("Failing most often: ");
        let parts: Vec<String> = causes
            .iter()
            .map(|(rule, n)| format!("{rule} ({n})"))
            .collect();
        out.push_str(&parts.join(", "));
        out.push('\n');
    }
    if style.verbose {
        for r in reports {
            out.push('\n');
            out.push_str(&full_report(r, style));
        }
    } else if s.not_ready + s.with_unknowns > 0 {
        out.push_str("\n--verbose shows every target's full report; `ssm-check explain <rule>` tells more about any rule.\n");
    }
    out
}

/// What keeps a target from being ready, shortest first: its failing rules, then how many checks could not see.
fn problems(r: &Report) -> String {
    let failing: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.rule())
        .collect();
    let mut parts = vec![failing.join(", ")];
    if r.counts.unknown > 0 {
        parts.push(format!("({} unknown)", r.counts.unknown));
    }
    let text = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        "-".into()
    } else {
        text
    }
}

/// The failing rules by how many targets they fail, most first (ties in rule order).
fn common_causes(reports: &[Report]) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in reports {
        for f in r.findings.iter().filter(|f| f.status == Status::Fail) {
            *counts.entry(f.rule()).or_default() += 1;
        }
    }
    let mut out: Vec<(&'static str, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.truncate(COMMON_CAUSES);
    out
}

fn verdict_cell(r: &Report, color: bool) -> Cell {
    let (text, colour) = match (r.verdict.ready, r.counts.unknown > 0) {
        (false, _) => ("✗ NOT READY", Color::Red),
        (true, true) => ("? ready, unknowns", Color::Magenta),
        (true, false) => ("✓ ready", Color::Green),
    };
    let cell = Cell::new(text);
    if color {
        cell.fg(colour).add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::load_file;
    use crate::options::{Mode, Options};
    use std::path::Path;

    fn report(example: &str) -> Report {
        let facts = load_file(Path::new(&format!("examples/{example}.json"))).unwrap();
        crate::rules::evaluate(&facts, &Options::new(Mode::Shell))
    }

    #[test]
    fn one_row_per_target_and_the_common_causes() {
        let reports = vec![
            report("private-shell"),
            report("private-shell-broken-no-ssmmessages"),
            report("public-broken-no-public-ip"),
        ];
        let style = Style {
            color: false,
            fit_terminal: false,
            verbose: false,
        };
        let text = table(&reports, &style);
        let rows = text.lines().filter(|l| l.contains("i-")).count();
        assert_eq!(rows, 3, "{text}");
        assert!(text.contains("3 targets: 1 ready, 2 not ready"), "{text}");
        assert!(text.contains("Failing most often: "), "{text}");
        assert!(!text.contains("\x1b["), "no colour asked");
        let verbose = table(
            &reports,
            &Style {
                verbose: true,
                ..style
            },
        );
        assert_eq!(
            verbose.matches("What to fix, in order:").count(),
            2,
            "{verbose}"
        );
    }
}
