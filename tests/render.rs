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

fn why(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("ssm-check")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("why")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn why_explains_a_pasted_message_and_which_cause_holds() {
    let message = "An error occurred (TargetNotConnected) when calling the StartSession operation: i-0a1b2c3d4e5f60001 is not connected.";
    // No target to check: the meaning and the rules, exit 0.
    let (code, out, _) = why(
        &[
            message,
            "--target",
            "i-0a1b2c3d4e5f60001",
            "--facts",
            "examples/private-shell.json",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("none holds on i-0a1b2c3d4e5f60001"), "{out}");
    // The id in the message picks the target in the facts; the cause that holds comes first, with its verdict.
    let (code, out, _) = why(
        &[
            "--facts",
            "examples/private-shell-broken-private-dns-off.json",
        ],
        message,
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("target-not-connected\n"), "{out}");
    assert!(out.contains("2 hold on i-0a1b2c3d4e5f60001:"), "{out}");
    assert!(
        out.contains("    ✗ endpoint-private-dns: private DNS is off"),
        "{out}"
    );
    assert!(
        out.contains("ruled out:  instance-running, agent-online"),
        "{out}"
    );
    // Without a target: what it means and which rules check it.
    let (code, out, _) = why(&["SessionManagerPlugin is not found. Please refer to SessionManager Documentation here: http://docs.aws.amazon.com/console/systems-manager/session-manager-plugin-not-found"], "");
    assert_eq!(code, Some(0));
    assert!(out.contains("checked by: client-plugin"), "{out}");
    // Unrecognised text and nothing to check: a usage error that says where the known messages are.
    let (code, _, err) = why(&["the", "printer", "is", "on", "fire"], "");
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: not a message ssm-check knows"),
        "{err}"
    );
}
