//! The live tests' harness: moto through `tests/live/stub.py`, layouts built by `tests/live/layouts.py`, and the
//! binary run with a clean environment pointed at them. Shared by the live suites (`tests/live.rs`, `tests/fleet.rs`,
//! `tests/entry_points.rs`, `tests/wait.rs`, `tests/picker.rs`).
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

pub const REGION: &str = "ap-northeast-1";

pub struct Live {
    pub moto: String,
    pub python: String,
}

/// Moto and the Python that runs the stub. These tests are ignored by default; asked for (`--include-ignored`, as
/// tests/run does), they must run, so a missing variable is a failure, not a skip.
pub fn live() -> Live {
    let (Ok(moto), Ok(python)) = (
        std::env::var("SSM_CHECK_MOTO_URL"),
        std::env::var("SSM_CHECK_PYTHON"),
    ) else {
        panic!("live tests need moto: run them through tests/run, which sets SSM_CHECK_MOTO_URL and SSM_CHECK_PYTHON")
    };
    Live { moto, python }
}

pub fn here(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// One stub per test, so injected failures never leak between tests.
pub struct Stub {
    pub child: Child,
    pub python: String,
    pub url: String,
    pub config: PathBuf,
    pub _dir: tempfile::TempDir,
}

impl Stub {
    pub fn start(live: &Live, config: Value) -> Stub {
        Stub::slow(live, config, 0)
    }

    /// A stub that holds every request `delay_ms` before answering it.
    pub fn slow(live: &Live, config: Value, delay_ms: u64) -> Stub {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stub.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let mut child = std::process::Command::new(&live.python)
            .arg(here("tests/live/stub.py"))
            .args([
                "--moto",
                &live.moto,
                "--config",
                path.to_str().unwrap(),
                "--port",
                "0",
                "--delay-ms",
                &delay_ms.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the stub");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .expect("stub announces its port")
            .to_string();
        Stub {
            child,
            python: live.python.clone(),
            url: format!("http://127.0.0.1:{port}"),
            config: path,
            _dir: dir,
        }
    }

    pub fn set(&self, config: Value) {
        std::fs::write(&self.config, config.to_string()).unwrap();
    }

    /// Every call the stub saw, in order.
    pub fn calls(&self) -> Vec<Value> {
        let code = format!("import urllib.request,sys;sys.stdout.write(urllib.request.urlopen('{}/__stub/calls').read().decode())", self.url);
        let out = std::process::Command::new(&self.python)
            .args(["-c", &code])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds a layout in moto; returns the instance id and the caller's keys.
pub fn layout(live: &Live, name: &str) -> Value {
    layout_as(live, name, "admin")
}

/// A layout whose caller is `admin` or `mfa` (a ForceMFA group policy, as in the article rdp-with-mfa).
pub fn layout_as(live: &Live, name: &str, caller: &str) -> Value {
    layout_in(live, name, caller, REGION)
}

/// A layout in another region, for what is region-wide (the Session Manager preferences).
pub fn layout_in(live: &Live, name: &str, caller: &str, region: &str) -> Value {
    let out = std::process::Command::new(&live.python)
        .args([
            here("tests/live/layouts.py").to_str().unwrap(),
            &live.moto,
            region,
            name,
            caller,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "layout {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The binary, pointed at the stub, with fake `aws`, `session-manager-plugin` and no ssh config.
pub struct Run {
    pub home: tempfile::TempDir,
}

impl Run {
    pub fn new() -> Run {
        let home = tempfile::tempdir().unwrap();
        let bin = home.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        for (name, text) in [
            (
                "aws",
                "aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0 exe/x86_64",
            ),
            ("session-manager-plugin", "1.2.764.0"),
        ] {
            let p = bin.join(name);
            std::fs::write(&p, format!("#!/bin/sh\necho '{text}'\n")).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        Run { home }
    }

    /// Replaces the stand-in `aws` with one that records every invocation's arguments and, for
    /// `configure export-credentials`, prints `exported` (process credentials). Shell builtins only: the runs'
    /// PATH holds the stand-ins alone. Once `$HOME/aws-fails` exists, `aws ssm …` prints it on stderr and exits 254,
    /// the CLI's code for a service error.
    pub fn recording_aws(&self, exported: Option<&Value>) {
        let home = self.home.path();
        if let Some(creds) = exported {
            std::fs::write(home.join("exported.json"), format!("{creds}\n")).unwrap();
        }
        let script = "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\037' \"$a\"; done >> \"$HOME/aws-calls\"\necho >> \"$HOME/aws-calls\"\ncase \"$1\" in\n  --version) echo 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0 exe/x86_64' ;;\n  configure) while IFS= read -r line; do printf '%s\\n' \"$line\"; done < \"$HOME/exported.json\" ;;\n  ssm) if [ -f \"$HOME/aws-fails\" ]; then while IFS= read -r line; do printf '%s\\n' \"$line\" >&2; done < \"$HOME/aws-fails\"; exit 254; fi ;;\nesac\n";
        std::fs::write(home.join("bin/aws"), script).unwrap();
    }

    /// The arguments of every `aws` run so far (after `recording_aws`).
    pub fn aws_calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.home.path().join("aws-calls"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                l.split('\u{1f}')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    }

    /// The report of `ssm-check <the layout's instance> ARGS`, which must exit 0, 1 or 4 (cannot tell: moto leaves
    /// nacl-endpoint-subnets Unknown, see tests/README.md).
    pub fn findings(&self, stub: &Stub, built: &Value, args: &[&str]) -> BTreeMap<String, Value> {
        let out = self.check(stub, built, args);
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 4)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        report(&out.stdout)
    }

    /// `ssm-check <the layout's instance> ARGS --format json`.
    pub fn check(&self, stub: &Stub, built: &Value, args: &[&str]) -> std::process::Output {
        self.cmd(stub, built)
            .arg(built["instance"].as_str().unwrap())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap()
    }

    pub fn cmd(&self, stub: &Stub, keys: &Value) -> Command {
        Command::from_std(self.std_cmd(stub, keys))
    }

    /// The same as a plain `std::process::Command`, for what runs it otherwise (a pseudo-terminal).
    pub fn std_cmd(&self, stub: &Stub, keys: &Value) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ssm-check"));
        c.env_clear()
            .env("HOME", self.home.path())
            .env("PATH", self.home.path().join("bin"))
            .env("AWS_ENDPOINT_URL", &stub.url)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "AWS_ACCESS_KEY_ID",
                keys["access_key_id"].as_str().unwrap_or("testing"),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                keys["secret_access_key"].as_str().unwrap_or("testing"),
            );
        c
    }
}

/// Runs a line of Python (boto3 against moto) and returns what it printed; it must succeed.
pub fn python(live: &Live, code: &str) -> String {
    let out = std::process::Command::new(&live.python)
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A layout built in moto, a stub in front of it that answers for a current Linux agent and an allowing
/// simulation, and the binary's environment.
pub fn scene(live: &Live, name: &str) -> (Value, Stub, Run) {
    let built = layout(live, name);
    let stub = Stub::start(live, stub_config(json!({"agent_version": "3.3.1142.0"})));
    (built, stub, Run::new())
}

pub fn stub_config(registration: Value) -> Value {
    json!({"registration": registration, "simulate": {"decision": "allowed"}})
}

pub fn windows() -> Value {
    json!({"agent_version": "2.3.722.0", "platform_type": "Windows"})
}

pub fn linux() -> Value {
    json!({"agent_version": "3.3.1142.0"})
}

pub fn report(out: &[u8]) -> BTreeMap<String, Value> {
    let v: Value = serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

pub fn gather(run: &Run, stub: &Stub, keys: &Value, id: &str) -> Value {
    let out = run.cmd(stub, keys).args(["gather", id]).output().unwrap();
    assert!(
        out.status.success(),
        "gather: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn status(facts: &Value, key: &str) -> String {
    facts[key]["status"]
        .as_str()
        .unwrap_or("missing")
        .to_string()
}
