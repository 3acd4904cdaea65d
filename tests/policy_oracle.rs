//! The local IAM evaluator against an independent one: a few hundred generated policy sets (Allow and Deny,
//! NotAction, NotResource, wildcards, policy variables with and without defaults, MFA, string, ARN, date, numeric
//! and address conditions, conditions on the caller's and the resource's tags (`aws:PrincipalTag/…`,
//! `aws:ResourceTag/…`, `ssm:resourceTag/…`: given, or absent in a family known in full), permission boundaries), each asked the questions ssm-check asks, by ssm-check's
//! evaluator and by `@cloud-copilot/iam-simulate` (`tests/oracle/`, installed by `tests/run`).
//!
//! Where the two differ, AWS's documentation decides. The oracle's documented deviations are listed here, and
//! each is either checked another way or kept out of the generated cases on purpose:
//! - It substitutes `${…}` in every policy, although AWS reads it as literal text unless the policy's Version is
//!   `2012-10-17` ("IAM JSON policy elements: Version"). Such cases are compared with the oracle's answer on the
//!   same policy written with literal text (`${$}{…}` under Version 2012-10-17), which is what AWS evaluates.
//! - It reads a bare number as milliseconds while IAM reads epoch seconds: dates here are ISO 8601 only.
//! - It drops context keys it does not know for the action, and matches nothing for multi-valued keys without a
//!   set operator: the context here holds single values of global keys only.
//! - It needs `kms:` requests to pass a key policy and treats `sts:AssumeRole` without a trust policy as
//!   allowed: the questions here are `ssm:` ones.
//! - A NotResource element whose variable has no value: AWS's pages read it both as an "effectively null" value
//!   ("Policy variables with no value") and as making the statement invalid (the principal key table); the
//!   oracle takes the first. ssm-check answers Unknown there (or "denied" when nothing allows the request, so
//!   that the reading cannot matter), and this test checks that it does.
//! - It refuses the ARN of an AWS-owned document, which has no account (`arn:aws:ssm:us-east-1::document/
//!   AWS-StartSSHSession`): the documents asked about here are the account's own (the shell preferences
//!   document, and a custom session document); policies still name AWS-owned ones.
//!
//! Ignored by a plain `cargo test` (it needs Node and the oracle's packages); `tests/run` runs it.

use serde_json::{json, Value};
use ssm_check::policy::{evaluate_identity, Context, Evaluation, Policy, Request};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const CASES: usize = 600;
const PRINCIPAL: &str = "arn:aws:iam::111122223333:user/alice";
const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";
const SSH_DOCUMENT: &str = "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession";
const CUSTOM_DOCUMENT: &str =
    "arn:aws:ssm:us-east-1:111122223333:document/AWS-StartSSHSession-Audited";
const SHELL_DOCUMENT: &str =
    "arn:aws:ssm:us-east-1:111122223333:document/SSM-SessionManagerRunShell";
const SESSION: &str = "arn:aws:ssm:us-east-1:111122223333:session/alice-0123456789abcdef0";

/// splitmix64: the same cases on every run, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    fn some<'a>(&mut self, from: &[&'a str], most: usize) -> Vec<&'a str> {
        let n = 1 + self.below(most);
        (0..n).map(|_| self.pick(from)).collect()
    }
}

const ACTIONS: [&str; 8] = [
    "ssm:StartSession",
    "ssm:*",
    "ssm:Start*",
    "ssm:TerminateSession",
    "ssm:*Session",
    "ssm:Resume*",
    "ec2:*",
    "*",
];

const RESOURCES: [&str; 12] = [
    "*",
    INSTANCE,
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa",
    "arn:aws:ssm:*:*:document/AWS-Start*",
    SSH_DOCUMENT,
    "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell",
    "arn:aws:ssm:*:*:session/${aws:username}-*",
    "arn:aws:ssm:*:*:session/${aws:userid}-*",
    "arn:aws:ssm:*:*:session/${aws:username, 'nobody'}-*",
    "arn:aws:ssm:us-east-1:111122223333:*",
    "arn:aws:ssm:us-east-1:111122223333:session/${aws:PrincipalTag/team}-*",
];

/// Tag keys: the caller's (`aws:PrincipalTag/…`) and the resource's (`aws:ResourceTag/…`, Session Manager's
/// `ssm:resourceTag/…`), as ABAC policies test them.
const TAG_KEYS: [&str; 4] = [
    "aws:PrincipalTag/team",
    "aws:PrincipalTag/Env",
    "aws:ResourceTag/Env",
    "ssm:resourceTag/Env",
];

