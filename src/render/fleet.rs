//! A run over several targets: the targets that are not ready first, each with its first cause, its fix and the
//! command that shows its full report; then those that cannot be told; then the ready ones, a line each. A summary
//! line and the rules that fail most often — the fleet's common causes — close it. `--verbose` adds the full
//! reports of the targets that are not ready or cannot be told.

use super::table::{bold, render as full_report, Style};
use super::text::{bounded, plural, printable, width, wrap, wrap_width};
use crate::report::fleet::Summary;
use crate::rules::{Answer, Report, Status, Waited};
use std::collections::BTreeMap;

/// How many of the most frequent failing rules the summary names.
const COMMON_CAUSES: usize = 5;
/// A Name tag longer than this is cut in the table (its full value is in the report).
const NAME_WIDTH: usize = 30;

pub fn table(reports: &[Report], style: &Style) -> String {
    let wrap_at = wrap_width(style.fit_terminal);
    let mut order: Vec<&Report> = reports.iter().collect();
    // Stable: within each answer, the run's order.
    order.sort_by_key(|r| match r.verdict.answer {
        Answer::No => 0,
        Answer::CannotTell => 1,
        Answer::Yes => 2,
    });
    let id_width = reports
        .iter()
        .map(|r| width(&printable(&r.target.id)))
        .max()
        .unwrap_or(0);
    let names: Vec<String> = order.iter().map(|r| name(r)).collect();
    let name_width = names.iter().map(|n| width(n)).max().unwrap_or(0);
    let mut out = String::new();
    for (r, name) in order.iter().zip(&names) {
        let (label, colour) = label(r);
        let status = format!("{label:<13}");
        let head = format!(
            "{}  {:<id_width$}  {}{}  {}",
            bold(&status, colour, style.color),
            printable(&r.target.id),
            name,
            " ".repeat(name_width - width(name)),
            printable(&r.target.region)
        );
        out.push_str(head.trim_end());
        out.push('\n');
        for line in cause(r, wrap_at) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str(&summary(reports, style));
    if let Some(line) = waited(reports) {
        for line in wrap(&printable(&line), wrap_at, "", "  ") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if style.verbose {
        for r in order.iter().filter(|r| r.verdict.answer != Answer::Yes) {
            out.push('\n');
            out.push_str(&full_report(r, style));
        }
    } else if order.iter().any(|r| r.verdict.answer != Answer::Yes) {
        out.push('\n');
        let hint =
            "--verbose adds the full reports of the targets that are not ready or cannot be told.";
        for line in wrap(hint, wrap_at, "", "") {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("ssm-check explain RULE tells more about any rule.\n");
    }
    out
}

/// How a `--wait` over the fleet ended: the most checks and the longest time any target had, what it still
/// waited for every target's, and the worst answer.
fn waited(reports: &[Report]) -> Option<String> {
    let first = reports.first()?.waited.as_ref()?;
    let mut all = Waited {
        waiting_for: Vec::new(),
        timed_out: false,
        ..first.clone()
    };
    for w in reports.iter().filter_map(|r| r.waited.as_ref()) {
        all.checks = all.checks.max(w.checks);
        all.seconds = all.seconds.max(w.seconds);
        all.timed_out |= w.timed_out;
        all.waiting_for.extend(w.waiting_for.iter().cloned());
    }
    let answers = || reports.iter().map(|r| r.verdict.answer);
    let answer = if answers().any(|a| a == Answer::No) {
        Answer::No
    } else if answers().any(|a| a == Answer::CannotTell) {
        Answer::CannotTell
    } else {
        Answer::Yes
    };
    Some(super::table::waited(&all, answer))
}

/// The Name tag as the table shows it: printable, and not wider than its column.
fn name(r: &Report) -> String {
    let n = r.name.as_deref().map(printable).unwrap_or("-".into());
    if n.chars().count() <= NAME_WIDTH {
        return n.into_owned();
    }
    let cut: String = n.chars().take(NAME_WIDTH - 1).collect();
    format!("{cut}…")
}

fn label(r: &Report) -> (&'static str, &'static str) {
    match r.verdict.answer {
        Answer::No => ("✗ not ready", "31"),
        Answer::CannotTell => ("? cannot tell", "35"),
        Answer::Yes => ("✓ ready", "32"),
    }
}

/// Under a target that is not ready: its first cause and that cause's first step, and how to see the rest.
fn cause(r: &Report, width: Option<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    match r.verdict.answer {
        Answer::Yes => return lines,
        Answer::No => {
            let fixes = r.fixes();
            if let Some(first) = fixes.first() {
                let also = r.also_fixes(first);
                let also = if also.is_empty() {
                    String::new()
                } else {
                    format!(" (also fixes {})", also.join(", "))
                };
                let text = format!("{}{also}: {}", first.rule(), first.message);
                lines.extend(wrap(&bounded(&printable(&text)), width, "    ", "      "));
                if let Some(remedy) = first.remedy.as_deref() {
                    if let Some(step) = first_step(remedy) {
                        lines.extend(wrap(&printable(step), width, "    fix: ", "         "));
                    }
                    let commands = remedy.lines().filter(|l| l.starts_with("aws ")).count();
                    if commands > 1 {
                        lines.push(format!(
                            "    and {} in the full report",
                            plural(commands - 1, "more command", "more commands")
                        ));
                    }
                }
                if fixes.len() > 1 {
                    lines.push(format!(
                        "    {} besides",
                        plural(
                            fixes.len() - 1,
                            "more failing requirement",
                            "more failing requirements"
                        )
                    ));
                }
            }
        }
        Answer::CannotTell => {
            for u in &r.verdict.undecided {
                let text = match &u.action {
                    Some(action) => format!("needs {action} to check {}", u.rules.join(", ")),
                    None => format!("no permission decides {}", u.rules.join(", ")),
                };
                lines.extend(wrap(&bounded(&printable(&text)), width, "    ", "      "));
            }
        }
    }
    lines.push(format!("    full report: {}", report_command(r)));
    lines
}

/// The remedy's first command, or its first line when it has none.
fn first_step(remedy: &str) -> Option<&str> {
    remedy
        .lines()
        .find(|l| l.starts_with("aws ") || l.starts_with("sudo "))
        .or_else(|| remedy.lines().next())
}

/// The command that shows one target's full report, with the run's mode.
fn report_command(r: &Report) -> String {
    let o = &r.options;
    let mut cmd = format!(
        "ssm-check {} --region {}",
        printable(&r.target.id),
        printable(&r.target.region)
    );
    if o.mode != crate::options::Mode::Shell {
        cmd.push_str(&format!(" --mode {}", o.mode.id()));
    }
    if let Some(port) = o.port {
        cmd.push_str(&format!(" --port {port}"));
    }
    if let Some(host) = &o.remote_host {
        cmd.push_str(&format!(" --remote-host {}", printable(host)));
    }
    cmd
}

/// `5 targets: 2 ready, 2 not ready, 1 cannot tell`, and the rules that fail most often.
fn summary(reports: &[Report], style: &Style) -> String {
    let s = Summary::of(reports);
    let mut parts = vec![
        format!("{} ready", s.ready - s.cannot_tell),
        format!("{} not ready", s.not_ready),
    ];
    if s.cannot_tell > 0 {
        parts.push(format!("{} cannot tell", s.cannot_tell));
    }
    if s.with_warnings > 0 {
        parts.push(format!("{} with warnings", s.with_warnings));
    }
    let line = format!(
        "{}: {}",
        plural(s.targets, "target", "targets"),
        parts.join(", ")
    );
    let colour = match (s.not_ready, s.cannot_tell) {
        (0, 0) => "32",
        (0, _) => "35",
        _ => "31",
    };
    let mut out = format!("\n{}\n", bold(&line, colour, style.color));
    let causes = common_causes(reports);
    if !causes.is_empty() {
        let parts: Vec<String> = causes
            .iter()
            .map(|(rule, n)| format!("{rule} ({n})"))
            .collect();
        let text = format!("Failing most often: {}", parts.join(", "));
        for line in wrap(&text, wrap_width(style.fit_terminal), "", "  ") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The rules that fail more than one target, by how many, most first (ties in rule order).
fn common_causes(reports: &[Report]) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in reports {
        for f in r.findings.iter().filter(|f| f.status == Status::Fail) {
            *counts.entry(f.rule()).or_default() += 1;
        }
    }
    // A rule that fails one target is that target's cause, not the fleet's.
    let mut out: Vec<(&'static str, usize)> = counts.into_iter().filter(|(_, n)| *n > 1).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.truncate(COMMON_CAUSES);
    out
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
    fn not_ready_first_with_cause_fix_and_command() {
        let reports = vec![
            report("private-shell"),
            report("private-shell-broken-no-ssmmessages"),
            report("partial-permissions"),
            report("public-broken-no-public-ip"),
        ];
        let style = Style {
            color: false,
            fit_terminal: false,
            verbose: false,
        };
        let text = table(&reports, &style);
        let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
        assert!(rows[0].starts_with("✗ not ready"), "{text}");
        assert!(rows[1].starts_with("✗ not ready"), "{text}");
        assert!(rows[2].starts_with("? cannot tell"), "{text}");
        assert!(rows[3].starts_with("✓ ready"), "{text}");
        assert!(text.contains("    fix: aws "), "{text}");
        assert!(text.contains("    full report: ssm-check i-"), "{text}");
        assert!(
            text.contains("4 targets: 1 ready, 2 not ready, 1 cannot tell"),
            "{text}"
        );
        assert!(
            text.contains("Failing most often: network-path (2)"),
            "{text}"
        );
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
            "the full reports of the two that are not ready: {verbose}"
        );
        assert_eq!(
            verbose.matches("\n  Name ").count() + verbose.matches("\n  no Name tag").count(),
            3
        );
    }
}
