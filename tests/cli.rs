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
    // A link to the rule's documentation as this version has it.
    assert_eq!(
        dns["docs"],
        format!(
            "{}/blob/v{}/docs/rules.md#endpoint-private-dns",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION")
        )
    );
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
            line.starts_with("\x1b[1;") || line.starts_with(" \x1b[1;"),
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
    // A database behind it is remote-port's: asked of port mode, the command that was meant.
    let (_, help) = error_and_help(
        &[
            "--facts",
            nginx,
            "--mode",
            "port",
            "--port",
            "3306",
            "--remote-host",
            "db.internal",
        ],
        "--remote-host db.internal does not apply to --mode port",
    );
    assert_eq!(
        help,
        format!("help: to forward through the instance to db.internal: ssm-check --facts {nginx} --port 3306 --remote-host db.internal --mode remote-port")
    );
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
        .stderr("error: no rule `no-such-rule`\nhelp: `ssm-check rules` lists them\n");
    cmd()
        .args(["explain", "endpoint-sg-ingres"])
        .assert()
        .code(2)
        .stderr("error: no rule `endpoint-sg-ingres`\nhelp: did you mean `endpoint-sg-ingress`? (`ssm-check explain endpoint-sg-ingress`)\n");
}

/// Every error is one `error: …` line on stderr, perhaps with one `help: …` line, exit code 2, and no panic.
fn one_line_error(args: &[&str], contains: &str) {
    error_and_help_or_not(args, contains);
}

/// The `error:` line (which must hold `contains`) and the `help:` line, if any, of a usage or input error.
fn error_and_help_or_not(args: &[&str], contains: &str) -> (String, Option<String>) {
    let out = cmd()
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(matches!(lines.len(), 1 | 2), "not one error line: {text}");
    assert!(lines[0].starts_with("error: "), "{text}");
    assert!(lines[0].contains(contains), "{text} lacks {contains}");
    if let Some(help) = lines.get(1) {
        assert!(help.starts_with("help: "), "{text}");
    }
    assert!(!text.contains("panicked"), "{text}");
    (lines[0].to_string(), lines.get(1).map(|h| h.to_string()))
}