/// Every key outside the tag families that a condition here may test: absent from a request unless given.
const OTHER_KEYS: [&str; 8] = [
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:TokenIssueTime",
    "aws:username",
    "aws:userid",
    "aws:PrincipalArn",
    "aws:SourceIp",
    "aws:CurrentTime",
];

fn condition(rng: &mut Rng) -> Value {
    match rng.below(10) {
        8 => {
            json!({ rng.pick(&["StringEquals", "StringLike", "StringNotEquals", "StringEqualsIfExists"]):
            {rng.pick(&TAG_KEYS): rng.pick(&["ops", "dev", "prod", "${aws:PrincipalTag/Env}"])} })
        }
        9 => json!({"Null": {rng.pick(&TAG_KEYS): rng.pick(&["true", "false"])}}),
        0 => {
            json!({ rng.pick(&["Bool", "BoolIfExists"]): {"aws:MultiFactorAuthPresent": rng.pick(&["true", "false"])} })
        }
        1 => json!({ rng.pick(&["StringEquals", "StringLike", "StringNotEquals", "StringNotLike"]):
            {"aws:username": rng.pick(&["alice", "al*", "bob", "${aws:username}"])} }),
        2 => json!({ rng.pick(&["ArnLike", "ArnEquals", "ArnNotLike"]):
            {"aws:PrincipalArn": rng.pick(&["arn:aws:iam::*:user/al*", PRINCIPAL, "arn:aws:iam::*:role/*", "arn:aws:iam::*"])} }),
        3 => {
            json!({ rng.pick(&["DateGreaterThan", "DateLessThan", "DateGreaterThanIfExists", "DateLessThanIfExists"]):
            {rng.pick(&["aws:TokenIssueTime", "aws:CurrentTime"]): rng.pick(&["2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"])} })
        }
        4 => {
            json!({ rng.pick(&["NumericLessThan", "NumericLessThanIfExists", "NumericGreaterThan"]):
            {"aws:MultiFactorAuthAge": rng.pick(&["3600", "60"])} })
        }
        5 => {
            json!({ rng.pick(&["IpAddress", "NotIpAddress"]): {"aws:SourceIp": rng.pick(&["203.0.113.0/24", "198.51.100.7/32"])} })
        }
        6 => {
            json!({"Null": {rng.pick(&["aws:MultiFactorAuthPresent", "aws:TokenIssueTime"]): rng.pick(&["true", "false"])}})
        }
        _ => {
            json!({ rng.pick(&["StringEquals", "StringLike"]): {"aws:userid": rng.pick(&["AIDAALICE", "AIDA*", "AROA*"])} })
        }
    }
}

fn statement(rng: &mut Rng) -> Value {
    let mut s = serde_json::Map::new();
    s.insert(
        "Effect".into(),
        json!(if rng.chance(70) { "Allow" } else { "Deny" }),
    );
    let action_key = if rng.chance(15) {
        "NotAction"
    } else {
        "Action"
    };
    s.insert(action_key.into(), json!(rng.some(&ACTIONS, 2)));
    let resource_key = if rng.chance(15) {
        "NotResource"
    } else {
        "Resource"
    };
    s.insert(resource_key.into(), json!(rng.some(&RESOURCES, 3)));
    if rng.chance(50) {
        let mut block = serde_json::Map::new();
        for _ in 0..1 + rng.below(2) {
            for (op, keys) in condition(rng).as_object().unwrap() {
                block.insert(op.clone(), keys.clone());
            }
        }
        s.insert("Condition".into(), Value::Object(block));
    }
    Value::Object(s)
}

fn policy(rng: &mut Rng) -> Value {
    let statements: Vec<Value> = (0..1 + rng.below(3)).map(|_| statement(rng)).collect();
    match rng.below(20) {
        0 => json!({ "Statement": statements }),
        1 => json!({ "Version": "2008-10-17", "Statement": statements }),
        _ => json!({ "Version": "2012-10-17", "Statement": statements }),
    }
}

