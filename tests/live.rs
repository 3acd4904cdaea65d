//! End-to-end: the built binary against moto's server on 127.0.0.1, through `tests/live/stub.py` (which answers
//! the operations moto lacks and injects failures). Needs `SSM_CHECK_MOTO_URL` and `SSM_CHECK_PYTHON` (a Python
//! with boto3); `tests/run` sets them up and runs these tests with `--include-ignored`. A plain `cargo test`
//! reports them as ignored; asked for without moto, they fail.

#[path = "live/harness.rs"]
mod harness;

use assert_cmd::Command;
use harness::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Rules whose facts moto cannot reproduce: its endpoint interfaces get addresses outside their subnet, so the
/// endpoint subnets' ACLs cannot be placed (Unknown live, pass offline).
const MOTO_DEVIATIONS: [&str; 1] = ["nacl-endpoint-subnets"];

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn live_verdicts_match_the_offline_examples() {
    let live = live();
    let cases: [(&str, &str, &[&str], Value); 7] = [
        (
            "rdp-private-strict-sg",
            "rdp-private-strict-sg",
            &["--mode", "port", "--port", "3389"],
            windows(),
        ),
        (
            "rdp-private-strict-sg-endpoint-sg-self",
            "rdp-private-strict-sg-broken-endpoint-sg-self",
            &["--mode", "port", "--port", "3389"],
            windows(),
        ),
        ("private-shell", "private-shell", &[], linux()),
        (
            "private-shell-private-dns-off",
            "private-shell-broken-private-dns-off",
            &[],
            linux(),
        ),
        (
            "private-shell-no-profile",
            "private-shell-broken-no-profile",
            &[],
            Value::Null,
        ),
        ("nat", "nat-private-shell", &[], linux()),
        ("public", "public-shell", &[], linux()),
    ];
    let mut differences = Vec::new();
    for (name, example, args, registration) in cases {
        let built = layout(&live, name);
        let stub = Stub::start(&live, stub_config(registration));
        let run = Run::new();
        let out = run
            .cmd(&stub, &built)
            .arg(built["instance"].as_str().unwrap())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 4)),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let live_report = report(&out.stdout);
        let offline = Command::cargo_bin("ssm-check")
            .unwrap()
            .arg("--facts")
            .arg(here(&format!("examples/{example}.json")))
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let offline_report = report(&offline.stdout);
        let mut compared = 0;
        for (rule, f) in &offline_report {
            // The caller, this machine and the trail depend on the test's own environment, not the layout.
            if !["instance", "session", "agent", "network"].contains(&f["area"].as_str().unwrap())
                || MOTO_DEVIATIONS.contains(&rule.as_str())
            {
                continue;
            }
            compared += 1;
            if live_report[rule]["status"] != f["status"] {
                differences.push(format!(
                    "{name}: {rule} live {} ({}), offline {}",
                    live_report[rule]["status"], live_report[rule]["message"], f["status"]
                ));
            }
        }
        assert!(compared >= 20, "{name}: only {compared} rules compared");
    }
    assert!(differences.is_empty(), "\n{}", differences.join("\n"));
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn each_denied_read_makes_exactly_its_facts_unknown() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let id = built["instance"].as_str().unwrap();
    let stub = Stub::start(&live, stub_config(windows()));
    let run = Run::new();
    let baseline = gather(&run, &stub, &built, id);
    // The action denied, the facts it must hide, and the rule (in port mode) that must then be Unknown naming it;
    // `None` where no port-mode rule needs that fact (the VPC's ranges serve remote-host forwarding only).
    let denials: [(&str, &[&str], Option<&str>); 16] = [
        (
            // Everything that hangs on the instance is unseen; the caller is still asked about it, by its id.
            "ec2:DescribeInstances",
            &[
                "instance",
                "instance_profile",
                "role",
                "vpc",
                "vpc_dns",
                "subnets",
                "route_tables",
                "vpc_endpoints",
                "security_groups",
                "network_acls",
                "prefix_lists",
            ],
            Some("instance-running"),
        ),
        (
            "ec2:DescribeVpcEndpoints",
            &["vpc_endpoints"],
            Some("network-path"),
        ),
        (
            "ec2:DescribeSecurityGroups",
            &["security_groups"],
            Some("endpoint-sg-ingress"),
        ),
        (
            "ec2:DescribeNetworkAcls",
            &["network_acls"],
            Some("nacl-instance-subnet"),
        ),
        (
            "ec2:DescribeRouteTables",
            &["route_tables"],
            Some("network-path"),
        ),
        (
            "ec2:DescribeSubnets",
            &["subnets"],
            Some("endpoint-subnet-az"),
        ),
        ("ec2:DescribeVpcs", &["vpc"], None),
        (
            "ec2:DescribeVpcAttribute",
            &["vpc_dns"],
            Some("endpoint-private-dns"),
        ),
        ("ec2:DescribePrefixLists", &["prefix_lists"], None),
        (
            "iam:GetInstanceProfile",
            &["instance_profile", "role"],
            Some("instance-role"),
        ),
        (
            "iam:GetPolicyVersion",
            &["role"],
            Some("role-agent-permissions"),
        ),
        (
            "ssm:DescribeInstanceInformation",
            &["registration"],
            Some("agent-online"),
        ),
        ("ssm:GetServiceSetting", &["dhmc"], None),
        (
            // The caller's own documents are read instead, and evaluated locally (see the test below).
            "iam:SimulatePrincipalPolicy",
            &["caller_permissions"],
            None,
        ),
        (
            "cloudtrail:DescribeTrails",
            &["cloudtrail"],
            Some("audit-trail"),
        ),
        // Run As reads the tags in shell mode only (see the Run As test).
        ("iam:ListUserTags", &["caller_tags"], None),
    ];
    for (action, facts, rule) in denials {
        stub.set(json!({"registration": windows(), "simulate": {"decision": "allowed"}, "deny": [action]}));
        let got = gather(&run, &stub, &built, id);
        // The first fact is the one the call produces; any others depend on it and are not gathered.
        for (i, key) in facts.iter().enumerate() {
            assert_eq!(
                status(&got, key),
                "unavailable",
                "{action} should hide {key}"
            );
            if i == 0 {
                assert_eq!(
                    got[key]["reason"]["kind"], "access_denied",
                    "{action}: {}",
                    got[key]
                );
                assert_eq!(got[key]["reason"]["action"], action);
            } else {
                assert_eq!(
                    got[key]["reason"]["kind"], "not_gathered",
                    "{action}: {}",
                    got[key]
                );
            }
        }
        if action == "iam:SimulatePrincipalPolicy" {
            assert_eq!(
                status(&got, "caller_policies"),
                "known",
                "the fallback reads the caller's documents"
            );
        }
        for (key, before) in baseline.as_object().unwrap() {
            let fallback = action == "iam:SimulatePrincipalPolicy" && key == "caller_policies";
            if before.get("status").is_some() && !facts.contains(&key.as_str()) && !fallback {
                assert_eq!(
                    status(&got, key),
                    status(&baseline, key),
                    "denying {action} changed {key}: {}",
                    got[key]
                );
            }
        }
        // The evaluation still runs: a report, not an error.
        let out = run
            .cmd(&stub, &built)
            .args([id, "--mode", "port", "--port", "3389", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 4)),
            "{action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let findings = report(&out.stdout);
        if let Some(rule) = rule {
            let f = &findings[rule];
            assert_eq!(f["status"], "unknown", "denying {action}: {rule} is {}", f);
            assert!(
                f["needs"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|a| a == action)),
                "{rule} does not name {action}: {f}"
            );
        }
        // Nothing that could not see its facts passed: every finding that names a missing permission is Unknown.
        for f in findings
            .values()
            .filter(|f| f["needs"].as_array().is_some_and(|n| !n.is_empty()))
        {
            assert_eq!(f["status"], "unknown", "{f}");
        }
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn throttling_and_server_errors_are_retried_then_reported() {
    let live = live();
    let built = layout(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    let stub = Stub::start(
        &live,
        json!({"registration": linux(), "throttle": {"ec2:DescribeInstances": 2, "ssm:GetDocument": 2}}),
    );
    let run = Run::new();
    let facts = gather(&run, &stub, &built, id);
    assert_eq!(
        status(&facts, "instance"),
        "known",
        "two throttles are retried away"
    );
    assert_eq!(status(&facts, "session_preferences"), "known");
    let throttled = stub
        .calls()
        .iter()
        .filter(|c| c["op"] == "ec2:DescribeInstances")
        .count();
    assert_eq!(throttled, 3, "two throttled attempts and one success");

    stub.set(json!({"registration": linux(), "fail5xx": {"ec2:DescribeVpcEndpoints": 99}}));
    let facts = gather(&run, &stub, &built, id);
    assert_eq!(
        facts["vpc_endpoints"]["reason"]["kind"], "error",
        "{}",
        facts["vpc_endpoints"]
    );
    assert_eq!(status(&facts, "security_groups"), "known");

    stub.set(json!({"fail5xx": {"sts:GetCallerIdentity": 99}}));
    let out = run.cmd(&stub, &built).arg(id).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: sts:GetCallerIdentity failed"),
        "{err}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_missing_instance_is_named_where_it_is() {
    let live = live();
    // An instance in another region of the same (moto) account.
    let code = format!(
        "import boto3;print(boto3.client('ec2',endpoint_url='{}',region_name='us-west-2',aws_access_key_id='testing',aws_secret_access_key='testing').run_instances(ImageId='ami-03cf127a',MinCount=1,MaxCount=1)['Instances'][0]['InstanceId'])",
        live.moto
    );
    let id = python(&live, &code);
    let stub = Stub::start(&live, stub_config(Value::Null));
    let run = Run::new();
    let keys = json!({});
    let out = run
        .cmd(&stub, &keys)
        .args([id.as_str(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = report(&out.stdout);
    assert_eq!(r["instance-running"]["status"], "fail");
    let message = r["instance-running"]["message"].as_str().unwrap();
    assert!(message.contains("us-west-2"), "{message}");
    // A malformed id is refused before any call.
    let before = stub.calls().len();
    run.cmd(&stub, &keys).arg("i-12").assert().code(2);
    assert_eq!(stub.calls().len(), before);
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn no_credentials_or_no_endpoint_is_one_error_and_exit_3() {
    let live = live();
    let stub = Stub::start(&live, stub_config(Value::Null));
    let run = Run::new();
    let mut c = run.cmd(&stub, &json!({}));
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = c.arg("i-0123456789abcdef0").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("error: no AWS credentials"), "{err}");
    assert!(lines[1].starts_with("help: "), "{err}");

    let mut c = run.cmd(&stub, &json!({}));
    c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = c
        .args(["i-0123456789abcdef0", "--timeout", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: cannot reach the AWS endpoint: Connection refused"),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "help: check --region, AWS_ENDPOINT_URL, the network and any proxy"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn only_listed_read_operations_are_called_and_none_twice() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let stub = Stub::start(&live, stub_config(windows()));
    let run = Run::new();
    gather(&run, &stub, &built, built["instance"].as_str().unwrap());
    let policy: Value =
        serde_json::from_str(&std::fs::read_to_string(here("docs/iam-policy.json")).unwrap())
            .unwrap();
    let allowed: BTreeSet<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let mut seen = BTreeSet::new();
    for call in stub.calls() {
        let op = call["op"].as_str().unwrap().to_string();
        assert!(
            allowed.contains(&op) || op == "sts:GetCallerIdentity",
            "{op} is not in docs/iam-policy.json"
        );
        let name = op.split(':').nth(1).unwrap();
        assert!(
            ["Describe", "Get", "List", "Simulate"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{op} is not read-only"
        );
        assert!(
            seen.insert((op.clone(), call["digest"].as_str().unwrap().to_string())),
            "{op} was called twice with the same request"
        );
    }
    assert!(seen.len() >= 20, "only {} calls", seen.len());
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn mfa_enforced_by_policy_is_found_through_simulation() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let stub = Stub::start(
        &live,
        json!({"registration": windows(), "simulate": {"decision": "allowed", "mfa_required": true, "uses_context": ["aws:MultiFactorAuthPresent"]}}),
    );
    let run = Run::new();
    let out = run.check(&stub, &built, &["--mode", "port", "--port", "3389"]);
    assert_eq!(out.status.code(), Some(1));
    let r = report(&out.stdout);
    assert_eq!(r["caller-mfa"]["status"], "fail", "{}", r["caller-mfa"]);
    assert_eq!(r["caller-start-session"]["status"], "fail");
    assert!(r["caller-mfa"]["remedy"]
        .as_str()
        .unwrap()
        .contains("aws sts get-session-token --serial-number"));
    // The user's own MFA device, from iam:ListMFADevices, not a placeholder.
    let mfa = layout_as(&live, "rdp-private-strict-sg", "mfa");
    let out = run.check(&stub, &mfa, &["--mode", "port", "--port", "3389"]);
    let r = report(&out.stdout);
    let serial = format!(":mfa/{}-phone", mfa["user"].as_str().unwrap());
    assert!(
        r["caller-mfa"]["remedy"]
            .as_str()
            .unwrap()
            .contains(&serial),
        "{}",
        r["caller-mfa"]
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn without_simulation_the_callers_own_policies_are_evaluated() {
    let live = live();
    let stub = Stub::start(
        &live,
        json!({"registration": windows(), "deny": ["iam:SimulatePrincipalPolicy"]}),
    );
    let run = Run::new();
    let args = ["--mode", "port", "--port", "3389", "--format", "json"];
    // An administrator: local evaluation allows the session, and says it was local.
    let admin = layout(&live, "rdp-private-strict-sg");
    let out = run
        .cmd(&stub, &admin)
        .arg(admin["instance"].as_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    let r = report(&out.stdout);
    assert_eq!(
        r["caller-start-session"]["status"], "pass",
        "{}",
        r["caller-start-session"]
    );
    let evidence = r["caller-start-session"]["evidence"].to_string();
    assert!(
        evidence.contains("evaluated by reading your own policies"),
        "{evidence}"
    );
    // The user of the article rdp-with-mfa: a group policy denies everything without MFA, and long-term keys carry none.
    let mfa = layout_as(&live, "rdp-private-strict-sg", "mfa");
    let out = run
        .cmd(&stub, &mfa)
        .arg(mfa["instance"].as_str().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = report(&out.stdout);
    assert_eq!(
        r["caller-start-session"]["status"], "fail",
        "{}",
        r["caller-start-session"]
    );
    assert_eq!(r["caller-mfa"]["status"], "fail", "{}", r["caller-mfa"]);
    assert!(
        r["caller-mfa"]["evidence"]
            .to_string()
            .contains("DenyAllExceptListedIfNoMFA"),
        "{}",
        r["caller-mfa"]
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_profile_that_assumes_a_role_is_checked_on_both_sides() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let stub = Stub::start(&live, stub_config(windows()));
    let run = Run::new();
    // The client configuration of the article ssh-assume-role: a central profile with keys, a system profile that assumes the role.
    let aws = run.home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    let keys = format!(
        "[central]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        built["access_key_id"].as_str().unwrap(),
        built["secret_access_key"].as_str().unwrap()
    );
    std::fs::write(aws.join("credentials"), keys).unwrap();
    let role_arn = built["role_arn"].as_str().unwrap();
    let config = format!(
        "[profile system]\nrole_arn = {role_arn}\nsource_profile = central\nregion = {REGION}\n"
    );
    std::fs::write(aws.join("config"), config).unwrap();
    let mut c = run.cmd(&stub, &built);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = c
        .args([
            built["instance"].as_str().unwrap(),
            "--profile",
            "system",
            "--mode",
            "ssh",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out.stdout);
    let assume = &r["caller-assume-role"];
    assert_eq!(assume["status"], "pass", "{assume}");
    let evidence = assume["evidence"].to_string();
    assert!(
        evidence.contains("lets arn:aws:iam::123456789012:user/tester-"),
        "the trust policy is shown: {evidence}"
    );
    assert!(
        evidence.contains("sts:AssumeRole on ") && evidence.contains("allowed"),
        "the source's right is shown: {evidence}"
    );
    assert_eq!(
        r["caller-start-session"]["status"], "pass",
        "{}",
        r["caller-start-session"]
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn no_secret_reaches_any_output() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let stub = Stub::start(&live, stub_config(windows()));
    let run = Run::new();
    let secret = built["secret_access_key"].as_str().unwrap();
    let token = "FwoGZXIvYXdzEXAMPLEsessiontokenvalue0123456789";
    let id = built["instance"].as_str().unwrap();
    for args in [
        vec!["gather", id],
        vec![id, "--format", "json"],
        vec![id, "--verbose"],
    ] {
        let out = run
            .cmd(&stub, &built)
            .env("AWS_SESSION_TOKEN", token)
            .env("HTTPS_PROXY", "http://user:hunter2@127.0.0.1:9")
            .args(&args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.is_empty());
        for s in [secret, token, "hunter2"] {
            assert!(!all.contains(s), "{args:?} printed a secret");
        }
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_hybrid_node_is_checked_without_ec2() {
    let live = live();
    let stub = Stub::start(&live, stub_config(linux()));
    let run = Run::new();
    let keys = layout(&live, "nat");
    let out = run
        .cmd(&stub, &keys)
        .args(["mi-0123456789abcdef0", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out.stdout);
    assert_eq!(r["agent-online"]["status"], "pass");
    assert_eq!(r["network-path"]["status"], "skip");
    assert_eq!(r["instance-running"]["status"], "skip");
    assert!(
        !stub
            .calls()
            .iter()
            .any(|c| c["op"] == "ec2:DescribeInstances"),
        "no EC2 lookup for an mi- node"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn remote_host_forwarding_looks_up_the_destination() {
    let live = live();
    let built = layout(&live, "remote-db");
    let stub = Stub::start(&live, stub_config(json!({"agent_version": "3.3.1142.0"})));
    let run = Run::new();
    let out = run.check(
        &stub,
        &built,
        &[
            "--mode",
            "remote-port",
            "--remote-host",
            "10.0.1.50",
            "--port",
            "3306",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out.stdout);
    assert_eq!(
        r["remote-host-allowed"]["status"], "pass",
        "{}",
        r["remote-host-allowed"]
    );
    let reach = &r["remote-host-reachable"];
    assert_eq!(reach["status"], "fail", "{reach}");
    assert!(
        reach["message"]
            .as_str()
            .unwrap()
            .contains("do not admit TCP 3306 from the instance"),
        "{reach}"
    );
    assert!(
        reach["remedy"]
            .as_str()
            .unwrap()
            .contains("authorize-security-group-ingress"),
        "{reach}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_context_key_the_simulation_cannot_be_given_makes_the_answer_unknown() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let stub = Stub::start(
        &live,
        json!({"registration": windows(), "simulate": {"decision": "allowed", "uses_context": ["aws:SourceIp"]}}),
    );
    let run = Run::new();
    let out = run.check(&stub, &built, &["--mode", "port", "--port", "3389"]);
    let r = report(&out.stdout);
    let start = &r["caller-start-session"];
    assert_eq!(
        start["status"], "unknown",
        "an allow that rests on an unknown source address is not a pass: {start}"
    );
    assert!(
        start["message"].as_str().unwrap().contains("aws:SourceIp"),
        "{start}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn gathered_facts_evaluate_offline_to_the_live_report() {
    let live = live();
    let built = layout(&live, "rdp-private-strict-sg");
    let id = built["instance"].as_str().unwrap();
    let stub = Stub::start(&live, stub_config(windows()));
    let run = Run::new();
    let saved = run.home.path().join("facts.json");
    let out = run
        .cmd(&stub, &built)
        .args(["gather", id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&saved, &out.stdout).unwrap();
    let args = ["--mode", "port", "--port", "3389", "--format", "json"];
    let live_run = run.cmd(&stub, &built).arg(id).args(args).output().unwrap();
    let offline = Command::cargo_bin("ssm-check")
        .unwrap()
        .arg("--facts")
        .arg(&saved)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(live_run.status.code(), offline.status.code());
    let (a, b) = (report(&live_run.stdout), report(&offline.stdout));
    for (rule, f) in &a {
        assert_eq!(
            f["status"], b[rule]["status"],
            "{rule}: live {} offline {}",
            f["message"], b[rule]["message"]
        );
    }
}

/// Item by item, the verdicts that follow what AWS does today, end to end against moto.
fn status_of(r: &BTreeMap<String, Value>, rule: &str) -> String {
    r[rule]["status"].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn ec2messages_is_needed_only_by_agents_before_3_3_40() {
    let live = live();
    let built = layout(&live, "private-shell-no-ec2messages");
    let run = Run::new();
    for (registration, deny, want) in [
        (json!({"agent_version": "3.3.1142.0"}), json!([]), "pass"),
        (json!({"agent_version": "3.2.2303.0"}), json!([]), "fail"),
        (
            Value::Null,
            json!(["ssm:DescribeInstanceInformation"]),
            "unknown",
        ),
    ] {
        let stub = Stub::start(
            &live,
            json!({"registration": registration, "deny": deny, "simulate": {"decision": "allowed"}}),
        );
        let r = run.findings(&stub, &built, &[]);
        assert_eq!(status_of(&r, "network-path"), want, "{}", r["network-path"]);
        // The endpoint security groups are judged on the same services.
        assert_eq!(
            status_of(&r, "endpoint-sg-ingress"),
            "pass",
            "{}",
            r["endpoint-sg-ingress"]
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn reply_ports_are_the_platforms_own() {
    let live = live();
    // The subnet's ACL admits replies on 32768-61000: Linux's range, not Windows's 49152-65535.
    let built = layout(&live, "nat-linux-replies");
    let run = Run::new();
    for (platform, want) in [("Linux", "pass"), ("Windows", "fail")] {
        let stub = Stub::start(
            &live,
            stub_config(json!({"agent_version": "3.3.1142.0", "platform_type": platform})),
        );
        let r = run.findings(&stub, &built, &[]);
        assert_eq!(
            status_of(&r, "nacl-instance-subnet"),
            want,
            "{platform}: {}",
            r["nacl-instance-subnet"]
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn the_shell_document_counts_only_under_the_callers_condition() {
    let live = live();
    let run = Run::new();
    for (caller, want) in [
        ("shell-document", "warn"),
        ("shell-document-checked", "fail"),
    ] {
        let built = layout_as(&live, "nat", caller);
        // IAM's simulator, as the stub plays it: the shell document is denied; the checked policy uses the key.
        let uses = if caller == "shell-document-checked" {
            json!(["ssm:SessionDocumentAccessCheck"])
        } else {
            json!([])
        };
        let simulated = Stub::start(
            &live,
            json!({"registration": linux(), "simulate": {"decision": "allowed", "uses_context": uses,
                   "deny_resources": ["document/SSM-SessionManagerRunShell"]}}),
        );
        let r = run.findings(&simulated, &built, &[]);
        assert_eq!(
            status_of(&r, "caller-start-session"),
            want,
            "{caller}, simulated: {}",
            r["caller-start-session"]
        );
        // The caller's own policy, evaluated locally when simulation is denied: the same answer.
        let local = Stub::start(
            &live,
            json!({"registration": linux(), "deny": ["iam:SimulatePrincipalPolicy"]}),
        );
        let r = run.findings(&local, &built, &[]);
        assert_eq!(
            status_of(&r, "caller-start-session"),
            want,
            "{caller}, local: {}",
            r["caller-start-session"]
        );
        assert!(r["caller-start-session"]["evidence"]
            .to_string()
            .contains("reading your own policies"));
        // Port forwarding names its document, which both policies allow.
        let r = run.findings(&local, &built, &["--mode", "port", "--port", "22"]);
        assert_eq!(
            status_of(&r, "caller-start-session"),
            "pass",
            "{}",
            r["caller-start-session"]
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn enforced_log_encryption_is_checked_as_the_agent_checks_it() {
    let live = live();
    // The preferences document is region-wide: this test has eu-west-2 to itself.
    let region = "eu-west-2";
    let run = Run::new();
    for (name, want) in [
        ("logging-unencrypted", "fail"),
        ("logging-encrypted", "pass"),
    ] {
        let built = layout_in(&live, name, "admin", region);
        let stub = Stub::start(&live, stub_config(linux()));
        let out = run
            .cmd(&stub, &built)
            .env("AWS_REGION", region)
            .arg(built["instance"].as_str().unwrap())
            .args(["--format", "json"])
            .output()
            .unwrap();
        let r = report(&out.stdout);
        assert_eq!(
            status_of(&r, "session-log-encryption"),
            want,
            "{name}: {}",
            r["session-log-encryption"]
        );
        // Port forwarding is never logged: the same preferences do not concern it.
        let out = run
            .cmd(&stub, &built)
            .env("AWS_REGION", region)
            .arg(built["instance"].as_str().unwrap())
            .args(["--mode", "port", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            status_of(&report(&out.stdout), "session-log-encryption"),
            "skip"
        );
        let calls: Vec<String> = stub
            .calls()
            .iter()
            .map(|c| c["op"].as_str().unwrap().to_string())
            .collect();
        assert!(
            calls.iter().any(|c| c == "logs:DescribeLogGroups"),
            "{calls:?}"
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_named_profile_wins_over_keys_in_the_environment() {
    let live = live();
    let built = layout(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    let stub = Stub::start(&live, stub_config(linux()));
    let run = Run::new();
    // The profile holds the layout's user; the environment, keys moto knows as no user (its default identity).
    let aws = run.home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            built["access_key_id"].as_str().unwrap(),
            built["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    let environment =
        json!({"access_key_id": "AKIAENVIRONMENTKEYS1", "secret_access_key": "environment"});
    let gathered = |args: &[&str]| {
        let out = run
            .cmd(&stub, &environment)
            .args(["gather", id])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let facts = gathered(&["--profile", "dev"]);
    let caller = facts["caller"]["value"]["arn"].as_str().unwrap();
    assert!(
        caller.contains(":user/tester-"),
        "the profile's user: {caller}"
    );
    assert_eq!(facts["credentials"]["value"]["source"], "profile");
    assert_eq!(facts["credentials"]["value"]["profile"], "dev");
    // Without the flag the environment's keys are the caller, as in the aws CLI.
    let facts = gathered(&[]);
    let caller = facts["caller"]["value"]["arn"].as_str().unwrap();
    assert!(!caller.contains(":user/tester-"), "{caller}");
    assert_eq!(facts["credentials"]["value"]["source"], "environment");
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn gather_reports_a_full_disk_and_ends_quietly_on_a_closed_pipe() {
    let live = live();
    let (built, stub, run) = scene(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    // assert_cmd's Command takes no stdout: the same environment as `Run::cmd`, by hand.
    let gather_to = |stdout: std::process::Stdio| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("ssm-check"))
            .env_clear()
            .env("HOME", run.home.path())
            .env("PATH", run.home.path().join("bin"))
            .env("AWS_ENDPOINT_URL", &stub.url)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "AWS_ACCESS_KEY_ID",
                built["access_key_id"].as_str().unwrap(),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                built["secret_access_key"].as_str().unwrap(),
            )
            .args(["gather", id])
            .stdout(stdout)
            .output()
            .unwrap()
    };
    let out = gather_to(full.into());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("error: cannot write the output: No space left on device"),
        "{err}"
    );
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = gather_to(writer.into());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn run_as_names_the_os_user_from_the_callers_tag() {
    let live = live();
    // The preferences document is region-wide: this test has ca-central-1 to itself.
    let region = "ca-central-1";
    let run = Run::new();
    let stub = Stub::start(&live, stub_config(linux()));
    let check = |built: &Value| {
        let out = run
            .cmd(&stub, built)
            .env("AWS_REGION", region)
            .arg(built["instance"].as_str().unwrap())
            .args(["--format", "json"])
            .output()
            .unwrap();
        report(&out.stdout)["session-run-as"].clone()
    };
    // Run As on, no default user, no tag: the agent's refusal.
    let untagged = layout_in(&live, "run-as", "admin", region);
    let f = check(&untagged);
    assert_eq!(f["status"], "fail", "{f}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("please set the RunAs default user"),
        "{f}"
    );
    // The preferences were created as AWS's CLI page creates them: a Session document (moto's GetDocument type).
    let prefs = &check_rule(&run, &stub, &untagged, region, "session-preferences-type");
    assert_eq!(prefs["status"], "pass", "{prefs}");
    // The user's tag (read with iam:ListUserTags) names the OS user.
    let tagged = layout_in(&live, "run-as", "run-as-ec2-user", region);
    let f = check(&tagged);
    assert_eq!(f["status"], "pass", "{f}");
    assert!(f["message"].as_str().unwrap().contains("ec2-user"), "{f}");
    // Tags unseen: the tag would override the default, so Unknown naming the action.
    stub.set(json!({"registration": linux(), "simulate": {"decision": "allowed"}, "deny": ["iam:ListUserTags"]}));
    let f = check(&tagged);
    assert_eq!(f["status"], "unknown", "{f}");
    assert!(
        f["needs"]
            .as_array()
            .is_some_and(|n| n.iter().any(|a| a == "iam:ListUserTags")),
        "{f}"
    );
}

fn check_rule(run: &Run, stub: &Stub, built: &Value, region: &str, rule: &str) -> Value {
    let out = run
        .cmd(stub, built)
        .env("AWS_REGION", region)
        .arg(built["instance"].as_str().unwrap())
        .args(["--format", "json"])
        .output()
        .unwrap();
    report(&out.stdout)[rule].clone()
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_preferences_document_of_another_type_fails_shell_sessions() {
    let live = live();
    // The preferences document is region-wide: this test has sa-east-1 to itself.
    let region = "sa-east-1";
    let run = Run::new();
    let stub = Stub::start(&live, stub_config(linux()));
    let built = layout_in(&live, "preferences-command", "admin", region);
    let f = check_rule(&run, &stub, &built, region, "session-preferences-type");
    assert_eq!(f["status"], "fail", "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("Command document"),
        "{f}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn the_session_key_is_resolved_and_decided_as_kms_decides() {
    let live = live();
    // The preferences document is region-wide: this test has eu-west-3 to itself.
    let region = "eu-west-3";
    let run = Run::new();
    let key_arn = ":key/";
    // (layout, simulation, denied reads, caller-kms, role-logging-permissions)
    let cases: [(&str, Value, &[&str], &str, &str); 5] = [
        ("kms-alias", json!({}), &[], "pass", "pass"),
        // The caller's policies name the alias ARN only: the simulator denies the key's ARN.
        (
            "kms-alias-arn-policy",
            json!({"deny_resources": [key_arn]}),
            &[],
            "fail",
            "fail",
        ),
        ("kms-closed-key-policy", json!({}), &[], "fail", "fail"),
        ("kms-disabled", json!({}), &[], "fail", "pass"),
        (
            "kms-alias",
            json!({}),
            &["kms:GetKeyPolicy"],
            "unknown",
            "unknown",
        ),
    ];
    for (name, simulate, deny, caller_kms, role_logging) in cases {
        let built = layout_in(&live, name, "admin", region);
        let mut sim = json!({"decision": "allowed"});
        sim.as_object_mut()
            .unwrap()
            .extend(simulate.as_object().unwrap().clone());
        let stub = Stub::start(
            &live,
            json!({"registration": linux(), "simulate": sim, "deny": deny}),
        );
        let id = built["instance"].as_str().unwrap();
        let out = run
            .cmd(&stub, &built)
            .env("AWS_REGION", region)
            .args(["gather", id])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let facts: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The alias in the preferences resolves to the key, and the caller is asked about the key's ARN.
        let key = &facts["session_key"]["value"];
        assert_eq!(
            key["arn"], built["key_arn"],
            "{name}: {}",
            facts["session_key"]
        );
        let asked: Vec<&Value> = facts["caller_permissions"]["value"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["action"] == "kms:GenerateDataKey")
            .collect();
        assert_eq!(asked.len(), 1, "{name}: {asked:?}");
        assert_eq!(asked[0]["resource"], built["key_arn"], "{name}");
        if deny.is_empty() {
            assert_eq!(key["policy"]["status"], "known", "{name}");
        } else {
            assert_eq!(key["policy"]["reason"]["action"], "kms:GetKeyPolicy");
        }
        let out = run
            .cmd(&stub, &built)
            .env("AWS_REGION", region)
            .args([id, "--format", "json"])
            .output()
            .unwrap();
        let r = report(&out.stdout);
        assert_eq!(
            status_of(&r, "caller-kms"),
            caller_kms,
            "{name}: {}",
            r["caller-kms"]
        );
        assert_eq!(
            status_of(&r, "role-logging-permissions"),
            role_logging,
            "{name}: {}",
            r["role-logging-permissions"]
        );
        if !deny.is_empty() {
            for rule in ["caller-kms", "role-logging-permissions"] {
                assert!(
                    r[rule]["needs"]
                        .as_array()
                        .is_some_and(|n| n.iter().any(|a| a == "kms:GetKeyPolicy")),
                    "{rule}: {}",
                    r[rule]
                );
            }
        }
        let calls: Vec<String> = stub
            .calls()
            .iter()
            .map(|c| c["op"].as_str().unwrap().to_string())
            .collect();
        for op in [
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:ListResourceTags",
        ] {
            assert!(
                calls.iter().any(|c| c == op),
                "{name}: {op} not in {calls:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn just_in_time_access_turns_a_denial_into_an_access_request() {
    let live = live();
    let (built, stub, run) = scene(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    let auto = json!([{"name": "AutoApprove-OnCall", "type": "AutoApprovalPolicy"}]);
    // moto does not know the approval-policy document types: the stub lists them (tests/README.md). The request
    // right is asked only where approval policies are listed.
    for (policies, request, want, asked) in [
        (auto.clone(), "allowed", "fail", true),
        (auto, "implicitDeny", "fail", true),
        (json!([]), "allowed", "skip", false),
    ] {
        let before = stub.calls().len();
        stub.set(json!({"registration": linux(),
            "simulate": {"decision": "implicitDeny", "actions": {"ssm:StartAccessRequest": request}},
            "approval_policies": policies}));
        let out = run
            .cmd(&stub, &built)
            .args([id, "--format", "json"])
            .output()
            .unwrap();
        let r = report(&out.stdout);
        let jit = &r["jit-node-access"];
        assert_eq!(status_of(&r, "jit-node-access"), want, "{jit}");
        let remedy = r["caller-start-session"]["remedy"].as_str().unwrap_or("");
        let may_request = want == "fail" && request == "allowed";
        assert_eq!(
            remedy.contains("aws ssm start-access-request --reason"),
            may_request,
            "{remedy}"
        );
        let message = jit["message"].as_str().unwrap_or("");
        assert_eq!(
            message.contains("you may not request access either"),
            want == "fail" && !may_request,
            "{message}"
        );
        let calls = stub.calls().split_off(before);
        assert!(calls.iter().any(|c| c["op"] == "ssm:ListDocuments"));
        let simulated: Vec<Value> = calls
            .iter()
            .filter(|c| c["op"] == "iam:SimulatePrincipalPolicy")
            .flat_map(|c| c["actions"].as_array().cloned().unwrap_or_default())
            .collect();
        assert_eq!(
            simulated.iter().any(|a| a == "ssm:StartAccessRequest"),
            asked,
            "{simulated:?}"
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn the_simulators_deny_layer_decides_the_fix() {
    let live = live();
    let (built, stub, run) = scene(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    for (layer, fact, words) in [
        (
            "organizations",
            "service_control_policy",
            "service control policy",
        ),
        ("boundary", "permissions_boundary", "permissions boundary"),
    ] {
        stub.set(json!({"registration": linux(),
            "simulate": {"decision": "explicitDeny", "denied_by": layer}}));
        let facts = gather(&run, &stub, &built, id);
        let start = facts["caller_permissions"]["value"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["action"] == "ssm:StartSession")
            .unwrap()
            .clone();
        assert_eq!(start["denied_by"]["layer"], fact, "{start}");
        let out = run
            .cmd(&stub, &built)
            .args([id, "--format", "json"])
            .output()
            .unwrap();
        let r = report(&out.stdout);
        let f = &r["caller-start-session"];
        assert_eq!(f["status"], "fail");
        assert!(f["message"].as_str().unwrap().contains(words), "{f}");
        assert!(
            !f["remedy"]
                .as_str()
                .unwrap()
                .contains("\"Effect\":\"Allow\""),
            "a layer's denial is not fixed by the caller's own allow: {f}"
        );
    }
}

/// The operations asked only of a target whose agent is not online.
const OFFLINE_OPS: [&str; 7] = [
    "ec2:DescribeImages",
    "ec2:GetConsoleOutput",
    "ec2:DescribeInstanceStatus",
    "ssm:GetConnectionStatus",
    "ec2:GetSerialConsoleAccessStatus",
    "ec2:DescribeInstanceConnectEndpoints",
    "ssm:DescribeActivations",
];

fn count(calls: &[Value], op: &str) -> usize {
    calls.iter().filter(|c| c["op"] == op).count()
}

/// Console output as an Amazon Linux instance writes it: the kernel, systemd, the agent's own line
/// (`agent/startup/serialport`: `2006/01/02 15:04:05Z: Amazon SSM Agent v… is running`), a secret a user data
/// script printed, and the full disk that stopped the agent.
const FULL_DISK_CONSOLE: &str = "[    0.000000] Linux version 6.1.115-126.197.amzn2023.x86_64 (mockbuild@ip-10-0-47-184)\n\
[  OK  ] Started amazon-ssm-agent.service - amazon-ssm-agent.\n\
2026/11/02 07:14:09Z: Amazon SSM Agent v3.3.1142.0 is running\n\
2026/11/02 07:14:09Z: OsProductName: Amazon Linux\n\
ci-info: ++++ user data: export DB_PASSWORD=s3cr3t-do-not-keep ++++\n\
[1565012.402211] systemd-journald[1187]: Failed to create new system journal: No space left on device\n";

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn an_agent_that_is_not_online_is_explained_from_outside_and_an_online_one_costs_nothing_more() {
    let live = live();
    let built = layout(&live, "private-shell");
    let id = built["instance"].as_str().unwrap();
    let mut config =
        stub_config(json!({"ping_status": "ConnectionLost", "agent_version": "3.3.1142.0"}));
    config["console_output"] = json!({ id: FULL_DISK_CONSOLE });
    config["serial_console_access"] = json!(true);
    config["instance_connect_endpoints"] = json!([{"id": "eice-0123456789abcdef0", "subnet_id": "subnet-1", "state": "create-complete"}]);
    let stub = Stub::start(&live, config.clone());
    let run = Run::new();
    let facts = gather(&run, &stub, &built, id);
    for key in [
        "image",
        "console_output",
        "status_checks",
        "connection_status",
        "serial_console_access",
        "instance_connect_endpoints",
    ] {
        assert_eq!(status(&facts, key), "known", "{key}: {}", facts[key]);
    }
    // Only the matched lines are kept: never the secret the user data printed.
    let text = facts.to_string();
    assert!(!text.contains("s3cr3t"), "the console output leaked");
    let kinds: Vec<&str> = facts["console_output"]["value"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["agent_started", "disk_full"]);
    assert_eq!(facts["console_output"]["value"]["latest"], true);
    // moto's own answers: a running instance's status checks pass; its AMI is described.
    assert_eq!(facts["status_checks"]["value"]["instance_status"], "ok");
    assert_eq!(facts["image"]["value"]["image_id"], "ami-03cf127a");
    assert_eq!(facts["connection_status"]["value"], "notconnected");
    assert_eq!(facts["activation"]["status"], "unavailable");
    let calls = stub.calls();
    for op in &OFFLINE_OPS[..6] {
        assert_eq!(count(&calls, op), 1, "{op} once");
    }
    let findings = run.findings(&stub, &built, &[]);
    let cause = &findings["agent-offline-cause"];
    assert_eq!(cause["status"], "fail", "{cause}");
    assert!(
        cause["message"]
            .as_str()
            .unwrap()
            .contains("the disk is full"),
        "{cause}"
    );
    let remedy = cause["remedy"].as_str().unwrap();
    assert!(
        remedy.contains(&format!(
            "aws ec2-instance-connect ssh --instance-id {id} --connection-type eice"
        )),
        "{remedy}"
    );

    // The status check EC2 reports, and a denied console: Unknown where it counts, naming the action.
    config["instance_status"] = json!({ id: {"instance": "impaired", "system": "ok"} });
    config["deny"] = json!(["ec2:GetConsoleOutput"]);
    stub.set(config.clone());
    let facts = gather(&run, &stub, &built, id);
    assert_eq!(
        facts["status_checks"]["value"]["instance_status"],
        "impaired"
    );
    assert_eq!(
        facts["console_output"]["reason"]["action"],
        "ec2:GetConsoleOutput"
    );

    // Online: none of those calls is made, for the target or its region.
    let before = stub.calls().len();
    stub.set(stub_config(linux()));
    let facts = gather(&run, &stub, &built, id);
    let after: Vec<Value> = stub.calls().split_off(before);
    for op in OFFLINE_OPS {
        assert_eq!(count(&after, op), 0, "{op} asked of an online agent");
    }
    assert_eq!(
        facts["console_output"]["reason"]["why"],
        "the agent is online"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_hybrid_nodes_expired_activation_is_read() {
    let live = live();
    let built = layout(&live, "private-shell");
    let node = "mi-0123456789abcdef0";
    let mut config = stub_config(
        json!({"ping_status": "ConnectionLost", "agent_version": "3.3.1142.0",
        "activation_id": "4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}),
    );
    config["hybrid_nodes"] = json!([node]);
    config["activations"] = json!([{"ActivationId": "4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Expired": true,
        "ExpirationDate": 1794528000.0, "RegistrationLimit": 10, "RegistrationsCount": 3, "IamRole": "SSMServiceRole"}]);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    let facts = gather(&run, &stub, &built, node);
    assert_eq!(
        facts["activation"]["value"]["expired"], true,
        "{}",
        facts["activation"]
    );
    assert_eq!(facts["connection_status"]["value"], "notconnected");
    // No EC2 signal for a node outside AWS.
    let calls = stub.calls();
    for op in [
        "ec2:GetConsoleOutput",
        "ec2:DescribeImages",
        "ec2:GetSerialConsoleAccessStatus",
    ] {
        assert_eq!(count(&calls, op), 0, "{op} asked of a hybrid node");
    }
    let out = run
        .cmd(&stub, &built)
        .args([node, "--format", "json"])
        .output()
        .unwrap();
    let findings = report(&out.stdout);
    let cause = &findings["agent-offline-cause"];
    assert_eq!(cause["status"], "fail", "{cause}");
    assert!(
        cause["message"].as_str().unwrap().contains("expired"),
        "{cause}"
    );
}
