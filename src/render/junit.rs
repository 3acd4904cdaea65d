//! `--format junit`: one testsuite per target, one testcase per rule. A failure fails its testcase with the remedy in
//! the failure text; a warning or unknown fails it when `--fail-on` names it and is skipped (with its message)
//! otherwise; a rule not needed for the mode is skipped. Jenkins, GitLab and most CI systems read it.

use super::ci::{detail_lines, target_label};
use crate::rules::{Gate, Report, Status};

pub fn render(reports: &[Report], gate: &Gate) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    // Ant's schema wants a local time without zone; every suite was evaluated now.
    let timestamp = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    for r in reports {
        let (suite, t, f, s) = suite(r, gate, &timestamp);
        suites.push_str(&suite);
        tests += t;
        failures += f;
        skipped += s;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ssm-check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

fn suite(r: &Report, gate: &Gate, timestamp: &str) -> (String, usize, usize, usize) {
    let mut cases = String::new();
    let (mut failures, mut skipped) = (0, 0);
    for f in &r.findings {
        let name = escape(&format!("{}: {}", f.rule(), f.meta.title));
        let class = escape(&format!(
            "ssm-check.{}.{}",
            r.target.id,
            f.meta.area.as_str()
        ));
        cases.push_str(&format!(
            "    <testcase name=\"{name}\" classname=\"{class}\""
        ));
        let text = || escape(&detail_lines(f).join("\n"));
        match f.status {
            Status::Pass => cases.push_str("/>\n"),
            status if gate.fails(status) => {
                failures += 1;
                cases.push_str(&format!(
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    status.as_str(),
                    escape(&f.message),
                    text()
                ));
            }
            status => {
                skipped += 1;
                let message = match status {
                    Status::Skip => f.message.clone(),
                    other => format!("{}: {}", other.as_str(), f.message),
                };
                cases.push_str(&format!(
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(&message)
                ));
            }
        }
    }
    let tests = r.findings.len();
    let timestamp = escape(timestamp);
    let head = format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{timestamp}\" hostname=\"{}\">\n    <properties>\n      <property name=\"mode\" value=\"{}\"/>\n      <property name=\"verdict\" value=\"{}\"/>\n    </properties>\n",
        escape(&target_label(r)),
        escape(&r.target.region),
        r.options.mode.id(),
        escape(&r.verdict.summary)
    );
    (
        format!("{head}{cases}    <system-out/>\n    <system-err/>\n  </testsuite>\n"),
        tests,
        failures,
        skipped,
    )
}

/// XML 1.0 text and attribute escaping; characters XML cannot carry are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            // Not characters XML 1.0 allows.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_carry() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}\nd"),
            "a&lt;b &amp; &quot;c&quot;&#10;d"
        );
    }
}