/// The request context: every key given or absent (a closed context), as the oracle needs.
fn context(rng: &mut Rng) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![
        ("aws:username", "alice"),
        ("aws:userid", "AIDAALICE"),
        ("aws:PrincipalArn", PRINCIPAL),
        ("aws:PrincipalType", "User"),
        ("aws:CurrentTime", "2026-11-23T12:00:00Z"),
        (
            "aws:SourceIp",
            rng.pick(&["203.0.113.7", "198.51.100.7", "192.0.2.1"]),
        ),
    ];
    match rng.below(3) {
        // Long-term keys: no MFA key and no token time at all.
        0 => {}
        1 => keys.extend([
            ("aws:MultiFactorAuthPresent", "false"),
            ("aws:TokenIssueTime", "2026-11-23T11:00:00Z"),
        ]),
        _ => keys.extend([
            ("aws:MultiFactorAuthPresent", "true"),
            ("aws:MultiFactorAuthAge", "120"),
            ("aws:TokenIssueTime", "2026-11-23T11:58:00Z"),
        ]),
    }
    if rng.chance(30) {
        keys.push(("aws:PrincipalTag/team", "ops"));
    }
    if rng.chance(40) {
        keys.push(("aws:PrincipalTag/Env", rng.pick(&["dev", "prod"])));
    }
    // The resource's tags, in both families, as ssm-check gives an instance's.
    if rng.chance(50) {
        let env = rng.pick(&["dev", "prod"]);
        keys.extend([("aws:ResourceTag/Env", env), ("ssm:resourceTag/Env", env)]);
    }
    keys
}

fn request(rng: &mut Rng) -> (&'static str, &'static str) {
    match rng.below(5) {
        0 | 1 => ("ssm:StartSession", INSTANCE),
        2 => ("ssm:StartSession", CUSTOM_DOCUMENT),
        3 => ("ssm:StartSession", SHELL_DOCUMENT),
        _ => ("ssm:TerminateSession", SESSION),
    }
}

struct Case {
    id: String,
    policies: Vec<Value>,
    boundary: Option<Value>,
    action: &'static str,
    resource: &'static str,
    context: Vec<(&'static str, &'static str)>,
}

impl Case {
    fn ours(&self) -> &'static str {
        let parsed: Vec<Policy> = self
            .policies
            .iter()
            .map(|p| Policy::parse(p).unwrap())
            .collect();
        let named: Vec<(&str, &Policy)> = parsed.iter().map(|p| ("policy", p)).collect();
        let boundary = self.boundary.as_ref().map(|b| Policy::parse(b).unwrap());
        // As ssm-check builds it: open, with the other keys it knows to be absent named, and the tag families
        // known in full (so a tag that is not given is absent, not unknown).
        let given = |k: &str| self.context.iter().any(|(c, _)| *c == k);
        let ctx = Context::open(self.context.iter().copied())
            .with_absent(OTHER_KEYS.iter().filter(|k| !given(k)))
            .with_absent_prefixes(["aws:PrincipalTag/", "aws:ResourceTag/", "ssm:resourceTag/"]);
        let outcome = evaluate_identity(
            &named,
            boundary.as_ref().map(|b| ("boundary", b)),
            &Request {
                action: self.action,
                resource: self.resource,
                context: &ctx,
            },
        );
        match outcome {
            Evaluation::Allowed { .. } => "allowed",
            Evaluation::ExplicitDeny { .. } => "explicit_deny",
            Evaluation::ImplicitDeny { .. } => "implicit_deny",
            Evaluation::Unknown { .. } => "unknown",
        }
    }

    /// Whether a NotResource element names a variable the request has no value for (in a policy with variables).
    fn ambiguous_not_resource(&self) -> bool {
        let present = |var: &str| self.context.iter().any(|(k, _)| *k == var);
        self.policies
            .iter()
            .chain(&self.boundary)
            .filter(|p| p.get("Version").and_then(Value::as_str) == Some("2012-10-17"))
            .flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default())
            .filter_map(|s| s.get("NotResource").cloned())
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .filter_map(|r| r.as_str().map(str::to_string))
            .any(|r| {
                r.split("${").skip(1).any(|v| {
                    let name = v.split(['}', ',']).next().unwrap_or_default().trim();
                    !present(name) && !v.split('}').next().unwrap_or_default().contains(',')
                })
            })
    }

    /// The policies as AWS reads them, for an oracle that substitutes variables in every version: where the
    /// version has no variables, `${` is literal text, written `${$}{` under Version 2012-10-17.
    fn as_aws_reads_them(&self) -> Option<Case> {
        let literal = |p: &Value| {
            let versioned = p.get("Version").and_then(Value::as_str) == Some("2012-10-17");
            let text = p.to_string();
            if versioned || !text.contains("${") {
                return (p.clone(), false);
            }
            let mut rewritten: Value = serde_json::from_str(&text.replace("${", "${$}{")).unwrap();
            rewritten["Version"] = json!("2012-10-17");
            (rewritten, true)
        };
        let mut changed = false;
        let policies = self
            .policies
            .iter()
            .map(|p| {
                let (p, c) = literal(p);
                changed |= c;
                p
            })
            .collect();
        let boundary = self.boundary.as_ref().map(|b| {
            let (b, c) = literal(b);
            changed |= c;
            b
        });
        changed.then(|| Case {
            id: format!("{}-literal", self.id),
            policies,
            boundary,
            action: self.action,
            resource: self.resource,
            context: self.context.clone(),
        })
    }

    fn to_line(&self) -> String {
        let context: serde_json::Map<String, Value> = self
            .context
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        json!({"id": self.id, "policies": self.policies, "boundary": self.boundary, "principal": PRINCIPAL,
               "action": self.action, "resource": self.resource, "context": context})
        .to_string()
    }
}

