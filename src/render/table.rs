//! The human report: a verdict line, one table per area, the counts, and the failures' remedies in the order
//! to apply them.

use crate::rules::{Area, Finding, Report, Status};
use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

pub struct Style {
    /// ANSI colours (a terminal, and NO_COLOR unset).
    pub color: bool,
    /// Fit the terminal's width (only when writing to one).
    pub fit_terminal: bool,
    /// Also show evidence for passing checks, and the skipped ones.
    pub verbose: bool,
}

/// Narrower than this, wrapping makes the table unreadable; a terminal that reports less (or nothing) gets the
/// unwrapped lines instead.
pub(crate) const MIN_FIT_WIDTH: u16 = 60;

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let verdict_colour = if report.verdict.ready { "32" } else { "31" };
    out.push_str(&bold(&report.verdict.summary, verdict_colour, style.color));
    out.push('\n');
    // Areas in order of first appearance; each area's findings together, in registry order.
    let mut areas: Vec<Area> = Vec::new();
    for f in &report.findings {
        if !areas.contains(&f.meta.area) {
            areas.push(f.meta.area);
        }
    }
    for area in areas {
        let rows: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.meta.area == area && (style.verbose || f.status != Status::Skip))
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&bold(area.title(), "39", style.color));
        out.push('\n');
        out.push_str(&area_table(&rows, style));
    }
    let c = &report.counts;
    out.push_str(&format!(
        "\n{} passed, {} failed, {} warnings, {} unknown, {} skipped\n",
        c.pass, c.fail, c.warn, c.unknown, c.skip
    ));
    let fixes = fixes(report, style.color);
    if !fixes.is_empty() {
        out.push('\n');
        out.push_str(&fixes);
    }
    if c.fail + c.warn + c.unknown > 0 {
        out.push_str("\n`ssm-check explain <rule>` tells more about any rule.\n");
    }
    out
}

/// The failures with their remedies, in the order to apply them; empty when nothing fails.
pub fn fixes(report: &Report, color: bool) -> String {
    let fixes = report.fixes();
    if fixes.is_empty() {
        return String::new();
    }
    let mut out = format!("{}\n", bold("What to fix, in order:", "39", color));
    for (i, f) in fixes.iter().enumerate() {
        let number = format!("{:>2}. ", i + 1);
        let also = report.also_fixes(f);
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" (also fixes {})", also.join(", "))
        };
        out.push_str(&format!("{number}{}{also}: {}\n", f.rule(), f.message));
        if let Some(r) = &f.remedy {
            for line in r.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    out
}

fn area_table(rows: &[&Finding], style: &Style) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if style.fit_terminal && table.width().is_some_and(|w| w >= MIN_FIT_WIDTH) {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    for f in rows {
        table.add_row(vec![
            status_cell(f.status, style.color),
            Cell::new(f.rule()),
            Cell::new(details(f, style.verbose)),
        ]);
    }
    // comfy-table pads every cell to its column's width; trailing blanks only make diffs noisy.
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn details(f: &Finding, verbose: bool) -> String {
    let mut lines = vec![f.message.clone()];
    let problem = matches!(f.status, Status::Fail | Status::Warn | Status::Unknown);
    if problem || verbose {
        lines.extend(f.evidence.iter().map(|e| format!("  · {e}")));
        lines.extend(f.notes.iter().map(|n| format!("  note: {n}")));
    }
    if !f.needs.is_empty() {
        lines.push(format!("  would be revealed by: {}", f.needs.join(", ")));
    }
    if problem {
        if let Some(r) = &f.remedy {
            let mut it = r.lines();
            if let Some(first) = it.next() {
                lines.push(format!("  fix: {first}"));
            }
            lines.extend(it.map(|l| format!("       {l}")));
        }
    }
    lines.join("\n")
}

fn status_cell(status: Status, color: bool) -> Cell {
    let (text, colour) = match status {
        Status::Pass => ("✓ pass", Color::Green),
        Status::Fail => ("✗ FAIL", Color::Red),
        Status::Warn => ("! warn", Color::Yellow),
        Status::Unknown => ("? unknown", Color::Magenta),
        Status::Skip => ("- skip", Color::DarkGrey),
    };
    let cell = Cell::new(text).set_alignment(CellAlignment::Left);
    if color {
        cell.fg(colour).add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

/// Bold text in an SGR colour, reset at its end so that nothing leaks into what follows.
pub(crate) fn bold(text: &str, colour: &str, enabled: bool) -> String {
    if enabled {
        format!("\x1b[1;{colour}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}
