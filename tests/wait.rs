//! `--wait`, end to end against moto (through `tests/live/stub.py`, whose DescribeInstanceInformation can list an
//! instance only after a number of calls): it re-checks while every failure ends by itself, re-reads only what
//! changes, ends at once on a failure that stays, and says what it was waiting for when the time runs out. The
//! binary runs on a virtual clock (`SSM_CHECK_VIRTUAL_CLOCK`): the tests count re-checks, never seconds.

#[path = "live/harness.rs"]
mod harness;

use harness::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `ssm-check ID --wait DURATION --format json` on the virtual clock: exit code, report, stderr.
fn wait(
    run: &Run,
    stub: &Stub,
    built: &Value,
    duration: &str,
    extra: &[&str],
) -> (i32, Value, String) {
    let out = run
        .cmd(stub, built)
        .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
        .arg(built["instance"].as_str().unwrap())
        .args(["--wait", duration, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), report, stderr)
}

fn per_op(stub: &Stub) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for c in stub.calls() {
        *n.entry(c["op"].as_str().unwrap().to_string()).or_default() += 1;
    }
    n
}

fn finding<'r>(report: &'r Value, rule: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap()
}

/// What one re-check reads: the instances, their registrations, and the status checks of those not online.
const REREAD: [&str; 3] = [
    "ec2:DescribeInstances",
    "ssm:DescribeInstanceInformation",
    "ec2:DescribeInstanceStatus",
];

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn an_agent_that_registers_after_a_few_rechecks_is_ready_and_only_what_changes_is_read_again() {
    let live = live();
    let built = layout(&live, "public");
    let run = Run::new();
    // What one check of the unregistered instance reads.
    let mut config = stub_config(linux());
    config["registered_after"] = json!(1000);
    let once = Stub::start(&live, config.clone());
    let out = run
        .cmd(&once, &built)
        .args([built["instance"].as_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "still registering: not ready yet"
    );
    let one_check = per_op(&once);
    config["registered_after"] = json!(3);
    let stub = Stub::start(&live, config);
    let (code, report, stderr) = wait(&run, &stub, &built, "10m", &[]);
    assert!(matches!(code, 0 | 4), "exit {code}: {stderr}\n{report}");
    assert_eq!(report["verdict"]["ready"], true, "{report}");
    assert_eq!(report["wait"]["checks"], 4, "{report}");
    assert_eq!(report["wait"]["timed_out"], false);
    assert_eq!(finding(&report, "agent-online")["status"], "pass");
    // Not a terminal: one line per change of what it waits for.
    let id = built["instance"].as_str().unwrap();
    assert!(
        stderr.contains(&format!(
            "waiting for the agent on {id} to register; nothing else fails (1 check could not see its facts) (check 1, 0 s of 10 m)"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.matches("waiting for").count(), 1, "{stderr}");
    let calls = per_op(&stub);
    assert_eq!(calls["ssm:DescribeInstanceInformation"], 4, "{calls:?}");
    assert_eq!(calls["ec2:DescribeInstances"], 4, "{calls:?}");
    // Everything else was read by the first check only, as one check reads it.
    for (op, n) in &calls {
        if !REREAD.contains(&op.as_str()) {
            assert_eq!(
                Some(n),
                one_check.get(op),
                "{op}: {calls:?}\none check: {one_check:?}"
            );
        }
    }
    let first: usize = one_check.values().sum();
    let all: usize = calls.values().sum();
    // Three re-checks: the instance and its registration each time, the status checks while it is not online.
    assert_eq!(
        all - first,
        3 + 3 + 2,
        "{calls:?}\none check: {one_check:?}"
    );
    println!(
        "one check: {first} calls; three re-checks: {} calls",
        all - first
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_failure_that_stays_ends_the_wait_after_the_first_check() {
    let live = live();
    let built = layout(&live, "public");
    // The agent is still registering, but StartSession is denied: waiting would only hide that.
    let mut config = stub_config(linux());
    config["registered_after"] = json!(1000);
    config["simulate"] = json!({"decision": "explicitDeny"});
    let stub = Stub::start(&live, config);
    let run = Run::new();
    let (code, report, stderr) = wait(&run, &stub, &built, "10m", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["wait"]["checks"], 1, "{report}");
    assert_eq!(finding(&report, "caller-start-session")["status"], "fail");
    assert!(finding(&report, "caller-start-session")
        .get("settles")
        .is_none());
    assert_eq!(finding(&report, "agent-online")["status"], "fail");
    assert!(finding(&report, "agent-online")["settles"].is_string());
    assert_eq!(per_op(&stub)["ssm:DescribeInstanceInformation"], 1);
    assert!(!stderr.contains("waiting for"), "{stderr}");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_timeout_is_not_ready_and_says_what_it_was_waiting_for() {
    let live = live();
    let built = layout(&live, "public");
    let mut config = stub_config(linux());
    config["registered_after"] = json!(1000);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    let (code, report, stderr) = wait(&run, &stub, &built, "2m", &[]);
    assert_eq!(code, 1, "{stderr}");
    let id = built["instance"].as_str().unwrap();
    // Pauses of 5, 10, 15, then 20 s: checks at 0, 5, 15, 30, 50, 70, 90, 110 and 120 s.
    assert_eq!(
        report["wait"],
        json!({"checks": 9, "seconds": 120, "timed_out": true,
               "waiting_for": [format!("the agent on {id} to register")]})
    );
    assert_eq!(per_op(&stub)["ssm:DescribeInstanceInformation"], 9);
    // The table says it too.
    let out = run
        .cmd(&stub, &built)
        .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
        .env("COLUMNS", "200")
        .args([id, "--wait", "30s"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains(&format!(
            "waited 30 s (4 checks) and gave up, still waiting for the agent on {id} to register"
        )),
        "{text}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn proxy_waits_then_hands_over_once_ready() {
    let live = live();
    let built = layout(&live, "public");
    let mut config = stub_config(linux());
    config["registered_after"] = json!(2);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    run.recording_aws(None);
    let id = built["instance"].as_str().unwrap();
    let out = run
        .cmd(&stub, &built)
        .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
        .args(["proxy", id, "22", "--wait", "5m", "--cache-ttl", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("waiting for the agent on"), "{stderr}");
    let sessions: Vec<Vec<String>> = run
        .aws_calls()
        .into_iter()
        .filter(|a| a.first().map(String::as_str) == Some("ssm"))
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert!(sessions[0].contains(&"AWS-StartSSHSession".to_string()));
    assert_eq!(per_op(&stub)["ssm:DescribeInstanceInformation"], 3);
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_fleet_by_filter_waits_in_batches_not_per_instance() {
    let live = live();
    let built = layout(&live, "fleet:100:1:1");
    let tag = built["tag"].as_str().unwrap();
    let mut config = stub_config(linux());
    // Two registration batches of 50 per check: nothing at the first check and the first re-check.
    config["registered_after"] = json!(4);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    let filter = format!("Name=tag:Fleet,Values={tag}");
    let out = run
        .cmd(&stub, &built)
        .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
        .args(["--filters", &filter, "--wait", "10m", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 4)), "{stderr}");
    let fleet: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fleet["summary"]["targets"], 100);
    assert_eq!(fleet["summary"]["ready"], 100, "{}", fleet["summary"]);
    for r in fleet["reports"].as_array().unwrap() {
        assert_eq!(r["wait"]["checks"], 3, "{}", r["target"]);
    }
    assert!(
        stderr.contains("waiting for 100 of 100 targets"),
        "{stderr}"
    );
    let calls = per_op(&stub);
    // The first check lists by filter (one DescribeInstances); each re-check lists the 100 by id (one more) and
    // their registrations (two batches of 50); the status checks of those not online once.
    assert_eq!(calls["ec2:DescribeInstances"], 3, "{calls:?}");
    assert_eq!(calls["ssm:DescribeInstanceInformation"], 6, "{calls:?}");
    assert_eq!(calls["ec2:DescribeInstanceStatus"], 2, "{calls:?}");
    println!("100 targets: 4 calls for the re-check while none is online, 3 once all are");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn an_agent_that_lost_its_connection_moments_ago_is_waited_on_until_it_reconnects() {
    let live = live();
    let built = layout(&live, "public");
    // Registered, ConnectionLost with its last ping a minute ago (a reboot) for two answers, then Online.
    let mut config = stub_config(linux());
    config["online_after"] = json!(2);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    let (code, report, stderr) = wait(&run, &stub, &built, "10m", &[]);
    assert!(matches!(code, 0 | 4), "exit {code}: {stderr}\n{report}");
    assert_eq!(report["wait"]["checks"], 3, "{report}");
    assert_eq!(finding(&report, "agent-online")["status"], "pass");
    let id = built["instance"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("waiting for the agent on {id} to reconnect")),
        "{stderr}"
    );

    // Without waiting, the same moment is a failure that ends by itself, and no cause is made up on the host.
    let mut config = stub_config(linux());
    config["online_after"] = json!(1000);
    let stub = Stub::start(&live, config);
    let out = run
        .cmd(&stub, &built)
        .args([id, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let online = finding(&report, "agent-online");
    assert_eq!(online["status"], "fail", "{online}");
    assert_eq!(
        online["settles"],
        format!("the agent on {id} to reconnect"),
        "{online}"
    );
    let cause = finding(&report, "agent-offline-cause");
    assert_eq!(cause["status"], "warn", "{cause}");
    assert!(
        cause["message"].as_str().unwrap().contains("reconnecting"),
        "{cause}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_fleet_ends_the_wait_when_one_target_fails_for_good_each_report_with_its_own_checks() {
    let live = live();
    // Three public instances (ready once registered) and a private one with no way out (fails for good).
    let built = layout(&live, "fleet:4:2:1");
    let tag = built["tag"].as_str().unwrap();
    let filter = format!("Name=tag:Fleet,Values={tag}");
    let run = Run::new();
    let fleet_wait = |config: Value, duration: &str| {
        let stub = Stub::start(&live, config);
        let out = run
            .cmd(&stub, &built)
            .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
            .args(["--filters", &filter, "--wait", duration, "--format", "json"])
            .output()
            .unwrap();
        let fleet: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), fleet, per_op(&stub))
    };
    let mut config = stub_config(linux());
    config["registered_after"] = json!(1000);
    let (code, fleet, calls) = fleet_wait(config, "10m");
    assert_eq!(code, 1);
    let ready = built["ready"].as_array().unwrap();
    for r in fleet["reports"].as_array().unwrap() {
        assert_eq!(r["wait"]["checks"], 1, "{}", r["target"]);
        // The public ones were still registering when the private one failed for good: the report says so.
        let waited_on = ready.contains(&r["target"]["id"]);
        assert_eq!(
            r["wait"]["waiting_for"]
                .as_array()
                .is_some_and(|w| !w.is_empty()),
            waited_on,
            "{}",
            r["wait"]
        );
        assert_eq!(r["wait"]["timed_out"], false);
    }
    assert_eq!(calls["ssm:DescribeInstanceInformation"], 1, "{calls:?}");

    // Only the ready targets: one whose agent never registers is waited on alone; the others keep their one check.
    let ready: Vec<String> = built["ready"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mut config = stub_config(linux());
    config["unregistered"] = json!([ready[0]]);
    let stub = Stub::start(&live, config);
    let mut args = vec!["--wait", "30s", "--format", "json"];
    args.extend(ready.iter().map(String::as_str));
    let out = run
        .cmd(&stub, &built)
        .env("SSM_CHECK_VIRTUAL_CLOCK", "1")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let fleet: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in fleet["reports"].as_array().unwrap() {
        let (checks, seconds) = if r["target"]["id"] == ready[0].as_str() {
            (4, 30)
        } else {
            (1, 0)
        };
        assert_eq!(r["wait"]["checks"], checks, "{}", r["target"]);
        assert_eq!(r["wait"]["seconds"], seconds, "{}", r["target"]);
    }
}
