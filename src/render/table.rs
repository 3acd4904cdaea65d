//! The human report: the verdict and what it is about, one section per area (a section whose checks all pass is
//! one line; problems expand), the counts, and what to fix, in order, last. One grid for every section; prose
//! wraps to the terminal, commands never do; everything from the facts is shown, never obeyed.

use super::text::{plural, printable, printable_lines, width, wrap, wrap_width};
use crate::rules::{Answer, Area, Finding, Report, Status, Waited};
use std::collections::HashSet;

pub struct Style {
    /// ANSI colours (a terminal, and NO_COLOR unset).
    pub color: bool,
    /// Fit the terminal's width (only when writing to one; `COLUMNS` also sets a width).
    pub fit_terminal: bool,
    /// Show every check, with its evidence: passes and skips too.
    pub verbose: bool,
}

/// Below this width the message goes under the rule id instead of beside it.
const SIDE_BY_SIDE: usize = 100;

/// The grid every section shares.
struct Grid {
    width: Option<usize>,
    /// Width of the rule-id column.
    rule: usize,
    /// Where messages, evidence, notes and fixes start.
    indent: usize,
    side_by_side: bool,
}

impl Grid {
    fn new(rows: &[&Finding], style: &Style) -> Grid {
        let width = wrap_width(style.fit_terminal);
        let rule = rows.iter().map(|f| f.rule().len()).max().unwrap_or(0);
        let side_by_side = width.is_none_or(|w| w >= SIDE_BY_SIDE);
        // ` ✗ FAIL     rule-id  message`: status 9 wide, two spaces either side of the id.
        let indent = if side_by_side {
            1 + 9 + 2 + rule + 2
        } else {
            4
        };
        Grid {
            width,
            rule,
            indent,
            side_by_side,
        }
    }

    fn pad(&self) -> String {
        " ".repeat(self.indent)
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let shown: Vec<&Finding> = report.findings.iter().filter(|f| shows(f, style)).collect();
    let grid = Grid::new(&shown, style);
    let mut out = headline(report, style, &grid);
    let mut notes_seen = HashSet::new();
    for area in areas(report) {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.meta.area == area)
            .collect();
        out.push('\n');
        out.push_str(&section(area, &findings, style, &grid, &mut notes_seen));
    }
    let c = &report.counts;
    out.push_str(&format!(
        "\n{} passed, {} failed, {}, {} unknown, {} skipped\n",
        c.pass,
        c.fail,
        plural(c.warn, "warning", "warnings"),
        c.unknown,
        c.skip
    ));
    let fixes = fix_list(report, style.color, grid.width);
    if !fixes.is_empty() {
        out.push('\n');
        out.push_str(&fixes);
    }
    if c.fail + c.warn + c.unknown > 0 {
        out.push_str("\nssm-check explain RULE tells more about any rule.\n");
    }
    out
}

/// Whether a finding gets a row of its own: problems always; passes and skips only when verbose.
fn shows(f: &Finding, style: &Style) -> bool {
    style.verbose || matches!(f.status, Status::Fail | Status::Warn | Status::Unknown)
}

/// Areas in order of first appearance (the registry's order).
fn areas(report: &Report) -> Vec<Area> {
    let mut areas: Vec<Area> = Vec::new();
    for f in &report.findings {
        if !areas.contains(&f.meta.area) {
            areas.push(f.meta.area);
        }
    }
    areas
}