fn generate() -> Vec<Case> {
    let mut rng = Rng(0x55_4d_2d_63_68_65_63_6b);
    (0..CASES)
        .map(|i| {
            let policies = (0..1 + rng.below(3)).map(|_| policy(&mut rng)).collect();
            let boundary = rng.chance(20).then(|| policy(&mut rng));
            let (action, resource) = request(&mut rng);
            Case {
                id: format!("case-{i}"),
                policies,
                boundary,
                action,
                resource,
                context: context(&mut rng),
            }
        })
        .collect()
}

fn oracle(cases: &[&Case]) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle");
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate")
            .exists(),
        "the oracle is not installed: run through tests/run (npm ci --prefix tests/oracle)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("oracle.mjs"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let input: String = cases.iter().map(|c| c.to_line() + "\n").collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the oracle failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
#[ignore = "needs Node and the oracle's packages: run through tests/run"]
fn the_local_evaluator_agrees_with_an_independent_simulator() {
    let cases = generate();
    // Each case as the oracle must be asked: as written, or as AWS reads a policy without variables.
    let rewritten: Vec<Option<Case>> = cases.iter().map(Case::as_aws_reads_them).collect();
    let asked: Vec<&Case> = cases
        .iter()
        .zip(&rewritten)
        .map(|(c, r)| r.as_ref().unwrap_or(c))
        .collect();
    let answers = oracle(&asked);
    assert_eq!(answers.len(), cases.len());
    let mut disagreements = Vec::new();
    let mut decisions = std::collections::BTreeMap::new();
    let mut ambiguous = 0;
    for ((case, asked), answer) in cases.iter().zip(&asked).zip(&answers) {
        assert_eq!(answer["id"], json!(asked.id));
        let theirs = answer["decision"].as_str().unwrap();
        assert_ne!(theirs, "error", "{}: {}", case.id, answer["detail"]);
        let ours = case.ours();
        *decisions.entry(theirs.to_string()).or_insert(0) += 1;
        // Under the NotResource ambiguity ssm-check answers Unknown, or "denied" where the reading cannot change
        // that the request is refused (nothing allows it).
        let denied_either_way = ours == "implicit_deny" && theirs == "explicit_deny";
        if (ours == "unknown" || denied_either_way) && case.ambiguous_not_resource() {
            ambiguous += 1;
            continue;
        }
        if ours != theirs {
            disagreements.push(format!(
                "{}: ours {ours}, oracle {theirs} ({})\n  {}",
                case.id,
                answer["detail"],
                asked.to_line()
            ));
        }
    }
    eprintln!(
        "{} cases ({} with policies read as literal text), oracle decisions {decisions:?}, {ambiguous} unknown \
         by the NotResource ambiguity, {} disagreements",
        cases.len(),
        rewritten.iter().filter(|r| r.is_some()).count(),
        disagreements.len()
    );
    // Every kind of answer occurs, so the comparison is not between two evaluators that always deny.
    for d in ["allowed", "explicit_deny", "implicit_deny"] {
        assert!(
            decisions.get(d).copied().unwrap_or(0) >= CASES / 20,
            "too few {d}"
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
