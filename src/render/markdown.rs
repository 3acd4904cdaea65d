//! `--format markdown`: a summary for a GitHub step summary or a pull-request comment — a heading with the verdict,
//! one table row per target, and for each target that is not ready its fixes in order, folded.

use super::ci::{target_label, Gate};
use crate::report::fleet::Summary;
use crate::rules::{Report, Status};

pub fn render(reports: &[Report], gate: &Gate) -> String {
    let s = Summary::of(reports);
    let failing = reports.iter().filter(|r| gate.fails_report(r)).count();
    let noun = reports
        .first()
        .map(|r| r.options.mode.noun())
        .unwrap_or("a session");
    let mut out = if failing == 0 {
        format!(
            "## ssm-check: {} of {} ready for {noun}\n\n",
            s.ready, s.targets
        )
    } else {
        format!(
            "## ssm-check: {failing} of {} not ready for {noun}\n\n",
            s.targets
        )
    };
    out.push_str(
        "| | Target | Name | Region | Failing | Unknown |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in reports {
        let mark = if !r.verdict.ready {
            "❌"
        } else if gate.fails_report(r) {
            "⚠️"
        } else {
            "✅"
        };
        let failing: Vec<String> = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| format!("`{}`", f.rule()))
            .collect();
        out.push_str(&format!(
            "| {mark} | `{}` | {} | {} | {} | {} |\n",
            r.target.id,
            cell(r.name.as_deref().unwrap_or("")),
            r.target.region,
            failing.join(", "),
            if r.counts.unknown > 0 {
                r.counts.unknown.to_string()
            } else {
                String::new()
            }
        ));
    }
    for r in reports.iter().filter(|r| gate.fails_report(r)) {
        out.push_str(&format!(
            "\n<details{}><summary>{}: {}</summary>\n\n",
            if reports.len() == 1 { " open" } else { "" },
            cell(&target_label(r)),
            cell(&r.verdict.summary)
        ));
        let mut n = 0;
        let gated = r
            .findings
            .iter()
            .filter(|f| f.status != Status::Fail && gate.fails(f.status));
        for f in r.fixes().into_iter().chain(gated) {
            n += 1;
            out.push_str(&format!(
                "{n}. **{}** ({}): {}\n",
                f.rule(),
                f.status.as_str(),
                f.message
            ));
            if let Some(remedy) = &f.remedy {
                out.push_str(&format!("\n   ```text\n{}\n   ```\n", indent(remedy)));
            }
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Text in a table cell: a `|` would end it, a line break would end the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