/// Like [`one_line_error`], with the `help:` line required.
fn error_and_help(args: &[&str], contains: &str) -> (String, String) {
    let (error, help) = error_and_help_or_not(args, contains);
    (error, help.expect("a help: line"))
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
    assert!(text.starts_with("error: no region"), "{text}");
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
    // Saved facts do not change; nothing named is nothing to wait on; a duration is written as people write one.
    one_line_error(
        &["--facts", WORKING, "--wait", "10m"],
        "--wait checks again what AWS shows",
    );
    one_line_error(&["--wait", "10m"], "nothing to wait for");
    one_line_error(
        &["i-0123456789abcdef0", "--wait", "soon"],
        "`soon` is not a duration",
    );
    one_line_error(&["i-0123456789abcdef0", "--wait", "25h"], "out of range");
    one_line_error(
        &["--facts", WORKING, "--remote-host", "10.0.0.5"],
        "--remote-host 10.0.0.5 does not apply to --mode shell",
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
        &["proxy", "web;touch x", "22"],
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

#[test]
fn usage_errors_are_one_error_line_and_one_help_line() {
    let (_, help) = error_and_help(&["--fromat", "json"], "unexpected argument '--fromat'");
    assert_eq!(help, "help: a similar argument exists: '--format'");
    let (_, help) = error_and_help(
        &["--facts", WORKING, "--mode", "telnet"],
        "invalid value 'telnet' for '--mode <MODE>'",
    );
    assert_eq!(help, "help: possible values: shell, ssh, port, remote-port");
    let (error, help) = error_and_help(&["explain"], "required arguments were not provided");
    assert!(error.ends_with("<RULE>"), "{error}");
    assert_eq!(help, "help: `ssm-check explain --help` shows the usage");
    // --help is not an error.
    cmd()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Usage: ssm-check"));
}

#[test]
fn a_flag_the_mode_does_not_take_is_a_usage_error_naming_the_meant_command() {
    let (_, help) = error_and_help(
        &["--facts", WORKING, "--port", "22"],
        "--port 22 does not apply to --mode shell",
    );
    assert_eq!(
        help,
        format!("help: to forward port 22: ssm-check --facts {WORKING} --port 22 --mode port")
    );
    let (_, help) = error_and_help(
        &[
            "--facts",
            WORKING,
            "--mode",
            "remote-port",
            "--port",
            "5432",
        ],
        "--mode remote-port needs --remote-host",
    );
    assert!(help.ends_with("--port 5432 --remote-host HOST"), "{help}");
    let (_, help) = error_and_help(
        &[
            "i-0123456789abcdef0",
            "--mode",
            "port",
            "--local-port",
            "13389",
        ],
        "--local-port is for starting a session",
    );
    assert_eq!(help, "help: to check, then forward local port 13389: ssm-check connect i-0123456789abcdef0 --mode port --port N --local-port 13389");
    // SSH takes a port too: its document's portNumber.
    cmd()
        .args(["--facts", WORKING, "--mode", "ssh", "--port", "2222"])
        .assert()
        .code(predicate::in_iter([0, 1, 4]));
}

#[test]
fn connect_offers_only_the_modes_it_starts() {
    let help = cmd().args(["connect", "--help"]).output().unwrap().stdout;
    let help = String::from_utf8(help).unwrap();
    assert!(help.contains("remote-port:"), "{help}");
    assert!(!help.contains("ssh:"), "ssh is listed: {help}");
    let (_, help) = error_and_help(
        &["connect", "i-0123456789abcdef0", "--mode", "ssh"],
        "SSH goes through ssh",
    );
    assert!(
        help.contains("ProxyCommand='ssm-check proxy %h %p' ec2-user@i-0123456789abcdef0"),
        "{help}"
    );
    let (_, help) = error_and_help(
        &["connect", "i-0123456789abcdef0", "--local-port", "8080"],
        "--local-port 8080 does not apply to --mode shell",
    );
    assert!(help.ends_with("--local-port 8080 --mode port"), "{help}");
    error_and_help(
        &["connect", "i-0123456789abcdef0", "--port", "22"],
        "--port 22 does not apply to --mode shell",
    );
}

/// Without a target `connect` offers a list (tests/picker.rs drives it); where there is no terminal to show it
/// on, a target is needed, as before.
#[test]
fn connect_without_a_target_off_a_terminal_is_a_usage_error() {
    let (_, help) = error_and_help(
        &["connect"],
        "connect needs a TARGET when it is not run on a terminal",
    );
    assert!(
        help.contains("ssm-check connect i-0123456789abcdef0"),
        "{help}"
    );
}

#[cfg(unix)]
#[test]
fn facts_are_read_from_regular_files_only_and_within_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let dir_path = dir.path().to_str().unwrap();
    for (path, kind) in [
        (fifo.to_str().unwrap(), "a named pipe (FIFO)"),
        ("/dev/zero", "a device"),
        (dir_path, "a directory"),
    ] {
        let (_, help) = error_and_help(
            &["--facts", path],
            &format!("{path}: not a facts file: it is {kind}"),
        );
        assert!(help.contains("pass - to read standard input"), "{help}");
    }
    // A sparse file past the cap is refused unread.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    error_and_help(
        &["--facts", big.to_str().unwrap()],
        "larger than the 64 MiB",
    );
    // Standard input: a document as from a file, an endless one through the same cap.
    cmd()
        .args(["--facts", "-", "--format", "json"])
        .pipe_stdin(WORKING)
        .unwrap()
        .assert()
        .code(0)
        .stdout(predicate::str::contains("i-0a1b2c3d4e5f60001"));
    let endless = std::fs::File::open("/dev/zero").unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ssm-check"))
        .args(["--facts", "-"])
        .stdin(endless)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),"error: -: larger than the 64 MiB a facts document may be\nhelp: split the fleet: `ssm-check gather` with fewer targets or one region at a time\n"
    );
}

