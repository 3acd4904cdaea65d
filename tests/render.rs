//! What a person reads: the report and the fleet table at 80 and 140 columns, pinned as snapshots — the headline,
//! the grid, compact passes, the fix list — and the rules that keep it readable (no line over the width but a
//! command, nothing from the facts obeyed as a control sequence).

use assert_cmd::Command;

fn run(columns: usize, args: &[&str]) -> String {
    let out = Command::cargo_bin("ssm-check")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", columns.to_string())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Lines a user pastes are printed whole, and a word is never broken; every other line fits.
fn assert_fits(text: &str, columns: usize) {
    for line in text.lines() {
        let content = line.trim_start();
        let content = content.strip_prefix("fix: ").unwrap_or(content);
        let verbatim = ssm_check::render::text::is_verbatim(content);
        let width = ssm_check::render::text::width(line);
        // A URL or an ARN that cannot fit is left whole rather than broken.
        let unbreakable = line
            .split_whitespace()
            .any(|w| ssm_check::render::text::width(w) > columns / 2);
        assert!(
            width <= columns || verbatim || unbreakable,
            "{width} columns > {columns}: {line:?}"
        );
    }
}

#[test]
fn the_report_at_80_and_140_columns() {
    for (name, args) in [
        (
            "broken",
            vec![
                "--facts",
                "examples/private-shell-broken-private-dns-off.json",
            ],
        ),
        (
            "cannot-tell",
            vec!["--facts", "examples/partial-permissions.json"],
        ),
        (
            "rdp",
            vec![
                "--facts",
                "examples/rdp-private-strict-sg-broken-agent-2.3.634.json",
                "--mode",
                "port",
                "--port",
                "3389",
            ],
        ),
    ] {
        for columns in [80, 140] {
            let text = run(columns, &args);
            assert_fits(&text, columns);
            insta::assert_snapshot!(format!("report-{name}-{columns}"), text);
        }
    }
}

#[test]
fn the_fleet_at_80_and_140_columns() {
    for columns in [80, 140] {
        let text = run(columns, &["--facts", "examples/fleet/us-east-1.json"]);
        assert_fits(&text, columns);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("✗ not ready"),
            "not-ready targets first: {text}"
        );
        insta::assert_snapshot!(format!("fleet-{columns}"), text);
    }
}

#[test]
fn rules_and_explain_fit_80_columns() {
    let rules = run(80, &["rules"]);
    assert_fits(&rules, 80);
    assert!(rules.contains("instance-running"));
    let explain = run(80, &["explain", "endpoint-sg-ingress"]);
    assert_fits(&explain, 80);
    assert!(explain.contains("How to fix"));
}
