//! The pre-session entry points and the CI gate, end to end against moto (through `tests/live/stub.py`), with a
//! stand-in `aws` that records how it is run: `proxy` (ssh's ProxyCommand) and its verdict cache, `connect`, a
//! profile that needs an MFA code (resolved through the AWS CLI), and the GitHub Action's gate script. Run through
//! `tests/run`.

#[path = "live/harness.rs"]
mod harness;

use harness::*;
use serde_json::{json, Value};

fn ssm_runs(run: &Run) -> Vec<Vec<String>> {
    run.aws_calls()
        .into_iter()
        .filter(|a| a.first().map(String::as_str) == Some("ssm"))
        .collect()
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn proxy_checks_then_becomes_start_session_and_remembers_a_ready_verdict() {
    let live = live();
    let (built, stub, run) = scene(&live, "public");
    let id = built["instance"].as_str().unwrap();
    run.recording_aws(None);
    let cache = run.home.path().join("cache");
    // A named profile: a cached verdict is about who asks, and keys in the environment name no one.
    let credentials = run.home.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            built["access_key_id"].as_str().unwrap(),
            built["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    let proxy_with = |extra: &[&str]| {
        run.cmd(&stub, &built)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("XDG_CACHE_HOME", &cache)
            .args(["proxy", id, "22", "--profile", "dev", "--region", REGION])
            .args(extra)
            .output()
            .unwrap()
    };
    let proxy = || proxy_with(&[]);
    let out = proxy();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "stdout belongs to ssh");
    let expected: Vec<String> = [
        "ssm",
        "start-session",
        "--target",
        id,
        "--document-name",
        "AWS-StartSSHSession",
        "--parameters",
        "portNumber=22",
        "--profile",
        "dev",
        "--region",
        REGION,
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(ssm_runs(&run), vec![expected.clone()]);
    let calls_after_first = stub.calls().len();
    assert!(calls_after_first > 0);

    // Within the cache's time: no AWS call, straight to the session.
    let out = proxy();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stub.calls().len(),
        calls_after_first,
        "the cached verdict answered"
    );
    assert_eq!(ssm_runs(&run).len(), 2);
    let dir = cache.join("ssm-check");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(built["secret_access_key"].as_str().unwrap()));
        assert!(!text.contains(built["access_key_id"].as_str().unwrap()));
    }
    // --cache-ttl 0 checks again.
    let out = proxy_with(&["--cache-ttl", "0"]);
    assert_eq!(out.status.code(), Some(0));
    let calls_after_third = stub.calls().len();
    assert!(calls_after_third > calls_after_first);
    // Keys in the environment are never answered from the cache.
    for _ in 0..2 {
        let before = stub.calls().len();
        let out = run
            .cmd(&stub, &built)
            .env("XDG_CACHE_HOME", &cache)
            .args(["proxy", id, "22", "--region", REGION])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(stub.calls().len() > before, "checked, not cached");
    }

    // The session fails all the same (the cached verdict answered): the CLI's words, then what they mean; its exit
    // code; and the verdict forgotten, so the next try checks.
    assert_eq!(proxy().status.code(), Some(0), "a fresh ready verdict");
    let message = format!(
        "\nAn error occurred (TargetNotConnected) when calling the StartSession operation: {id} is not connected.\n"
    );
    std::fs::write(run.home.path().join("aws-fails"), &message).unwrap();
    let before = stub.calls().len();
    let out = proxy();
    assert_eq!(stub.calls().len(), before, "the cached verdict answered");
    assert_eq!(out.status.code(), Some(254), "the aws CLI's exit code");
    assert!(out.stdout.is_empty(), "stdout belongs to ssh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .find("(TargetNotConnected)")
        .expect("the CLI's words");
    let explained = stderr
        .find("the session did not open after all (the verdict was reused from the cache")
        .expect("explained");
    assert!(said < explained, "{stderr}");
    assert!(stderr.contains("target-not-connected"), "{stderr}");
    assert!(stderr.contains("agent-online"), "{stderr}");
    let out = proxy();
    assert!(
        stub.calls().len() > before,
        "checked again: the verdict was forgotten"
    );
    assert_eq!(out.status.code(), Some(254));
    // Checked now: the explanation says which causes the check ruled out.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(the verdict was checked just now)"),
        "{stderr}"
    );
    assert!(stderr.contains("ruled out"), "{stderr}");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn proxy_and_connect_refuse_a_target_that_is_not_ready() {
    let live = live();
    let (built, stub, run) = scene(&live, "private-shell-private-dns-off");
    let id = built["instance"].as_str().unwrap();
    run.recording_aws(None);
    let out = run
        .cmd(&stub, &built)
        .env("XDG_CACHE_HOME", run.home.path().join("cache"))
        .args(["proxy", id, "22"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("ready for SSH"), "{err}");
    assert!(err.contains("What to fix, in order:"), "{err}");
    assert!(err.contains("modify-vpc-endpoint"), "{err}");
    let out = run
        .cmd(&stub, &built)
        .args(["connect", id, "--mode", "port", "--port", "3389"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("endpoint-private-dns"));
    assert!(ssm_runs(&run).is_empty(), "no session was started");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn connect_starts_the_mode_s_session_with_its_parameters() {
    let live = live();
    let (built, stub, run) = scene(&live, "public");
    let id = built["instance"].as_str().unwrap();
    run.recording_aws(None);
    let out = run
        .cmd(&stub, &built)
        .args(["connect", id, "--mode", "port", "--port", "3389"])
        .args(["--local-port", "13389", "--region", REGION])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = ssm_runs(&run);
    assert_eq!(runs.len(), 1);
    let args = &runs[0];
    assert_eq!(
        &args[..6],
        [
            "ssm",
            "start-session",
            "--target",
            id,
            "--document-name",
            "AWS-StartPortForwardingSession"
        ]
    );
    let parameters: Value = serde_json::from_str(&args[7]).unwrap();
    assert_eq!(
        parameters,
        json!({"portNumber": ["3389"], "localPortNumber": ["13389"]})
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_profile_that_needs_an_mfa_code_is_resolved_through_the_aws_cli() {
    let live = live();
    let (built, stub, run) = scene(&live, "public");
    let id = built["instance"].as_str().unwrap();
    // What `aws configure export-credentials --format process` prints after asking for the code.
    run.recording_aws(Some(&json!({
        "Version": 1,
        "AccessKeyId": built["access_key_id"],
        "SecretAccessKey": built["secret_access_key"],
        "Expiration": "2099-01-01T00:00:00Z"
    })));
    let home = run.home.path();
    std::fs::write(
        home.join("config"),
        format!(
            "[profile base]\nregion = {REGION}\n[profile mfa]\nrole_arn = {}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/{}\nregion = {REGION}\n",
            built["role_arn"].as_str().unwrap(),
            built["user"].as_str().unwrap()
        ),
    )
    .unwrap();
    std::fs::write(
        home.join("credentials"),
        format!(
            "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            built["access_key_id"].as_str().unwrap(),
            built["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    let mfa_run = |with_aws: bool| {
        let mut c = run.cmd(&stub, &built);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .args([id, "--profile", "mfa", "--format", "json"]);
        if !with_aws {
            c.env("PATH", home.join("nowhere"));
        }
        c.output().unwrap()
    };
    let out = mfa_run(true);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: Vec<Vec<String>> = run
        .aws_calls()
        .into_iter()
        .filter(|a| a.first().map(String::as_str) == Some("configure"))
        .collect();
    assert_eq!(
        exported,
        vec![[
            "configure",
            "export-credentials",
            "--profile",
            "mfa",
            "--format",
            "process"
        ]
        .map(String::from)
        .to_vec()]
    );
    let report = report(&out.stdout);
    assert_eq!(
        report["caller-credentials"]["status"], "pass",
        "{}",
        report["caller-credentials"]
    );

    // Without the AWS CLI: one error line naming the command, one help line naming what to install, exit 3.
    let out = mfa_run(false);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("aws configure export-credentials"),
        "{err}"
    );
    assert!(lines[1].starts_with("help: install AWS CLI v2"), "{err}");
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn the_github_action_gate_writes_a_summary_and_fails_the_step() {
    let live = live();
    let (built, stub, run) = scene(&live, "fleet:4:2:1");
    // The action puts ssm-check on PATH; here, the built binary.
    let bin = assert_cmd::cargo::cargo_bin("ssm-check");
    let ssm_check_dir = run.home.path().join("ssm-check-bin");
    std::fs::create_dir(&ssm_check_dir).unwrap();
    std::os::unix::fs::symlink(&bin, ssm_check_dir.join("ssm-check")).unwrap();
    let summary = run.home.path().join("summary.md");
    let outputs = run.home.path().join("outputs");
    let tag = built["tag"].as_str().unwrap();
    let out = std::process::Command::new("bash")
        .arg(here("action/gate.sh"))
        .env_clear()
        .env("HOME", run.home.path())
        .env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                ssm_check_dir.display(),
                run.home.path().join("bin").display()
            ),
        )
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
        .env("RUNNER_TEMP", run.home.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env(
            "SSM_CHECK_FILTERS",
            format!("Name=tag:Fleet,Values={tag}\n"),
        )
        .env("SSM_CHECK_MODE", "shell")
        // The two private instances fail for good: the wait ends at the first check, and the gate goes on.
        .env("SSM_CHECK_WAIT", "10m")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("::error ")).count(),
        2,
        "the two private instances: {stdout}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## ssm-check: 2 of 4 not ready"), "{md}");
    assert!(std::fs::read_to_string(&outputs)
        .unwrap()
        .starts_with("facts="));

    // The action's file: a composite action whose every input reaches the gate script.
    let code = format!(
        "import yaml,json,sys;a=yaml.safe_load(open('{}'));print(json.dumps(a))",
        here("action.yml").display()
    );
    let parsed = std::process::Command::new(&live.python)
        .args(["-c", &code])
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let action: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["shell"] == "bash"));
    let gate = steps.iter().find(|s| s["id"] == "gate").unwrap();
    let env = gate["env"].as_object().unwrap();
    // The install step's inputs reach its script; every other input reaches the gate.
    let install = steps
        .iter()
        .find(|s| s["name"] == "Install ssm-check")
        .unwrap();
    assert_eq!(
        install["env"]["SSM_CHECK_VERSION"], "${{ inputs.version }}",
        "{install}"
    );
    for (name, _) in action["inputs"].as_object().unwrap() {
        if name == "install" || name == "version" {
            continue;
        }
        assert!(
            env.values()
                .any(|v| v.as_str() == Some(&format!("${{{{ inputs.{name} }}}}"))),
            "input {name} does not reach the gate"
        );
    }
    let script = std::fs::read_to_string(here("action/gate.sh")).unwrap();
    for var in env.keys() {
        assert!(
            script.contains(var.as_str()),
            "{var} is not read by action/gate.sh"
        );
    }
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn cannot_tell_starts_the_session_after_saying_what_was_not_checked_and_is_not_cached() {
    let live = live();
    let built = layout(&live, "public");
    let id = built["instance"].as_str().unwrap();
    // The endpoints cannot be read: the network path cannot be told, nothing fails.
    let mut config = stub_config(linux());
    config["deny"] = json!(["ec2:DescribeVpcEndpoints"]);
    let stub = Stub::start(&live, config);
    let run = Run::new();
    run.recording_aws(None);
    let credentials = run.home.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            built["access_key_id"].as_str().unwrap(),
            built["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    let cache = run.home.path().join("cache");
    let entry = |args: &[&str]| {
        run.cmd(&stub, &built)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("XDG_CACHE_HOME", &cache)
            .args(args)
            .args(["--profile", "dev", "--region", REGION])
            .output()
            .unwrap()
    };
    for round in 0..2 {
        let before = stub.calls().len();
        let out = entry(&["proxy", id, "22"]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{err}");
        // What could not be checked, then the one line every hand-over prints.
        assert_eq!(err.lines().count(), 2, "{err}");
        assert!(
            err.lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("ssm-check: SSH to {id}")),
            "{err}"
        );
        assert!(
            err.starts_with(
                "ssm-check: cannot tell, starting the session anyway: could not check "
            ) && err.contains("ec2:DescribeVpcEndpoints"),
            "{err}"
        );
        assert!(
            stub.calls().len() > before,
            "round {round}: checked, not cached"
        );
        assert_eq!(ssm_runs(&run).len(), round + 1, "the session started");
    }
    let out = entry(&["connect", id]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.starts_with("ssm-check: cannot tell, starting the session anyway"),
        "{err}"
    );
    assert_eq!(ssm_runs(&run).len(), 3);
    // --fail-on unknown refuses it.
    let out = entry(&["connect", id, "--fail-on", "unknown"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(ssm_runs(&run).len(), 3);
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn proxy_shows_control_characters_from_the_facts_rather_than_obeying_them() {
    let live = live();
    let built = layout(&live, "public");
    let id = built["instance"].as_str().unwrap();
    // An agent not online, whose status (as Systems Manager reports it) carries terminal controls.
    let hostile = "Inactive\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let stub = Stub::start(
        &live,
        stub_config(json!({"agent_version": "3.3.1142.0", "ping_status": hostile})),
    );
    let run = Run::new();
    run.recording_aws(None);
    let out = run
        .cmd(&stub, &built)
        .args(["proxy", id, "22", "--cache-ttl", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Inactive\\u{1b}]0;pwned\\u{7}"),
        "shown: {err}"
    );
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{7}'),
        "obeyed: {err:?}"
    );
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn an_instance_by_its_name_for_connect_and_the_check_and_several_are_refused() {
    let live = live();
    let (built, stub, run) = scene(&live, "public");
    let id = built["instance"].as_str().unwrap();
    let name = format!("web-{}", &id[2..10]);
    let tag = |instance: &str| {
        python(
            &live,
            &format!(
                "import boto3;boto3.client('ec2',endpoint_url='{}',region_name='{REGION}',aws_access_key_id='testing',aws_secret_access_key='testing').create_tags(Resources=['{instance}'],Tags=[{{'Key':'Name','Value':'{name}'}}])",
                live.moto
            ),
        )
    };
    tag(id);
    run.recording_aws(None);
    // connect by Name: the session goes to the instance's id, after one line that names both.
    let out = run
        .cmd(&stub, &built)
        .args([
            "connect", &name, "--mode", "port", "--port", "3389", "--region", REGION,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("port forwarding to {id} ({name}) in {REGION}")),
        "{err}"
    );
    let runs = ssm_runs(&run);
    assert_eq!(&runs[0][2..4], ["--target", id]);
    // The check by Name reads as that instance's full report, not a fleet.
    let out = run
        .cmd(&stub, &built)
        .args([name.as_str(), "--region", REGION])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("ready for a shell session to {id}")),
        "{text}"
    );
    // A second instance with the same Name: connect refuses, naming both.
    let second = python(
        &live,
        &format!(
            "import boto3;c=boto3.client('ec2',endpoint_url='{}',region_name='{REGION}',aws_access_key_id='testing',aws_secret_access_key='testing');print(c.run_instances(ImageId='ami-03cf127a',MinCount=1,MaxCount=1)['Instances'][0]['InstanceId'])",
            live.moto
        ),
    );
    tag(&second);
    let out = run
        .cmd(&stub, &built)
        .args(["connect", &name, "--region", REGION])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("error: `{name}` names 2 instances:")),
        "{err}"
    );
    assert!(err.contains(id) && err.contains(&second), "{err}");
    assert_eq!(ssm_runs(&run).len(), 1, "no second session");
}