/// The verdict, what it is about, and — when it cannot tell — the permissions that would decide it.
fn headline(report: &Report, style: &Style, grid: &Grid) -> String {
    let colour = match report.verdict.answer {
        Answer::Yes => "32",
        Answer::No => "31",
        Answer::CannotTell => "35",
    };
    let mut out = String::new();
    for line in wrap(&printable(&report.verdict.summary), grid.width, "", "  ") {
        out.push_str(&bold(&line, colour, style.color));
        out.push('\n');
    }
    let mut context = vec![report
        .name
        .as_deref()
        .map_or("no Name tag".to_string(), |n| {
            format!("Name {}", printable(n))
        })];
    context.push(printable(&report.target.region).into_owned());
    if let Some(account) = &report.target.account {
        context.push(format!("account {}", printable(account)));
    }
    context.push(format!("document {}", report.options.mode.document()));
    if let Some(host) = &report.options.remote_host {
        context.push(format!("remote host {}", printable(host)));
    }
    for line in wrap(&context.join(" · "), grid.width, "  ", "  ") {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(w) = &report.waited {
        for line in wrap(
            &printable(&waited(w, report.verdict.answer)),
            grid.width,
            "  ",
            "    ",
        ) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    for u in &report.verdict.undecided {
        let rules = list(&u.rules, 4);
        let text = match &u.action {
            Some(action) => format!("needs {action} to check {rules}"),
            None => format!("no permission decides {rules}: see their findings"),
        };
        for line in wrap(&printable(&text), grid.width, "  ", "    ") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// How a `--wait` ended, in one line: `waited 10 m 0 s (24 checks) and gave up, still waiting for …`.
pub fn waited(w: &Waited, answer: Answer) -> String {
    let checks = match w.checks {
        1 => "1 check".to_string(),
        n => format!("{n} checks"),
    };
    let time = duration_words(w.seconds);
    match (w.timed_out, answer, w.checks) {
        (true, _, _) if w.waiting_for.is_empty() => format!("waited {time} ({checks}) and gave up"),
        (true, _, _) => format!(
            "waited {time} ({checks}) and gave up, still waiting for {}",
            w.waiting_for.join(", ")
        ),
        // Over several targets: one failed for good while this one (or these) still waited.
        (false, _, _) if !w.waiting_for.is_empty() => format!(
            "stopped waiting after {time} ({checks}) on a failure that does not end by itself, still waiting for {}",
            w.waiting_for.join(", ")
        ),
        (false, Answer::Yes, 1) => "ready at the first check: nothing to wait for".to_string(),
        (false, Answer::Yes, _) => format!("ready after {time} ({checks})"),
        // Unknowns are not waited on: the report says what would decide them.
        (false, Answer::CannotTell, 1) => {
            "nothing fails at the first check: nothing to wait for".to_string()
        }
        (false, Answer::CannotTell, _) => format!("nothing fails after {time} ({checks})"),
        (false, Answer::No, 1) => "did not wait: what fails does not end by itself".to_string(),
        (false, Answer::No, _) => {
            format!(
                "stopped waiting after {time} ({checks}): what fails now does not end by itself"
            )
        }
    }
}

/// `1 m 20 s`, `45 s`, `1 h 2 m`.
pub fn duration_words(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 && s % 60 == 0 => format!("{} m", s / 60),
        s if s < 3600 => format!("{} m {} s", s / 60, s % 60),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{} h {} m", s / 3600, (s % 3600) / 60),
    }
}

/// `a, b, c and 4 more`.
fn list(items: &[&str], at_most: usize) -> String {
    match items.len() {
        n if n <= at_most => items.join(", "),
        n => format!("{} and {} more", items[..at_most].join(", "), n - at_most),
    }
}

/// One area: its title with the counts, then a row for each finding that shows.
fn section(
    area: Area,
    findings: &[&Finding],
    style: &Style,
    grid: &Grid,
    notes_seen: &mut HashSet<String>,
) -> String {
    let mut counts = Vec::new();
    for (status, mark, word) in [
        (Status::Fail, "✗", "failed"),
        (Status::Unknown, "?", "unknown"),
        (Status::Warn, "!", ""),
        (Status::Pass, "✓", "passed"),
        (Status::Skip, "-", "skipped"),
    ] {
        let n = findings.iter().filter(|f| f.status == status).count();
        // Skips are not needed here: counted only when verbose, or when they are all there is.
        let quiet_skip = status == Status::Skip && !style.verbose && !counts.is_empty();
        if n > 0 && !quiet_skip {
            let text = match status {
                Status::Warn => plural(n, "warning", "warnings"),
                _ => format!("{n} {word}"),
            };
            counts.push(format!("{mark} {text}"));
        }
    }
    let mut out = format!(
        "{}  {}\n",
        bold(area.title(), "39", style.color),
        counts.join(" · ")
    );
    let shown: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| shows(f, style))
        .collect();
    for group in same_answers(&shown) {
        out.push_str(&row(group[0], style, grid, notes_seen));
        if group.len() > 1 {
            let others: Vec<&str> = group[1..].iter().map(|f| f.rule()).collect();
            let text = format!("the same for {}", others.join(", "));
            let pad = grid.pad();
            for line in wrap(&text, grid.width, &pad, &pad) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// Neighbouring findings that say the same thing (twelve network rules that could not see the endpoints), as
/// groups: each is shown once, naming the others.
fn same_answers<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    let same = |a: &Finding, b: &Finding| {
        a.status == b.status
            && a.message == b.message
            && a.evidence == b.evidence
            && a.notes == b.notes
            && a.needs == b.needs
            && a.remedy == b.remedy
    };
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in findings {
        match groups.last_mut() {
            Some(g) if same(g[0], f) => g.push(f),
            _ => groups.push(vec![f]),
        }
    }
    groups
}

fn row(f: &Finding, style: &Style, grid: &Grid, notes_seen: &mut HashSet<String>) -> String {
    let (label, colour) = status_label(f.status);
    let status = format!("{label:<9}");
    let pad = grid.pad();
    let message = printable_lines(&f.message);
    let mut lines = if grid.side_by_side {
        let head = format!(" {status}  {:<w$}  ", f.rule(), w = grid.rule);
        wrap(&message, grid.width, &head, &pad)
    } else {
        let mut lines = vec![format!(" {status}  {}", f.rule())];
        lines.extend(wrap(&message, grid.width, &pad, &pad));
        lines
    };
    if style.color {
        // Coloured after wrapping: escape codes take bytes, not columns.
        lines[0] = lines[0].replacen(&status, &bold(&status, colour, true), 1);
    }
    lines.extend(details(f, style, grid, notes_seen));
    let mut out = String::new();
    for line in lines {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Evidence, notes (each once per report), the permissions that would reveal what is missing, and the fix of a
/// warning or an unknown; a failure's fix is in the list at the end, in the order to apply them.
fn details(
    f: &Finding,
    style: &Style,
    grid: &Grid,
    notes_seen: &mut HashSet<String>,
) -> Vec<String> {
    let pad = grid.pad();
    let mut lines = Vec::new();
    let mut add = |label: &str, text: &str| {
        let first = format!("{pad}{label}");
        let rest = format!("{pad}{}", " ".repeat(width(label)));
        lines.extend(wrap(&printable_lines(text), grid.width, &first, &rest));
    };
    let problem = matches!(f.status, Status::Fail | Status::Warn | Status::Unknown);
    if problem || style.verbose {
        for e in &f.evidence {
            add("· ", e);
        }
        for n in &f.notes {
            if notes_seen.insert(n.clone()) {
                add("note: ", n);
            }
        }
    }
    let unnamed: Vec<&str> = f
        .needs
        .iter()
        .map(String::as_str)
        .filter(|n| !f.message.contains(n))
        .collect();
    if !unnamed.is_empty() {
        add("needs: ", &unnamed.join(", "));
    }
    if matches!(f.status, Status::Warn | Status::Unknown) {
        if let Some(r) = &f.remedy {
            add("fix: ", r);
        }
    }
    lines
}

fn status_label(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("✓ pass", "32"),
        Status::Fail => ("✗ FAIL", "31"),
        Status::Warn => ("! warn", "33"),
        Status::Unknown => ("? unknown", "35"),
        Status::Skip => ("- skip", "90"),
    }
}

/// The failures with their remedies, in the order to apply them, by cause; empty when nothing fails.
pub fn fixes(report: &Report, color: bool) -> String {
    fix_list(report, color, None)
}

fn fix_list(report: &Report, color: bool, width: Option<usize>) -> String {
    let fixes = report.fixes();
    if fixes.is_empty() {
        return String::new();
    }
    let mut out = format!("{}\n", bold("What to fix, in order:", "39", color));
    for (i, f) in fixes.iter().enumerate() {
        let also = report.also_fixes(f);
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" (also fixes {})", also.join(", "))
        };
        let number = format!("{:>2}. ", i + 1);
        let first = format!("{number}{}{also}: ", f.rule());
        for line in wrap(&printable_lines(&f.message), width, &first, "    ") {
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(r) = &f.remedy {
            for line in wrap(&printable_lines(r), width, "    ", "    ") {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// Bold text in an SGR colour, reset at its end so that nothing leaks into what follows.
pub(crate) fn bold(text: &str, colour: &str, enabled: bool) -> String {
    if enabled {
        format!("\x1b[1;{colour}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::load_file;
    use crate::options::{Mode, Options};
    use std::path::Path;

    #[test]
    fn a_wait_is_told_by_how_it_ended() {
        let w = |checks, seconds, timed_out, what: &[&str]| Waited {
            checks,
            seconds,
            timed_out,
            waiting_for: what.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            waited(
                &w(9, 600, true, &["the agent on i-1 to register"]),
                Answer::No
            ),
            "waited 10 m (9 checks) and gave up, still waiting for the agent on i-1 to register"
        );
        assert_eq!(
            waited(&w(4, 80, false, &[]), Answer::Yes),
            "ready after 1 m 20 s (4 checks)"
        );
        assert_eq!(
            waited(&w(1, 0, false, &[]), Answer::No),
            "did not wait: what fails does not end by itself"
        );
        assert_eq!(
            waited(&w(1, 0, false, &[]), Answer::Yes),
            "ready at the first check: nothing to wait for"
        );
        assert_eq!(
            waited(&w(1, 0, false, &[]), Answer::CannotTell),
            "nothing fails at the first check: nothing to wait for"
        );
        assert_eq!(
            waited(&w(3, 30, false, &[]), Answer::CannotTell),
            "nothing fails after 30 s (3 checks)"
        );
        assert_eq!(
            waited(&w(2, 5, false, &["i-2 to start"]), Answer::No),
            "stopped waiting after 5 s (2 checks) on a failure that does not end by itself, still waiting for i-2 to start"
        );
        assert_eq!(duration_words(3600), "1 h");
        assert_eq!(duration_words(3725), "1 h 2 m");
        assert_eq!(duration_words(45), "45 s");
    }

    fn report(example: &str) -> Report {
        let facts = load_file(Path::new(&format!("examples/{example}.json"))).unwrap();
        crate::rules::evaluate(&facts, &Options::new(Mode::Shell))
    }

    const PLAIN: Style = Style {
        color: false,
        fit_terminal: false,
        verbose: false,
    };

    #[test]
    fn passing_sections_are_one_line_and_problems_expand() {
        let text = render(&report("private-shell-broken-private-dns-off"), &PLAIN);
        assert!(text.contains("Instance and role  ✓ 5 passed\n"), "{text}");
        assert!(text.contains(" ✗ FAIL     endpoint-private-dns"), "{text}");
        assert!(
            !text.contains("✓ pass"),
            "passes are counted, not listed: {text}"
        );
        let verbose = render(
            &report("private-shell-broken-private-dns-off"),
            &Style {
                verbose: true,
                ..PLAIN
            },
        );
        assert!(verbose.contains("✓ pass"), "{verbose}");
    }

    #[test]
    fn a_repeated_note_is_shown_once() {
        let text = render(&report("partial-permissions"), &PLAIN);
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("note: "))
        {
            assert_eq!(text.matches(line.trim()).count(), 1, "{line}\n{text}");
        }
    }
}
