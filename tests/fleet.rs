//! Many targets in one run, end to end against moto (through `tests/live/stub.py`): ids, filters and `--all`,
//! the fleet table, JSON and NDJSON, the fleet facts document offline, several regions, and the calls a fleet
//! costs — one lookup per VPC and per role, batched lookups per target set, none twice. Run through `tests/run`.

#[path = "live/harness.rs"]
mod harness;

use harness::*;
use serde_json::{json, Value};
use ssm_check::report::fleet::FleetReport;
use std::collections::{BTreeMap, BTreeSet};

fn ids(built: &Value, key: &str) -> BTreeSet<String> {
    built[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn fleet_report(out: &std::process::Output) -> FleetReport {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ready_and_not(r: &FleetReport) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ready = BTreeSet::new();
    let mut not = BTreeSet::new();
    for t in &r.reports {
        if t.verdict.ready {
            ready.insert(t.target.id.clone());
        } else {
            not.insert(t.target.id.clone());
        }
    }
    (ready, not)
}

/// Calls per operation, and how many repeated an earlier one exactly (same operation, same request).
fn tally(calls: &[Value]) -> (BTreeMap<String, usize>, usize) {
    let mut per_op = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut repeated = 0;
    for c in calls {
        let op = c["op"].as_str().unwrap().to_string();
        *per_op.entry(op.clone()).or_default() += 1;
        if !seen.insert((op, c["digest"].as_str().unwrap().to_string())) {
            repeated += 1;
        }
    }
    (per_op, repeated)
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_fleet_costs_calls_per_vpc_and_role_not_per_instance() {
    let live = live();
    // 12 instances in 3 VPCs (the last one private with no way out) under 2 roles.
    let (built, stub, run) = scene(&live, "fleet:12:3:2");
    let targets: Vec<String> = ids(&built, "instances").into_iter().collect();
    let out = run
        .cmd(&stub, &built)
        .args(&targets)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "some targets are not ready");
    let report = fleet_report(&out);
    assert_eq!(report.summary.targets, 12);
    let (ready, not) = ready_and_not(&report);
    assert_eq!(ready, ids(&built, "ready"));
    assert_eq!(not, ids(&built, "not_ready"));
    for t in report.reports.iter().filter(|t| !t.verdict.ready) {
        let failing: Vec<&str> = t
            .findings
            .iter()
            .filter(|f| f.status == ssm_check::report::v1::Status::Fail)
            .map(|f| f.rule.as_str())
            .collect();
        assert_eq!(failing, ["network-path"], "{}", t.target.id);
    }
    assert!(report.reports.iter().all(|t| t
        .target
        .name
        .as_deref()
        .is_some_and(|n| n.starts_with("web-"))));

    let (per_op, repeated) = tally(&stub.calls());
    assert_eq!(repeated, 0, "{per_op:?}");
    let n = |op: &str| per_op.get(op).copied().unwrap_or(0);
    // Per VPC.
    for op in [
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeVpcEndpoints",
    ] {
        assert_eq!(n(op), 3, "{op}: {per_op:?}");
    }
    // Per role, and batched per target set.
    assert_eq!(n("iam:GetInstanceProfile"), 2, "{per_op:?}");
    assert_eq!(n("iam:GetRole"), 2, "{per_op:?}");
    assert_eq!(n("ec2:DescribeInstances"), 1, "{per_op:?}");
    assert_eq!(n("ssm:DescribeInstanceInformation"), 1, "{per_op:?}");
    // StartSession now and with MFA, three on the caller's sessions, one probe: not one per instance.
    assert_eq!(n("iam:SimulatePrincipalPolicy"), 6, "{per_op:?}");
    let total: usize = per_op.values().sum();
    assert!(total <= 50, "{total} calls for 12 instances: {per_op:?}");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn filters_select_like_the_aws_cli_and_all_takes_every_managed_node() {
    let live = live();
    let (built, stub, run) = scene(&live, "fleet:6:2:1");
    let tag = built["tag"].as_str().unwrap();
    let out = run
        .cmd(&stub, &built)
        .args(["--filters", &format!("Name=tag:Fleet,Values={tag}")])
        .args(["--filters", "Name=tag:Env,Values=prod", "--format", "json"])
        .output()
        .unwrap();
    let report = fleet_report(&out);
    let picked: BTreeSet<String> = report.reports.iter().map(|t| t.target.id.clone()).collect();
    assert_eq!(picked, ids(&built, "prod"));

    // Filters that select nothing are an input error, not a green gate.
    let out = run
        .cmd(&stub, &built)
        .args(["--filters", "Name=tag:Fleet,Values=no-such-fleet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no target"));

    // A region whose instances cannot be listed is an error, never a green gate over what was not seen.
    stub.set(
        json!({"registration": {"agent_version": "3.3.1142.0"}, "simulate": {"decision": "allowed"},
        "deny": ["ec2:DescribeInstances"]}),
    );
    let out = run
        .cmd(&stub, &built)
        .args(["--filters", &format!("Name=tag:Fleet,Values={tag}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot list the instances to check in"),
        "{err}"
    );
    assert!(err.contains("ec2:DescribeInstances"), "{err}");

    // --all in a region of its own: every instance, and the hybrid node only Systems Manager lists.
    let region = "eu-central-1";
    let alone = layout_in(&live, "fleet:3:1:1", "admin", region);
    let hybrid = "mi-0123456789abcdef0";
    stub.set(
        json!({"registration": {"agent_version": "3.3.1142.0"}, "simulate": {"decision": "allowed"},
        "hybrid_nodes": [hybrid]}),
    );
    let out = run
        .cmd(&stub, &alone)
        .args(["--all", "--region", region, "--format", "json"])
        .output()
        .unwrap();
    let report = fleet_report(&out);
    let mut expected = ids(&alone, "instances");
    expected.insert(hybrid.to_string());
    let all: BTreeSet<String> = report.reports.iter().map(|t| t.target.id.clone()).collect();
    assert_eq!(all, expected);
    let node = report
        .reports
        .iter()
        .find(|t| t.target.id == hybrid)
        .unwrap();
    let instance_running = node
        .findings
        .iter()
        .find(|f| f.rule == "instance-running")
        .unwrap();
    assert_eq!(
        instance_running.status,
        ssm_check::report::v1::Status::Skip,
        "a hybrid node has no EC2 state"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn table_ndjson_and_the_fleet_document_offline() {
    let live = live();
    let (built, stub, run) = scene(&live, "fleet:4:2:1");
    let targets: Vec<String> = built["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();

    let out = run.cmd(&stub, &built).args(&targets).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for id in &targets {
        assert_eq!(
            table
                .lines()
                .filter(|l| !l.starts_with(' ') && l.contains(id.as_str()))
                .count(),
            1,
            "one row per target:\n{table}"
        );
    }
    assert!(table.contains("4 targets: 2 ready, 2 not ready"), "{table}");
    assert!(
        table.contains("Failing most often: network-path (2)"),
        "{table}"
    );

    let out = run
        .cmd(&stub, &built)
        .args(&targets)
        .args(["--format", "ndjson"])
        .output()
        .unwrap();
    let lines: Vec<ssm_check::report::v1::Report> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let order: Vec<&str> = lines.iter().map(|r| r.target.id.as_str()).collect();
    assert_eq!(order, targets, "one report per line, in the order asked");

    // The fleet facts document, saved and evaluated offline, gives the live reports.
    let out = run
        .cmd(&stub, &built)
        .arg("gather")
        .args(&targets)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["targets"].as_array().unwrap().len(), 4);
    assert_eq!(
        doc["regions"][REGION]["vpcs"].as_object().unwrap().len(),
        2,
        "each VPC stored once"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let live_json = run
        .cmd(&stub, &built)
        .args(&targets)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let offline = run
        .cmd(&stub, &built)
        .arg("--facts")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let (a, b) = (fleet_report(&live_json), fleet_report(&offline));
    assert_eq!(a.summary, b.summary);
    for (x, y) in a.reports.iter().zip(&b.reports) {
        let statuses = |r: &ssm_check::report::v1::Report| {
            r.findings
                .iter()
                .map(|f| (f.rule.clone(), f.status))
                .collect::<Vec<_>>()
        };
        assert_eq!(statuses(x), statuses(y), "{}", x.target.id);
    }
    // One target picked from the fleet document reads as its own report.
    let one = run
        .cmd(&stub, &built)
        .arg("--facts")
        .arg(&path)
        .arg(&targets[1])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let single: ssm_check::report::v1::Report = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(single.target.id, targets[1]);
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_target_that_cannot_be_checked_is_reported_and_the_others_go_on() {
    let live = live();
    let built = layout(&live, "fleet:3:1:1");
    let [a, b, c]: [String; 3] = built["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    // One instance terminated, and an id no region has.
    let code = format!(
        "import boto3;boto3.client('ec2',endpoint_url='{}',region_name='{REGION}',aws_access_key_id='testing',aws_secret_access_key='testing').terminate_instances(InstanceIds=['{c}'])",
        live.moto
    );
    python(&live, &code);
    let ghost = "i-0000000000000000f";
    let stub = Stub::start(&live, stub_config(json!({"agent_version": "3.3.1142.0"})));
    let run = Run::new();
    let out = run
        .cmd(&stub, &built)
        .args([&a, &b, &c, ghost])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = fleet_report(&out);
    let by_id: BTreeMap<&str, &ssm_check::report::v1::Report> = report
        .reports
        .iter()
        .map(|r| (r.target.id.as_str(), r))
        .collect();
    assert!(by_id[a.as_str()].verdict.ready && by_id[b.as_str()].verdict.ready);
    let rule = |id: &str, rule: &str| {
        by_id[id]
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap()
            .clone()
    };
    let terminated = rule(&c, "instance-running");
    assert_eq!(terminated.status, ssm_check::report::v1::Status::Fail);
    assert!(
        terminated.message.contains("terminated"),
        "{}",
        terminated.message
    );
    let missing = rule(ghost, "instance-running");
    assert_eq!(missing.status, ssm_check::report::v1::Status::Fail);
    assert!(
        missing.message.contains("no instance"),
        "{}",
        missing.message
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn several_regions_in_one_run() {
    let live = live();
    let here_ = layout(&live, "fleet:2:1:1");
    let there_region = "us-east-2";
    let there = layout_in(&live, "fleet:1:1:1", "admin", there_region);
    let stub = Stub::start(&live, stub_config(json!({"agent_version": "3.3.1142.0"})));
    let run = Run::new();
    let mut targets: Vec<String> = ids(&here_, "instances").into_iter().collect();
    targets.extend(ids(&there, "instances"));
    let out = run
        .cmd(&stub, &here_)
        .args(&targets)
        .args([
            "--region",
            &format!("{REGION},{there_region}"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report = fleet_report(&out);
    let regions: Vec<(String, String)> = report
        .reports
        .iter()
        .map(|r| (r.target.id.clone(), r.target.region.clone()))
        .collect();
    let expected: Vec<(String, String)> = targets
        .iter()
        .map(|id| {
            let region = if ids(&there, "instances").contains(id) {
                there_region
            } else {
                REGION
            };
            (id.clone(), region.to_string())
        })
        .collect();
    assert_eq!(regions, expected);
    assert!(
        report.reports.iter().all(|r| r.verdict.ready),
        "{:?}",
        report
            .reports
            .iter()
            .map(|r| &r.verdict.summary)
            .collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_policy_on_instance_tags_is_decided_by_each_instances_tags() {
    let live = live();
    // Four instances tagged Env=prod or staging; the caller's policy allows sessions on Env=prod only (ABAC).
    let built = layout(&live, "fleet:4:1:1");
    let stub = Stub::start(
        &live,
        json!({"registration": {"agent_version": "3.3.1142.0"},
               "simulate": {"decision": "allowed", "instance_tag": {"key": "ssm:resourceTag/Env", "value": "prod"}}}),
    );
    let run = Run::new();
    let instances = ids(&built, "instances");
    let out = run
        .cmd(&stub, &built)
        .args(instances.iter())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = fleet_report(&out);
    let prod = ids(&built, "prod");
    for t in &report.reports {
        let start = t
            .findings
            .iter()
            .find(|f| f.rule == "caller-start-session")
            .unwrap();
        let want = if prod.contains(&t.target.id) {
            ssm_check::report::v1::Status::Pass
        } else {
            ssm_check::report::v1::Status::Fail
        };
        assert_eq!(start.status, want, "{}: {}", t.target.id, start.message);
    }
    // The tags are asked for again only where the policies test them, one call per value tested, now and with
    // MFA: two rounds, not a call per instance.
    let (per_op, _) = tally(&stub.calls());
    let sims = per_op
        .get("iam:SimulatePrincipalPolicy")
        .copied()
        .unwrap_or(0);
    assert_eq!(sims, 6 + 4, "{per_op:?}");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn only_targets_that_are_not_online_are_asked_what_ec2_shows_and_in_batches() {
    let live = live();
    // 12 instances in 3 VPCs; three of them never registered.
    let (built, stub, run) = scene(&live, "fleet:12:3:2");
    let targets: Vec<String> = ids(&built, "instances").into_iter().collect();
    let offline = &targets[..3];
    let mut config = stub_config(json!({"agent_version": "3.3.1142.0"}));
    config["unregistered"] = json!(offline);
    stub.set(config);
    let out = run
        .cmd(&stub, &built)
        .args(["gather"])
        .args(&targets)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fleet: Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in fleet["targets"].as_array().unwrap() {
        let asked = offline.contains(&t["id"].as_str().unwrap().to_string());
        let status = t["console_output"]["status"].as_str().unwrap();
        assert_eq!(
            status == "known",
            asked,
            "{}: {}",
            t["id"],
            t["console_output"]
        );
        assert_eq!(
            t["status_checks"]["status"] == "known",
            asked,
            "{}",
            t["id"]
        );
    }
    let (per_op, repeated) = tally(&stub.calls());
    assert_eq!(repeated, 0);
    // Per offline target: its console output and connection status. Per region: one status-check batch, one
    // image lookup, one serial-console status, one endpoint listing for the offline targets' VPCs.
    assert_eq!(per_op.get("ec2:GetConsoleOutput"), Some(&3));
    assert_eq!(per_op.get("ssm:GetConnectionStatus"), Some(&3));
    for op in [
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeImages",
        "ec2:GetSerialConsoleAccessStatus",
        "ec2:DescribeInstanceConnectEndpoints",
    ] {
        assert_eq!(per_op.get(op), Some(&1), "{op}");
    }
    assert_eq!(per_op.get("ssm:DescribeActivations"), None);
}
