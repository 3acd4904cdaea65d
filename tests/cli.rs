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
fn a_requirement_that_could_not_be_checked_is_cannot_tell_and_exit_4() {
    // Nothing fails, but the network path and the caller's rights could not be read: no "yes".
    const PARTIAL: &str = "examples/partial-permissions.json";
    cmd()
        .args(["--facts", PARTIAL])
        .assert()
        .code(4)
        .stdout(predicate::str::starts_with(
            "ready for a shell session to i-0c678d2c038786416: cannot tell",
        ));
    let out = cmd()
        .args(["--facts", PARTIAL, "--format", "json"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["verdict"]["ready"], true, "no requirement fails");
    assert_eq!(v["verdict"]["answer"], "cannot_tell");
    let needs: Vec<&str> = v["verdict"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        needs,
        ["ec2:DescribeVpcEndpoints", "iam:SimulatePrincipalPolicy"],
        "one entry per permission, not per rule"
    );
    // A gate that also fails on unknowns says 1; --exit-zero says 0.
    cmd()
        .args(["--facts", PARTIAL, "--fail-on", "unknown"])
        .assert()
        .code(1);
    cmd()
        .args(["--facts", PARTIAL, "--exit-zero"])
        .assert()
        .code(0);
    let ready: serde_json::Value = serde_json::from_slice(
        &cmd()
            .args(["--facts", WORKING, "--format", "json"])
            .assert()
            .code(0)
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(ready["verdict"]["answer"], "yes");
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

const FLEET: &str = "examples/fleet/us-east-1.json";

fn output(args: &[&str]) -> (Option<i32>, String) {
    let out = cmd().args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn rules_count() -> usize {
    ssm_check::rules::all().len()
}

#[test]
fn junit_has_a_suite_per_target_and_a_case_per_rule() {
    let (code, xml) = output(&["--facts", FLEET, "--format", "junit"]);
    assert_eq!(code, Some(1));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 5);
    let mut total_failures = 0;
    for s in &suites {
        let cases: Vec<_> = s
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), rules_count());
        assert_eq!(s.attribute("tests").unwrap(), cases.len().to_string());
        let failures = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(s.attribute("failures").unwrap(), failures.to_string());
        let skipped = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
            .count();
        assert_eq!(s.attribute("skipped").unwrap(), skipped.to_string());
        total_failures += failures;
    }
    assert_eq!(
        root.attribute("failures").unwrap(),
        total_failures.to_string()
    );
    // What Ant's stricter schema asks of a suite.
    assert!(suites.iter().all(|s| s.attribute("timestamp").is_some()
        && s.attribute("time").is_some()
        && s.children().any(|n| n.has_tag_name("system-out"))));
    // The private-DNS failure carries its remedy.
    let dns = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testcase")
                && n.attribute("name")
                    .unwrap()
                    .starts_with("endpoint-private-dns")
                && n.children().any(|c| c.has_tag_name("failure"))
        })
        .expect("a failing endpoint-private-dns case");
    let failure = dns.children().find(|c| c.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("fail"));
    assert!(failure
        .text()
        .unwrap()
        .contains("fix: aws ec2 modify-vpc-endpoint"));

    // --fail-on warn turns warnings from skipped into failures.
    let (_, gated) = output(&["--facts", FLEET, "--format", "junit", "--fail-on", "warn"]);
    let gated = roxmltree::Document::parse(&gated).unwrap();
    let warn_failures = gated
        .descendants()
        .filter(|n| n.has_tag_name("failure") && n.attribute("type") == Some("warn"))
        .count();
    assert!(warn_failures > 0);
    assert!(
        !xml.contains("type=\"warn\""),
        "without --fail-on, warnings are skipped"
    );
}

