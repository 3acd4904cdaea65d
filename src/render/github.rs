//! `--format github`: GitHub Actions workflow commands, one per finding that needs attention — `::error` for what
//! fails the gate, `::warning` for other warnings, `::notice` for other unknowns — and a closing `::notice` with the
//! verdicts. GitHub shows them as annotations on the run (a limited number per step: the markdown summary has all).

use super::ci::{detail_lines, target_label};
use crate::report::fleet::Summary;
use crate::rules::{Gate, Report, Status};

pub fn render(reports: &[Report], gate: &Gate) -> String {
    let mut out = String::new();
    for r in reports {
        for f in &r.findings {
            let command = match f.status {
                Status::Pass | Status::Skip => continue,
                s if gate.fails(s) => "error",
                Status::Warn => "warning",
                _ => "notice",
            };
            let title = format!("ssm-check {}: {}", target_label(r), f.rule());
            let mut body = vec![f.message.clone()];
            body.extend(detail_lines(f));
            out.push_str(&format!(
                "::{command} title={}::{}\n",
                property(&title),
                data(&body.join("\n"))
            ));
        }
    }
    let s = Summary::of(reports);
    let failing = reports.iter().filter(|r| gate.fails_report(r)).count();
    out.push_str(&format!(
        "::notice title=ssm-check::{}\n",
        data(&format!(
            "{} targets: {} ready, {} not ready; {} fail the gate",
            s.targets, s.ready, s.not_ready, failing
        ))
    ));
    out
}

/// A command's message: `%`, CR and LF escaped, as the Actions runner reads them.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`title=`): also `:` and `,`, which end it.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_reads() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a: b, c"), "a%3A b%2C c");
    }
}
