//! The human report: a verdict line, then one table per area.

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

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let verdict = &report.verdict.summary;
    out.push_str(&paint(
        verdict,
        if report.verdict.ready {
            Color::Green
        } else {
            Color::Red
        },
        style.color,
        true,
    ));
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
        out.push_str(&paint(area.title(), Color::Reset, style.color, true));
        out.push('\n');
        let mut table = Table::new();
        table.load_preset(presets::NOTHING);
        if style.fit_terminal {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        if style.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        for f in rows {
            table.add_row(vec![
                status_cell(f.status, style.color),
                Cell::new(f.rule()),
                Cell::new(details(f, style.verbose)),
            ]);
        }
        // comfy-table pads every cell to its column's width; trailing blanks only make diffs noisy.
        for line in table.to_string().lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let c = &report.counts;
    out.push_str(&format!(
        "\n{} passed, {} failed, {} warnings, {} unknown, {} skipped\n",
        c.pass, c.fail, c.warn, c.unknown, c.skip
    ));
    if c.fail + c.warn + c.unknown > 0 {
        out.push_str("`ssm-check explain <rule>` tells more about any rule.\n");
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

fn paint(text: &str, colour: Color, enabled: bool, bold: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    let code = match colour {
        Color::Green => "32",
        Color::Red => "31",
        _ => "39",
    };
    let weight = if bold { "1;" } else { "" };
    format!("\x1b[{weight}{code}m{text}\x1b[0m")
}