#[test]
fn github_annotates_each_finding_that_needs_attention() {
    let (code, text) = output(&["--facts", FLEET, "--format", "github"]);
    assert_eq!(code, Some(1));
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    // billing-2: three failures (no role; agent-online and agent-offline-cause, which the missing role explains);
    // reports-1: two failures.
    assert_eq!(errors.len(), 5, "{text}");
    assert!(errors.iter().any(
        |l| l.contains("title=ssm-check i-0a1b2c3d4e5f60011 (reports-1)%3A endpoint-private-dns::")
    ));
    // Multi-line text travels escaped, remedy included.
    assert!(errors.iter().all(|l| l.contains("%0Afix: ")), "{text}");
    assert!(text
        .lines()
        .last()
        .unwrap()
        .starts_with("::notice title=ssm-check::5 targets: 3 ready, 2 not ready"));
    let (_, gated) = output(&[
        "--facts",
        FLEET,
        "--format",
        "github",
        "--fail-on",
        "unknown",
    ]);
    assert!(gated.lines().filter(|l| l.starts_with("::error ")).count() > errors.len());
}

#[test]
fn markdown_is_a_summary_with_the_fixes_folded() {
    let (code, md) = output(&["--facts", FLEET, "--format", "markdown"]);
    assert_eq!(code, Some(1));
    assert!(
        md.starts_with("## ssm-check: 2 of 5 not ready for a shell session\n"),
        "{md}"
    );
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 2 + 5, "a header, its rule, and a row per target");
    assert_eq!(md.matches("<details>").count(), 2);
    assert!(md.contains("**endpoint-private-dns** (fail)"));
    // One target: the same summary, its fixes open.
    let (code, one) = output(&["--facts", BROKEN, "--format", "markdown"]);
    assert_eq!(code, Some(1));
    assert!(one.contains("<details open>"), "{one}");
    let (code, ready) = output(&["--facts", WORKING, "--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(ready.starts_with("## ssm-check: 1 of 1 ready"));
}

#[test]
fn a_fleet_document_reads_as_a_table_json_or_one_target() {
    let (code, table) = output(&["--facts", FLEET]);
    assert_eq!(code, Some(1));
    assert!(table.contains("5 targets: 3 ready, 2 not ready"), "{table}");
    let (_, json) = output(&["--facts", FLEET, "--format", "json"]);
    let fleet: ssm_check::report::fleet::FleetReport = serde_json::from_str(&json).unwrap();
    assert_eq!(fleet.summary.not_ready, 2);
    let (code, one) = output(&["--facts", FLEET, "i-0a1b2c3d4e5f60003", "--format", "json"]);
    assert_eq!(code, Some(0));
    let report: ssm_check::report::v1::Report = serde_json::from_str(&one).unwrap();
    assert_eq!(report.target.name.as_deref(), Some("web-1"));
    let out = cmd()
        .args(["--facts", FLEET, "i-0123456789abcdef0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not i-0123456789abcdef0"));
    // A gate over nothing (filters that matched no instance, saved) must not pass.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(
        &empty,
        r#"{"schema_version": 2, "caller": {}, "targets": []}"#,
    )
    .unwrap();
    let out = cmd()
        .arg("--facts")
        .arg(&empty)
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no target"));
}

/// A stand-in `aws` that leaves a mark when run: input that must be refused never reaches it.
fn marking_aws() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("ran");
    let aws = dir.path().join("aws");
    std::fs::write(&aws, format!("#!/bin/sh\ntouch '{}'\n", mark.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (dir, mark)
}

#[test]
fn the_entry_points_refuse_bad_input_before_anything_else() {
    let (dir, mark) = marking_aws();
    let bad: [&[&str]; 6] = [
        &["proxy", "i-0123;touch x", "22"],
        &["proxy", "web.internal", "22"],
        &["proxy", "i-0123456789abcdef0", "0"],
        &[
            "proxy",
            "i-0123456789abcdef0",
            "22",
            "--region",
            "eu-west-1,eu-west-2",
        ],
        &["connect", "i-0123456789abcdef0", "--mode", "ssh"],
        &["connect", "i-0123456789abcdef0", "--mode", "remote-port"],
    ];
    for args in bad {
        let out = cmd().env("PATH", dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.trim().is_empty(), "{args:?}");
        assert!(!mark.exists(), "{args:?} ran aws");
    }
}