/// `examples/private-shell.json` with a Name tag holding terminal controls and Unicode line separators.
fn hostile_facts(dir: &Path) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(WORKING).unwrap()).unwrap();
    v["instance"]["value"]["name"] =
        "web\u{1b}]0;pwned\u{7}\u{1b}[2J\u{2028}x\u{85}y\u{2029}".into();
    let path = dir.join("hostile.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn ndjson_lines_stay_whole_and_errors_do_not_obey_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_facts(dir.path());
    let out = cmd()
        .args(["--facts", &hostile, "--format", "ndjson"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(['\u{85}', '\u{2028}', '\u{2029}']), "{text}");
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    assert!(v.to_string().contains("pwned"));
    // An id that echoes back in an error is shown, not obeyed.
    let out = cmd()
        .args(["--facts", WORKING, "i-0123\u{1b}]0;pwned\u{7}"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
}

/// Runs `ssm-check ARGS` with standard output going where `stdout` says; its exit code and stderr.
fn with_stdout(args: &[&str], stdout: std::process::Stdio) -> (Option<i32>, String) {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ssm-check"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdout(stdout)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_and_exit_3() {
    let full = || {
        std::process::Stdio::from(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
    };
    let cases: [&[&str]; 5] = [
        &["rules"],
        &["explain", "caller-mfa"],
        &["--facts", WORKING, "--format", "junit"],
        &["--facts", WORKING, "--format", "ndjson"],
        &[
            "--facts",
            "examples/fleet/us-east-1.json",
            "--format",
            "json",
        ],
    ];
    for args in cases {
        let (code, err) = with_stdout(args, full());
        assert_eq!(code, Some(3), "{args:?}: {err}");
        assert!(
            err.starts_with("error: cannot write the output: No space left on device"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 2, "{err}");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        std::process::Stdio::from(writer)
    };
    for (args, code) in [
        (&["rules"][..], 0),
        (&["explain", "caller-mfa"], 0),
        (&["--facts", WORKING], 0),
        (&["--facts", BROKEN, "--format", "junit"], 1),
    ] {
        let (got, err) = with_stdout(args, closed());
        assert_eq!(got, Some(code), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_action_checks_its_inputs_before_gathering_and_escapes_what_it_echoes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("gathered");
    let stand_in = dir.path().join("ssm-check");
    std::fs::write(
        &stand_in,
        format!("#!/bin/sh\ntouch '{}'\n", mark.display()),
    )
    .unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let gate = |inputs: &[(&str, &str)]| {
        let mut c = std::process::Command::new("bash");
        c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/gate.sh"))
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
            .env("SSM_CHECK_TARGETS", "i-0123456789abcdef0");
        for (k, v) in inputs {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let bad: [(&[(&str, &str)], &str); 10] = [
        (
            &[("SSM_CHECK_WAIT", "soon")],
            "wait: 'soon' is not a duration",
        ),
        (&[("SSM_CHECK_WAIT", "10m; id")], "wait: '10m; id'"),
        (
            &[("SSM_CHECK_TARGETS", "i-1%0A::warning::forged\r::notice::x")],
            "'i-1%250A::warning::forged%0D::notice::x' is not an instance",
        ),
        (&[("SSM_CHECK_MODE", "telnet")], "mode: 'telnet'"),
        (
            &[("SSM_CHECK_MODE", "port"), ("SSM_CHECK_PORT", "0")],
            "port: '0'",
        ),
        (
            &[("SSM_CHECK_MODE", "port"), ("SSM_CHECK_PORT", "3389; id")],
            "port: '3389; id'",
        ),
        (&[("SSM_CHECK_PORT", "22")], "mode shell goes to no port"),
        (
            &[("SSM_CHECK_FAIL_ON", "sometimes")],
            "fail-on: 'sometimes'",
        ),
        (&[("SSM_CHECK_REMOTE_HOST", "db")], "remote-host: only"),
        (&[("SSM_CHECK_MODE", "remote-port")], "needs remote-host"),
    ];
    for (inputs, says) in bad {
        let out = gate(inputs);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(2), "{inputs:?}: {stdout}");
        assert_eq!(stdout.lines().count(), 1, "{inputs:?}: {stdout:?}");
        assert!(!stdout.trim_end().contains(['\r', '\n']), "{stdout:?}");
        assert!(stdout.starts_with("::error title=ssm-check::"), "{stdout}");
        assert!(stdout.contains(says), "{inputs:?}: {stdout}");
        assert!(!mark.exists(), "{inputs:?} gathered");
    }
    // Good inputs get as far as gathering.
    gate(&[
        ("SSM_CHECK_MODE", "port"),
        ("SSM_CHECK_PORT", "3389"),
        ("SSM_CHECK_FAIL_ON", "warn,unknown"),
        ("SSM_CHECK_WAIT", "1h30m"),
    ]);
    assert!(mark.exists());

    // The wait's own exit: not ready (1) or cannot tell (4) is for the gate after it; a usage or environment
    // error (2, 3) ends the job there, before anything is gathered.
    for (code, ends) in [(1, false), (4, false), (2, true), (3, true)] {
        std::fs::remove_file(&mark).ok();
        std::fs::write(
            &stand_in,
            format!(
                "#!/bin/sh
case \"$*\" in *--wait*) exit {code} ;; esac
touch '{}'
",
                mark.display()
            ),
        )
        .unwrap();
        let out = gate(&[("SSM_CHECK_WAIT", "10m")]);
        if ends {
            assert_eq!(out.status.code(), Some(code), "wait exited {code}");
        }
        assert_eq!(mark.exists(), !ends, "wait exited {code}");
    }
}

/// `ssm-check i-… ARGS` in a home of its own holding `config` as the AWS config file, no keys anywhere and
/// `aws` (when given) the script `aws`: its `error:` and `help:` lines (exit 3).
#[cfg(all(unix, feature = "live"))]
fn credentials_error(config: &str, aws: Option<&str>, args: &[&str]) -> (String, String) {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let aws_dir = home.path().join(".aws");
    std::fs::create_dir_all(home.path().join("bin")).unwrap();
    std::fs::create_dir(&aws_dir).unwrap();
    std::fs::write(aws_dir.join("config"), config).unwrap();
    if let Some(script) = aws {
        let p = home.path().join("bin/aws");
        std::fs::write(&p, script).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = cmd()
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", home.path().join("bin"))
        .env("AWS_CONFIG_FILE", aws_dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", aws_dir.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "eu-west-1")
        .arg("i-0123456789abcdef0")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    (lines[0].to_string(), lines[1].to_string())
}

#[cfg(all(unix, feature = "live"))]
#[test]
fn credentials_problems_say_what_to_do() {
    let config = "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
                  [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
                  [profile ops]\nregion = eu-west-1\n\
                  [profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/admin\nmfa_serial = arn:aws:iam::111122223333:mfa/me\nsource_profile = ops\n";
    assert_eq!(
        credentials_error("", None, &[]),
        (
            "error: no AWS credentials: none in the environment, the AWS config and credentials files, or an instance or container role".into(),
            "help: `aws configure` (keys) or `aws configure sso` sets up a profile; then pass --profile NAME".into()
        )
    );
    assert_eq!(
        credentials_error(config, None, &["--profile", "dev"]),
        (
            "error: profile dev signs in through AWS SSO (IAM Identity Center), and its session has expired or was never started".into(),
            "help: aws sso login --profile dev".into()
        )
    );
    assert_eq!(
        credentials_error(config, None, &["--profile", "prod"]),
        (
            "error: no profile named prod in the AWS config or credentials file".into(),
            "help: the profiles configured: dev, mfa, ops".into()
        )
    );
    let v1 = "#!/bin/sh\necho 'aws-cli/1.29.62 Python/3.8.10 Linux/5.15.0 botocore/1.31.62' >&2\nexit 2\n";
    let (error, help) = credentials_error(config, Some(v1), &["--profile", "mfa"]);
    assert!(
        error.starts_with("error: MFA profiles need AWS CLI v2, found aws-cli/1.29.62"),
        "{error}"
    );
    assert!(help.starts_with("help: install AWS CLI v2"), "{help}");
}

/// Every subcommand, as `--help` lists them (clap's own `help` aside).
fn subcommands() -> Vec<String> {
    let help = cmd().arg("--help").output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    let list = text
        .split("Commands:")
        .nth(1)
        .expect("--help lists the commands");
    list.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_for_every_shell_cover_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 8, "{subs:?}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = cmd().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell} lacks {sub}");
        }
        assert!(script.contains("wait"), "{shell} lacks --wait");
    }
    let out = cmd().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_manual_has_a_page_per_subcommand_and_docs_man_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|s| format!("ssm-check-{s}.1"))
        .chain(["ssm-check.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let main = std::fs::read_to_string(dir.path().join("ssm-check.1")).unwrap();
    assert!(
        main.starts_with(".ie") && main.contains(".TH ssm-check 1"),
        "{main}"
    );
    assert!(
        main.contains("Exit codes"),
        "the exit codes are in the page"
    );
    // The pages the release archives carry.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    for name in &names {
        let made = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let path = committed.join(name);
        if std::env::var_os("SSM_CHECK_BLESS").is_some() {
            std::fs::create_dir_all(&committed).unwrap();
            std::fs::write(&path, &made).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            made,
            "docs/man/{name} is out of date: run `SSM_CHECK_BLESS=1 cargo test --test cli manual`"
        );
    }
    assert_eq!(std::fs::read_dir(&committed).unwrap().count(), names.len());
    // And the main one on standard output.
    let out = cmd().arg("man").output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), main);
}

/// The Action's install step against local release archives (`file://`, no network): the archive for the runner,
/// the version its ref names, its SHA-256 checked before anything is installed.
#[cfg(unix)]
#[test]
fn the_action_installs_the_release_archive_for_the_runner_after_checking_its_checksum() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let releases = dir.path().join("releases");
    let target = "x86_64-unknown-linux-gnu";
    let archive = format!("ssm-check-{target}.tar.xz");
    // A release: its archive (a stand-in binary saying which release it is) and the archive's SHA-256 file.
    let publish = |path: &str, says: &str| {
        let folder = releases.join(path);
        let staging = dir.path().join(format!("staging-{says}"));
        let inner = staging.join(format!("ssm-check-{target}"));
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::create_dir_all(&folder).unwrap();
        let bin = inner.join("ssm-check");
        std::fs::write(&bin, format!("#!/bin/sh\necho {says}\n")).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let made = std::process::Command::new("tar")
            .arg("-cJf")
            .arg(folder.join(&archive))
            .arg("-C")
            .arg(&staging)
            .arg(format!("ssm-check-{target}"))
            .status()
            .unwrap();
        assert!(made.success());
        let sum = std::process::Command::new("sha256sum")
            .arg(&archive)
            .current_dir(&folder)
            .output()
            .unwrap();
        std::fs::write(folder.join(format!("{archive}.sha256")), sum.stdout).unwrap();
        folder
    };
    publish("download/v0.3.0", "pinned");
    let latest = publish("latest/download", "latest");
    // The action's checkout: its Cargo.toml names its version and repository.
    let checkout = |version: &str| {
        let path = dir.path().join(format!("action-{version}"));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(
            path.join("Cargo.toml"),
            format!("[package]\nname = \"ssm-check\"\nversion = \"{version}\"\nrust-version = \"1.85\"\nrepository = \"https://example.invalid/ssm-check\"\n\n[dependencies]\nclap = {{ version = \"4\" }}\n"),
        )
        .unwrap();
        path
    };
    let released = checkout("0.3.0");
    let unreleased = checkout("0.4.0");
    let install = |n: usize, inputs: &[(&str, &str)]| {
        let runner = dir.path().join(format!("runner-{n}"));
        std::fs::create_dir_all(&runner).unwrap();
        let path_file = runner.join("github-path");
        let mut c = std::process::Command::new("bash");
        c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", &runner)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_ACTION_PATH", &released)
            .env(
                "SSM_CHECK_RELEASES_URL",
                format!("file://{}", releases.display()),
            );
        for (k, v) in inputs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let bin = runner.join("ssm-check/bin/ssm-check");
        let says = std::process::Command::new(&bin)
            .output()
            .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string())
            .ok();
        let path = std::fs::read_to_string(&path_file).unwrap_or_default();
        (out, says, path, runner)
    };

    // The action's checkout is of a release: that release.
    let (out, says, path, runner) = install(1, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(says.as_deref(), Some("pinned"));
    assert_eq!(path.trim(), runner.join("ssm-check/bin").to_str().unwrap());
    // A branch ahead of the last release: the latest one, with a warning.
    let ahead = unreleased.to_str().unwrap();
    let (out, says, _, _) = install(2, &[("GITHUB_ACTION_PATH", ahead)]);
    assert_eq!(says.as_deref(), Some("latest"));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("::warning title=ssm-check install::ssm-check 0.4.0 is not released"));
    // A version asked for: that one, with or without its v; or the latest.
    let (_, says, _, _) = install(
        3,
        &[
            ("SSM_CHECK_VERSION", "v0.3.0"),
            ("GITHUB_ACTION_PATH", ahead),
        ],
    );
    assert_eq!(says.as_deref(), Some("pinned"));
    let (_, says, _, _) = install(4, &[("SSM_CHECK_VERSION", "latest")]);
    assert_eq!(says.as_deref(), Some("latest"));

    // Refused, and nothing installed: a version that was never released, a runner no archive is built for, a
    // version that is not one.
    let refused: [(&[(&str, &str)], &str); 3] = [
        (&[("SSM_CHECK_VERSION", "9.9.9")], "could not download"),
        (&[("RUNNER_OS", "FreeBSD")], "use version: source"),
        (&[("SSM_CHECK_VERSION", "newest")], "version: 'newest'"),
    ];
    for (n, (inputs, message)) in refused.into_iter().enumerate() {
        let (out, says, path, _) = install(10 + n, inputs);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{inputs:?}: {stdout}");
        assert!(stdout.contains(message), "{inputs:?}: {stdout}");
        assert_eq!((says, path), (None, String::new()), "{inputs:?}");
    }
    // An archive that does not match its checksum file.
    std::fs::write(
        latest.join(format!("{archive}.sha256")),
        format!("{}  {archive}\n", "0".repeat(64)),
    )
    .unwrap();
    let (out, says, path, _) = install(20, &[("SSM_CHECK_VERSION", "latest")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("does not match its SHA-256 file"),
        "{stdout}"
    );
    assert_eq!((says, path), (None, String::new()));
}
