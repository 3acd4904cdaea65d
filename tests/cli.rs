//! The command line: formats, exit codes, and one-line errors for bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn cmd() -> Command {
    let mut c = Command::cargo_bin("ssm-check").unwrap();
    c.env_remove("NO_COLOR")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

const WORKING: &str = "examples/private-shell.json";
const BROKEN: &str = "examples/private-shell-broken-private-dns-off.json";

#[test]
fn ready_is_exit_0_and_not_ready_is_exit_1() {
    cmd()
        .args(["--facts", WORKING])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "ready for a shell session to i-0a1b2c3d4e5f60001: yes",
        ));
    cmd()
        .args(["--facts", BROKEN])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no — 2 failing requirements"))
        .stdout(predicate::str::contains(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id",
        ));
}

#[test]
fn json_is_the_versioned_report() {
    let out = cmd()
        .args(["--facts", BROKEN, "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["report_version"], 1);
    assert_eq!(v["verdict"]["ready"], false);
    assert_eq!(v["mode"], "shell");
    assert_eq!(v["counts"]["fail"], 2);
    let dns = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "endpoint-private-dns")
        .unwrap();
    assert_eq!(dns["status"], "fail");
    assert_eq!(dns["docs"], "docs/rules.md#endpoint-private-dns");
    // The contract type reads its own output back.
    let _: ssm_check::report::v1::Report = serde_json::from_slice(&out).unwrap();
}

#[test]
fn fail_on_widens_the_gate_and_exit_zero_closes_it() {
    // The private shell layout passes but warns about S3 (no gateway endpoint, no internet).
    cmd()
        .args(["--facts", WORKING, "--fail-on", "warn"])
        .assert()
        .code(1);
    cmd()
        .args(["--facts", WORKING, "--fail-on", "unknown"])
        .assert()
        .code(0);
    cmd()
        .args([
            "--facts",
            "examples/partial-permissions.json",
            "--mode",
            "port",
            "--port",
            "3389",
            "--fail-on",
            "unknown",
        ])
        .assert()
        .code(1);
    cmd()
        .args(["--facts", BROKEN, "--exit-zero"])
        .assert()
        .code(0);
}

#[test]
fn quiet_prints_nothing() {
    cmd()
        .args(["--facts", BROKEN, "--quiet"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    cmd()
        .args(["--facts", BROKEN])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    cmd()
        .args(["--facts", BROKEN, "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\x1b["));
}

/// Every SGR attribute a line opens is reset on that line: bold or colour never runs on into the next one.
#[test]
fn colour_is_reset_on_every_line() {
    let out = cmd()
        .args(["--facts", BROKEN, "--color", "always", "--verbose"])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(out).unwrap();
    let mut styled_lines = 0;
    for (n, line) in text.lines().enumerate() {
        let mut open = false;
        let mut rest = line;
        while let Some(start) = rest.find("\x1b[") {
            let end = rest[start..]
                .find('m')
                .expect("an SGR sequence ends with m")
                + start;
            let codes = &rest[start + 2..end];
            open = !(codes.is_empty() || codes == "0");
            styled_lines += 1;
            rest = &rest[end + 1..];
        }
        assert!(!open, "line {} leaves a style open: {line:?}", n + 1);
    }
    assert!(styled_lines > 10, "--color always styled nothing");
    // The verdict, the area titles and the status cells are styled; nothing else is.
    for line in text.lines().filter(|l| l.contains("\x1b[")) {
        assert!(
            line.starts_with("\x1b[1;") || line.starts_with("\x1b[38;5;"),
            "unexpected styling: {line:?}"
        );
    }
}

#[test]
fn failures_end_with_what_to_fix_in_order() {
    let out = cmd()
        .args([
            "--facts",
            "examples/rdp-private-strict-sg-broken-stopped.json",
            "--mode",
            "port",
            "--port",
            "3389",
        ])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(out).unwrap();
    let list = text
        .split("What to fix, in order:\n")
        .nth(1)
        .expect("a fix list after the table");
    // The stopped instance comes before the agent that cannot register while it is stopped.
    let running = list
        .find("instance-running")
        .expect("instance-running is listed");
    let agent = list.find("agent-online").expect("agent-online is listed");
    assert!(running < agent, "{list}");
    assert!(list.starts_with(" 1. instance-running:"), "{list}");
    assert!(list.contains("aws ec2 start-instances"), "{list}");
    // A ready report has no such list.
    cmd()
        .args(["--facts", WORKING])
        .assert()
        .stdout(predicate::str::contains("What to fix").not());
}

#[test]
fn modes_and_ports_change_the_verdict() {
    // The same facts: fine for a port on the instance, wrong for a database behind it.
    let nginx = "examples/public-nginx-port.json";
    cmd()
        .args(["--facts", nginx, "--mode", "port", "--port", "80"])
        .assert()
        .code(0);
    cmd()
        .args([
            "--facts",
            nginx,
            "--mode",
            "port",
            "--port",
            "3306",
            "--remote-host",
            "db.internal",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "reaches only ports on the instance itself",
        ));
    let loopback = [
        "--mode",
        "remote-port",
        "--port",
        "8080",
        "--remote-host",
        "127.0.0.1",
    ];
    cmd()
        .args(["--facts", "examples/public-remote-broken-loopback.json"])
        .args(loopback)
        .assert()
        .code(1);
    cmd()
        .args(["--facts", nginx, "--verbose"])
        .args(loopback)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Agents from 3.3.4851.0 refuse loopback",
        ));
}

#[test]
fn rules_and_explain() {
    cmd()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("endpoint-sg-ingress"));
    let out = cmd()
        .args(["rules", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(list.len(), ssm_check::rules::all().len());
    cmd()
        .args(["explain", "caller-mfa"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("aws sts get-session-token"))
        .stdout(predicate::str::contains("How to fix"));
    cmd()
        .args(["explain", "no-such-rule"])
        .assert()
        .code(2)
        .stderr("ssm-check: no rule `no-such-rule` (`ssm-check rules` lists them)\n");
}

/// Every error is one line on stderr, `ssm-check: …`, with exit code 2, and no panic.
fn one_line_error(args: &[&str], contains: &str) {
    let out = cmd()
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "not one line: {text}");
    assert!(text.starts_with("ssm-check: "), "{text}");
    assert!(text.contains(contains), "{text} lacks {contains}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
#[cfg(feature = "live")]
fn environment_errors_are_one_line_and_exit_3() {
    // No region anywhere: the run stops before any call.
    let home = tempfile::tempdir().unwrap();
    let out = cmd()
        .env("HOME", home.path())
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .arg("i-0123456789abcdef0")
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("ssm-check: no region"), "{text}");
}

#[test]
#[cfg(not(feature = "live"))]
fn without_live_gathering_a_target_asks_for_saved_facts() {
    one_line_error(&["i-0123456789abcdef0"], "built without live gathering");
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    one_line_error(&["i-12"], "is not an instance id");
    one_line_error(
        &["--facts", "no/such/file.json"],
        "no/such/file.json: cannot read the facts file",
    );
    let corrupt = write(
        "corrupt.json",
        "{\n  \"schema_version\": 1,\n  \"target\": {\"id\": \"i-0123456789abcdef0\",\n",
    );
    one_line_error(&["--facts", &corrupt], "corrupt.json:4:");
    let future = write(
        "future.json",
        r#"{"schema_version": 9, "target": {"id": "i-0123456789abcdef0", "region": "x"}}"#,
    );
    one_line_error(
        &["--facts", &future],
        "facts schema version 9 is not supported",
    );
    let typo = write("typo.json", "{\"schema_version\": 1,\n \"target\": {\"id\": \"i-0123456789abcdef0\", \"region\": \"x\"},\n \"instanse\": {}}");
    one_line_error(&["--facts", &typo], "typo.json:3:");
    let other = write("other.json", "[]");
    one_line_error(&["--facts", &other], "has no \"schema_version\"");
    one_line_error(
        &["i-0123456789abcdef0", "--facts", WORKING],
        "holds facts about i-0a1b2c3d4e5f60001, not i-0123456789abcdef0",
    );
    one_line_error(&[], "nothing to check");
    one_line_error(
        &["--facts", WORKING, "--remote-host", "10.0.0.5"],
        "--remote-host goes with --mode remote-port",
    );
}

#[test]
fn usage_errors_exit_2() {
    cmd()
        .args(["--facts", WORKING, "--port", "0"])
        .assert()
        .code(2);
    cmd()
        .args(["--facts", WORKING, "--mode", "telnet"])
        .assert()
        .code(2);
    cmd()
        .args(["--facts", WORKING, "--fail-on", "sometimes"])
        .assert()
        .code(2);
}

#[test]
fn the_same_facts_give_the_same_bytes() {
    let a = cmd()
        .args(["--facts", BROKEN, "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    let b = cmd()
        .args(["--facts", BROKEN, "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(a, b);
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(BROKEN).exists());
}
