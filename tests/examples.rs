//! Every bundled example gives the verdicts its manifest (`examples/index.json`) promises, and the whole report
//! of each is pinned by a snapshot.

use serde::Deserialize;
use ssm_check::facts::{self, Facts};
use ssm_check::rules::{self, Mode, Options, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Case {
    name: String,
    description: String,
    file: String,
    mode: Mode,
    port: Option<u16>,
    remote_host: Option<String>,
    expect: BTreeMap<String, Status>,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(examples().join("index.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(case: &Case) -> (Facts, ssm_check::report::Report) {
    let f = facts::load_file(&examples().join(&case.file))
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let options = Options {
        mode: case.mode,
        port: case.port,
        remote_host: case.remote_host.clone(),
    };
    let report = rules::evaluate(&f, &options);
    (f, report)
}

#[test]
fn every_expectation_in_the_manifest_holds() {
    let mut failures = Vec::new();
    for case in cases() {
        assert!(!case.expect.is_empty(), "{} expects nothing", case.name);
        let (_, report) = run(&case);
        for (rule, want) in &case.expect {
            let got = report
                .finding(rule)
                .unwrap_or_else(|| panic!("{}: no rule {rule}", case.name));
            if got.status != *want {
                failures.push(format!(
                    "{}: {rule} is {:?}, expected {want:?}: {}",
                    case.name, got.status, got.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn working_layouts_are_ready_and_broken_ones_are_not() {
    for case in cases() {
        let (_, report) = run(&case);
        let broken = case.name.contains("-broken-") || case.name == "seed003-rds-through-port-mode";
        let fails = case.expect.values().any(|s| *s == Status::Fail);
        assert_eq!(
            report.verdict.ready, !fails,
            "{}: {}",
            case.name, report.verdict.summary
        );
        if !broken {
            assert!(
                report.verdict.ready || case.name == "partial-permissions",
                "{} should be ready: {}",
                case.name,
                report.verdict.summary
            );
        }
    }
}

#[test]
fn every_example_file_is_in_the_manifest_and_round_trips() {
    let listed: Vec<String> = cases().into_iter().map(|c| c.file).collect();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") && name != "index.json" {
            assert!(
                listed.contains(&name),
                "{name} is not in examples/index.json"
            );
            let f = facts::load_file(&examples().join(&name)).unwrap();
            let again = facts::parse(&serde_json::to_string(&f).unwrap(), &name).unwrap();
            assert_eq!(f, again, "{name} does not survive a round trip");
        }
    }
}

#[test]
fn unknown_findings_name_what_would_reveal_them() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "partial-permissions")
        .unwrap();
    let (_, report) = run(&case);
    let needs = |rule: &str| report.finding(rule).unwrap().needs.clone();
    assert_eq!(needs("network-path"), vec!["ec2:DescribeVpcEndpoints"]);
    assert_eq!(
        needs("nacl-instance-subnet"),
        vec!["ec2:DescribeVpcEndpoints"]
    );
    assert_eq!(
        needs("caller-start-session"),
        vec!["iam:SimulatePrincipalPolicy"]
    );
    assert_eq!(needs("audit-trail"), vec!["cloudtrail:DescribeTrails"]);
    // Nothing that could not see its facts passed.
    for f in &report.findings {
        if !f.needs.is_empty() {
            assert_eq!(
                f.status,
                Status::Unknown,
                "{} names a missing permission but is {:?}",
                f.rule,
                f.status
            );
        }
    }
}

#[test]
fn reports_snapshot() {
    for case in cases() {
        let (_, report) = run(&case);
        let lines: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{:<24} {:<7} {}", f.rule, f.status.as_str(), f.message))
            .collect();
        insta::with_settings!({ description => case.description.clone(), omit_expression => true }, {
            insta::assert_snapshot!(case.name.clone(), format!("{}\n\n{}", report.verdict.summary, lines.join("\n")));
        });
    }
}
