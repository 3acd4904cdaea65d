//! Every bundled example gives the verdicts its manifest (`examples/index.json`) promises, and what users act on
//! is pinned per rule by a snapshot: each rule's status, message, evidence, notes and remedy over every example.

use serde::Deserialize;
use ssm_check::facts::{self, Facts};
use ssm_check::options::{Mode, Options};
use ssm_check::rules::{self, Report, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    description: String,
    file: String,
    mode: Mode,
    port: Option<u16>,
    remote_host: Option<String>,
    /// The verdict the case must give.
    ready: bool,
    /// Rule id → the status it must have.
    expect: BTreeMap<String, String>,
    /// Rule id → the permissions its Unknown finding must name.
    #[serde(default)]
    needs: BTreeMap<String, Vec<String>>,
    /// A case whose StartSession finding must have the same status: the same policy, evaluated locally here and
    /// by IAM's simulator there.
    #[serde(default)]
    agrees_with: Option<String>,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(examples().join("index.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(case: &Case) -> (Facts, Report) {
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
            let want: Status = want
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let got = report
                .finding(rule)
                .unwrap_or_else(|| panic!("{}: no rule {rule}", case.name));
            if got.status != want {
                failures.push(format!(
                    "{} ({}): {rule} is {}, expected {}: {}",
                    case.name,
                    case.description,
                    got.status.as_str(),
                    want.as_str(),
                    got.message
                ));
            }
        }
        if report.verdict.ready != case.ready {
            failures.push(format!(
                "{}: expected ready = {}: {}",
                case.name, case.ready, report.verdict.summary
            ));
        }
        for (rule, actions) in &case.needs {
            let got = &report.finding(rule).unwrap().needs;
            if got != actions {
                failures.push(format!(
                    "{}: {rule} names {got:?}, expected {actions:?}",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn local_evaluation_and_simulation_agree() {
    let all = cases();
    let mut pairs = 0;
    for case in &all {
        let Some(other) = &case.agrees_with else {
            continue;
        };
        let twin = all
            .iter()
            .find(|c| &c.name == other)
            .unwrap_or_else(|| panic!("{} agrees with an unknown case {other}", case.name));
        let (_, mine) = run(case);
        let (_, theirs) = run(twin);
        let status = |r: &Report| r.finding("caller-start-session").unwrap().status;
        assert_eq!(
            status(&mine),
            status(&theirs),
            "{} and {other} disagree",
            case.name
        );
        pairs += 1;
    }
    assert!(pairs >= 3, "only {pairs} pairs");
}

/// ARNs are built from the target's partition, never a hard-coded `arn:aws:`.
#[test]
fn findings_in_china_use_the_china_partition() {
    let mut seen = 0;
    for case in cases() {
        let (f, report) = run(&case);
        if !f.target.region.starts_with("cn-") {
            continue;
        }
        seen += 1;
        for finding in &report.findings {
            let text = format!(
                "{} {} {} {}",
                finding.message,
                finding.evidence.join(" "),
                finding.remedy.clone().unwrap_or_default(),
                finding.notes.join(" ")
            );
            assert!(
                !text.contains("arn:aws:"),
                "{}: {} names another partition: {text}",
                case.name,
                finding.rule()
            );
        }
        if let Some(remedy) = &report.finding("instance-role").unwrap().remedy {
            assert!(remedy.contains("arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"));
            assert!(remedy.contains("ec2.amazonaws.com.cn"));
        }
    }
    assert!(seen >= 2, "no China examples");
}

#[test]
fn a_case_that_expects_a_failure_is_not_ready() {
    for case in cases() {
        if case.expect.values().any(|s| s == "fail") {
            assert!(!case.ready, "{} expects a failure but is ready", case.name);
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
fn a_finding_that_names_a_missing_permission_is_unknown() {
    for case in cases() {
        let (_, report) = run(&case);
        for f in &report.findings {
            if !f.needs.is_empty() {
                assert_eq!(
                    f.status,
                    Status::Unknown,
                    "{}: {} names a missing permission but is {}",
                    case.name,
                    f.rule(),
                    f.status.as_str()
                );
            }
        }
    }
}

/// No silent pass: hide each fact of each example in turn (as if its read were denied). A rule that still passes
/// must not have changed its mind on less than before: no new caveat, and no other message without at least the
/// evidence it had. (A rule may legitimately pass on more: with the agent's version hidden, every service that
/// may be needed is checked, and all of them pass.)
#[test]
fn a_fact_that_cannot_be_seen_never_leaves_a_pass_behind() {
    let mut failures = Vec::new();
    let mut hidden = 0;
    for case in cases() {
        let (_, before) = run(&case);
        let text = std::fs::read_to_string(examples().join(&case.file)).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let options = Options {
            mode: case.mode,
            port: case.port,
            remote_host: case.remote_host.clone(),
        };
        for (key, value) in doc.as_object().unwrap() {
            if value.get("status").and_then(|s| s.as_str()) != Some("known") {
                continue;
            }
            let mut without = doc.clone();
            without[key] = serde_json::json!({"status": "unavailable",
                "reason": {"kind": "access_denied", "action": "test:HiddenFact"}});
            let facts = facts::parse(&without.to_string(), &case.file).unwrap();
            let after = rules::evaluate(&facts, &options);
            hidden += 1;
            for f in &after.findings {
                let was = before.finding(f.rule()).unwrap();
                if f.status != Status::Pass {
                    continue;
                }
                // The same pass with a new caveat is a pass despite what could not be seen.
                let new_caveat =
                    f.message == was.message && f.notes.iter().any(|n| !was.notes.contains(n));
                // A pass that changed, without having looked at least at everything it looked at before, rests
                // on less than before. (Checking more — every service that may be needed — is not that.)
                let changed = (f.status, &f.message) != (was.status, &was.message);
                let looked_at_less = was.evidence.iter().any(|e| !f.evidence.contains(e));
                if new_caveat || (changed && looked_at_less) {
                    failures.push(format!(
                        "{}: without {key}, {} still passes: {} (was {}: {})",
                        case.name,
                        f.rule(),
                        f.message,
                        was.status.as_str(),
                        was.message
                    ));
                }
            }
        }
    }
    assert!(hidden > 1000, "only {hidden} facts hidden");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// One snapshot per rule: what a user reads of that rule in every example. Adding a rule adds a file; changing a
/// remedy changes only that rule's file, in review.
#[test]
fn each_rules_findings_snapshot() {
    let cases = cases();
    let reports: Vec<(Case, Report)> = cases
        .into_iter()
        .map(|c| {
            let (_, r) = run(&c);
            (c, r)
        })
        .collect();
    for rule in rules::all() {
        let mut out = String::new();
        for (case, report) in &reports {
            let f = report.finding(rule.id()).unwrap();
            out.push_str(&format!(
                "{} ({}): {}: {}\n",
                case.name,
                case.mode.id(),
                f.status.as_str(),
                f.message
            ));
            for e in &f.evidence {
                out.push_str(&format!("  · {e}\n"));
            }
            for n in &f.notes {
                out.push_str(&format!("  note: {n}\n"));
            }
            if !f.needs.is_empty() {
                out.push_str(&format!("  needs: {}\n", f.needs.join(", ")));
            }
            if let Some(r) = &f.remedy {
                for (i, line) in r.lines().enumerate() {
                    out.push_str(if i == 0 { "  fix: " } else { "       " });
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        insta::with_settings!({ description => rule.meta.title, omit_expression => true }, {
            insta::assert_snapshot!(format!("rule-{}", rule.id()), out);
        });
    }
}

#[test]
fn a_fleet_document_gives_each_target_the_report_of_its_own_document() {
    // examples/fleet/us-east-1.json holds five cases of the manifest as one fleet (VPCs, profiles and roles stored
    // once); each target's view must evaluate as its case does.
    let doc = facts::load_document(&examples().join("fleet/us-east-1.json")).unwrap();
    let sources: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(examples().join("fleet/sources.json")).unwrap(),
    )
    .unwrap();
    let by_name: BTreeMap<String, Case> =
        cases().into_iter().map(|c| (c.name.clone(), c)).collect();
    let ids = doc.target_ids();
    assert_eq!(ids.len(), sources.len());
    let facts::Document::Fleet(fleet) = &doc else {
        panic!("a fleet document")
    };
    let vpcs: usize = fleet.regions.values().map(|r| r.vpcs.len()).sum();
    assert!(vpcs < ids.len(), "some targets share a VPC");
    for (i, id) in ids.iter().enumerate() {
        let case = &by_name[&sources[id]];
        let options = Options {
            mode: case.mode,
            port: case.port,
            remote_host: case.remote_host.clone(),
        };
        let from_fleet = rules::evaluate(&doc.view(i), &options);
        let (_, alone) = run(case);
        let statuses = |r: &Report| -> Vec<(String, Status)> {
            r.findings
                .iter()
                .map(|f| (f.rule().to_string(), f.status))
                .collect()
        };
        assert_eq!(
            statuses(&from_fleet),
            statuses(&alone),
            "{id} ({})",
            case.name
        );
        assert_eq!(from_fleet.verdict.ready, case.ready, "{id}");
    }
}

/// What `--wait` waits on: a report whose every failure ends by itself names what it waits for; one failure that
/// stays makes it nothing (the wait ends at once).
#[test]
fn only_failures_that_end_by_themselves_are_waited_on() {
    let by_name: BTreeMap<String, Case> =
        cases().into_iter().map(|c| (c.name.clone(), c)).collect();
    let waits = |name: &str| -> Vec<String> {
        let (_, report) = run(&by_name[name]);
        report
            .waiting_for()
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        waits("offline-al2023-just-launched"),
        ["the agent on i-0a1b2c3d4e5f60001 to register"]
    );
    // Launched a minute ago, but without a role: it never registers.
    assert!(waits("offline-al2023-just-launched-broken-no-profile").is_empty());
    assert!(waits("offline-al2023-broken-impaired").is_empty());
    assert!(
        waits("private-shell").is_empty(),
        "ready: nothing to wait for"
    );
    // An agent that lost its connection moments ago, or whose instance was started again since its last ping.
    for name in [
        "offline-al2023-reconnecting",
        "offline-al2023-started-again",
    ] {
        assert_eq!(
            waits(name),
            ["the agent on i-0a1b2c3d4e5f60001 to reconnect"],
            "{name}"
        );
    }
    // An image without the agent, three minutes after the launch: its user data may be installing it. Ten minutes
    // after, that is the cause, and nothing is waited on.
    assert_eq!(
        waits("offline-rhel-just-launched"),
        ["the agent on i-0a1b2c3d4e5f60001 to register"]
    );
    assert!(waits("offline-rhel-broken-never-registered").is_empty());
    // The agent waits on the endpoint it needs: one thing to wait for, said once.
    let both = waits("offline-al2023-endpoint-pending");
    assert_eq!(both.len(), 1, "{both:?}");
    assert!(
        both[0].starts_with("vpce-") && both[0].ends_with(" to become available"),
        "{both:?}"
    );
    let pending = waits("private-shell-broken-endpoint-pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(
        pending[0].starts_with("vpce-") && pending[0].ends_with("to become available"),
        "{pending:?}"
    );

    // The same instance still starting, then stopping, then stopped.
    let case = &by_name["private-shell"];
    let (mut facts, _) = run(case);
    let options = Options::new(case.mode);
    let mut state = |s: &str| {
        if let facts::Fact::Known { value } = &mut facts.instance {
            value.state = s.to_string();
        }
        let reg = facts::Registration {
            registered: false,
            ..facts.registration.value().cloned().unwrap()
        };
        facts.registration = facts::Fact::known(reg);
        let report = rules::evaluate(&facts, &options);
        let waiting: Vec<String> = report
            .waiting_for()
            .into_iter()
            .map(str::to_string)
            .collect();
        waiting
    };
    assert_eq!(
        state("pending"),
        [
            "i-0a1b2c3d4e5f60001 to start",
            "the agent on i-0a1b2c3d4e5f60001 to register"
        ]
    );
    assert!(
        state("stopping").is_empty(),
        "it ends stopped: nothing to wait for"
    );
    assert!(state("stopped").is_empty());

    // Started again: still `pending`, its registration the one from before the stop (ConnectionLost).
    let case = &by_name["offline-al2023-started-again"];
    let (mut facts, _) = run(case);
    if let facts::Fact::Known { value } = &mut facts.instance {
        value.state = "pending".to_string();
    }
    let report = rules::evaluate(&facts, &Options::new(case.mode));
    assert_eq!(
        report.waiting_for(),
        [
            "i-0a1b2c3d4e5f60001 to start",
            "the agent on i-0a1b2c3d4e5f60001 to reconnect"
        ]
    );
}

#[test]
fn the_readme_and_the_tests_guide_count_the_cases() {
    let n = cases().len();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("`examples/` holds {n} cases")),
        "README.md: {n} cases"
    );
    let guide = std::fs::read_to_string(root.join("tests/README.md")).unwrap();
    assert!(
        guide.contains(&format!("`examples/index.json` ({n})")),
        "tests/README.md: {n} cases"
    );
}
