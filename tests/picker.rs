//! `ssm-check connect` with no target: the picker, driven through a pseudo-terminal against moto (through
//! `tests/live/stub.py`) in a region of its own, with a stand-in `aws` that records how it is run. Run through
//! `tests/run`.
#![cfg(unix)]

#[path = "live/harness.rs"]
mod harness;

use harness::*;
use rexpect::session::{spawn_command, PtySession};
use serde_json::{json, Value};

/// A region no other test lists: the picker shows every instance of its region.
const PICKER_REGION: &str = "ap-south-1";
const NODE: &str = "mi-0123456789abcdef0";

/// `ssm-check connect` under a pseudo-terminal, with the environment `Run::cmd` gives (in PICKER_REGION).
fn picker(run: &Run, stub: &Stub, built: &Value) -> PtySession {
    picker_in(run, stub, built, PICKER_REGION)
}

fn picker_in(run: &Run, stub: &Stub, built: &Value, region: &str) -> PtySession {
    let mut c = run.std_cmd(stub, built);
    c.env("TERM", "xterm-256color")
        .env("AWS_REGION", region)
        .arg("connect");
    spawn_command(c, Some(60_000)).expect("spawn ssm-check under a pty")
}

/// What the pty gave, as text: rexpect hands each byte over as one char.
fn utf8(seen: String) -> String {
    let bytes: Vec<u8> = seen.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Types `text` (rexpect buffers what is sent until flushed).
fn keys(p: &mut PtySession, text: &str) {
    p.send(text).unwrap();
    p.flush().unwrap();
}

fn exit_code(p: &mut PtySession) -> i32 {
    match p.process.wait().unwrap() {
        rexpect::process::wait::WaitStatus::Exited(_, code) => code,
        other => panic!("ssm-check did not exit: {other:?}"),
    }
}

/// The ready instance of the public layout, and beside it a stopped one named db-primary.
fn scene_with_a_stopped_instance(live: &Live) -> (Value, String, Stub, Run) {
    let built = layout_in(live, "public", "admin", PICKER_REGION);
    let id = built["instance"].as_str().unwrap();
    let stopped = python(
        live,
        &format!(
            "import boto3\n\
             ec2 = boto3.client('ec2', endpoint_url='{moto}', region_name='{PICKER_REGION}', aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             i = ec2.describe_instances(InstanceIds=['{id}'])['Reservations'][0]['Instances'][0]\n\
             r = ec2.run_instances(ImageId=i['ImageId'], MinCount=1, MaxCount=1, SubnetId=i['SubnetId'], \
               TagSpecifications=[{{'ResourceType': 'instance', 'Tags': [{{'Key': 'Name', 'Value': 'db-primary'}}]}}])['Instances'][0]\n\
             ec2.stop_instances(InstanceIds=[r['InstanceId']])\n\
             print(r['InstanceId'])",
            moto = live.moto
        ),
    );
    // And a hybrid node, which has no Name tag: its computer name stands for one.
    let mut config = stub_config(linux());
    config["hybrid_nodes"] = json!([NODE]);
    config["computer_names"] = json!({NODE: "build-agent-7"});
    let stub = Stub::start(live, config);
    let run = Run::new();
    run.recording_aws(None);
    (built, stopped, stub, run)
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn the_picker_lists_the_region_with_verdicts_and_connects_to_the_chosen_ready_target() {
    let live = live();
    let (built, stopped, stub, run) = scene_with_a_stopped_instance(&live);
    let id = built["instance"].as_str().unwrap();

    // Every target of the region, each with its verdict and the first failure to fix.
    let mut p = picker(&run, &stub, &built);
    p.exp_string("checked").unwrap();
    let before = utf8(p.exp_string("of 3").unwrap());
    assert!(before.contains(id) && before.contains(&stopped), "{before}");
    assert!(
        before.contains("build-agent-7") && before.contains(NODE),
        "{before}"
    );
    assert!(before.contains("✓ ready"), "{before}");
    assert!(before.contains("✗ instance-running"), "{before}");
    assert!(before.contains("db-primary"), "{before}");

    // Typing filters (the stopped one's Name); Enter on a target that is not ready: its report, no session.
    keys(&mut p, "db-prim");
    p.exp_string("1 of 3").unwrap();
    keys(&mut p, "\r");
    let report = p.exp_string("not starting the session").unwrap();
    // The report is printed once the terminal is given back, not on the picker's screen that vanishes.
    let (left, printed) = report
        .split_once("\x1b[?1049l")
        .expect("the alternate screen is left");
    assert!(
        !left.contains("instance-running:"),
        "the report came before leaving"
    );
    assert!(printed.contains(&stopped), "{}", utf8(printed.to_string()));
    assert_eq!(exit_code(&mut p), 1);
    assert!(run
        .aws_calls()
        .iter()
        .all(|a| a.first().map(String::as_str) != Some("ssm")));

    // Enter on the ready one: its session, with the verdict the picker showed.
    let calls_before = stub.calls().len();
    let mut p = picker(&run, &stub, &built);
    p.exp_string("checked").unwrap();
    let checked = stub.calls().len();
    keys(&mut p, &id[id.len() - 6..]);
    p.exp_string("1 of 3").unwrap();
    keys(&mut p, "\r");
    p.exp_string("ago in the list").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let ssm: Vec<Vec<String>> = run
        .aws_calls()
        .into_iter()
        .filter(|a| a.first().map(String::as_str) == Some("ssm"))
        .collect();
    assert_eq!(ssm.len(), 1, "{ssm:?}");
    assert_eq!(ssm[0][..4], ["ssm", "start-session", "--target", id]);
    assert!(checked > calls_before);
    assert_eq!(
        stub.calls().len(),
        checked,
        "a target the picker had checked is not checked again"
    );

    // Esc: nothing chosen, no session, exit 130.
    let mut p = picker(&run, &stub, &built);
    p.exp_string("of 3").unwrap();
    keys(&mut p, "\x1b");
    assert_eq!(exit_code(&mut p), 130);
}

#[test]
#[ignore = "needs moto's server: run through tests/run"]
fn a_target_chosen_before_its_verdict_is_checked_then_connected() {
    let live = live();
    let built = layout_in(&live, "public", "admin", "ap-southeast-2");
    let id = built["instance"].as_str().unwrap();
    // Slow answers: the list is there long before the check.
    let stub = Stub::slow(&live, stub_config(linux()), 250);
    let run = Run::new();
    run.recording_aws(None);
    let mut p = picker_in(&run, &stub, &built, "ap-southeast-2");
    let shown = utf8(p.exp_string("1 of 1").unwrap());
    assert!(shown.contains("… checking"), "{shown}");
    keys(&mut p, "\r");
    let chosen = stub.calls().len();
    p.exp_string("checked now").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    // Not the list's (unfinished) check: one of its own, after the choice.
    let after: Vec<String> = stub.calls()[chosen..]
        .iter()
        .map(|c| c["op"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        after.iter().any(|op| op == "iam:SimulatePrincipalPolicy"),
        "{after:?}"
    );
    let ssm: Vec<Vec<String>> = run
        .aws_calls()
        .into_iter()
        .filter(|a| a.first().map(String::as_str) == Some("ssm"))
        .collect();
    assert_eq!(ssm.len(), 1);
    assert_eq!(ssm[0][3], id);
}
