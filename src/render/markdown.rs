//! `--format markdown`: a summary for a GitHub step summary or a pull-request comment — a heading with the verdict,
//! one table row per target, and for each target that is not ready its fixes in order, folded.

use super::ci::target_label;
use crate::report::fleet::Summary;
use crate::rules::{Gate, Report, Status};

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
            cell(&r.target.region),
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
                cell(&f.message)
            ));
            if let Some(remedy) = &f.remedy {
                out.push_str(&format!("\n{}\n", fenced(remedy)));
            }
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Text in a table cell, a list item or a `<summary>`: HTML cannot open (`<!--`, `</details>`), a `|` cannot end
/// a cell, a line break cannot end a row or an item.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// A fenced block for `text`: its fence is longer than any run of backticks inside, so nothing in it closes it.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body = text
        .lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!("   {fence}text\n{body}\n   {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_a_name_or_remedy_holds_breaks_the_summary() {
        assert_eq!(cell("a|b\r\n<!-- x"), "a\\|b  &lt;!-- x");
        let block = fenced("run:\n```sh\nls\n```");
        assert!(
            block.starts_with("   ````text\n") && block.ends_with("\n   ````"),
            "{block}"
        );
    }
}
