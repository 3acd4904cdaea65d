//! ssm-check never changes an AWS account: the gatherer's source calls only Describe/Get/List/Simulate
//! operations (and sts:GetCallerIdentity), and `docs/iam-policy.json` lists exactly the operations it calls.
//! `tests/live.rs` checks the same against the calls actually made.

use std::collections::BTreeSet;
use std::path::Path;

/// Verbs of AWS operations; any SDK call in the gatherer starts with one of these.
const VERBS: [&str; 40] = [
    "describe",
    "get",
    "list",
    "simulate",
    "create",
    "delete",
    "modify",
    "put",
    "update",
    "start",
    "stop",
    "send",
    "run",
    "terminate",
    "attach",
    "detach",
    "associate",
    "disassociate",
    "authorize",
    "revoke",
    "tag",
    "untag",
    "reboot",
    "register",
    "deregister",
    "enable",
    "disable",
    "reset",
    "replace",
    "accept",
    "reject",
    "import",
    "export",
    "copy",
    "cancel",
    "allocate",
    "release",
    "assign",
    "remove",
    "add",
];
const READ: [&str; 4] = ["describe", "get", "list", "simulate"];

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn ident_before(text: &str, end: usize) -> &str {
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |p| p + 1);
    &text[start..end]
}

/// The names SDK clients go by in `text`: `name: &Client`, `name: &aws_sdk_x::Client`, `let name = …Client::…`.
fn client_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices("Client") {
        let before =
            text[..i].trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        // A parameter, by reference or by value.
        if let Some(rest) = before
            .strip_suffix('&')
            .unwrap_or(before)
            .trim_end()
            .strip_suffix(':')
        {
            names.insert(ident_before(rest, rest.len()).to_string());
        } else if let Some(rest) = before.trim_end().strip_suffix('=') {
            let rest = rest.trim_end();
            names.insert(ident_before(rest, rest.len()).to_string());
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The `.rs` files under `dir`, submodules' directories included.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Operations: zero-argument methods called on a client value (`c.describe_vpcs()`, also across a line break).
fn operations_in_source() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gather");
    let mut found = BTreeSet::new();
    for path in rust_files(&dir) {
        let text = std::fs::read_to_string(path).unwrap();
        let clients = client_names(&text);
        for (i, _) in text.match_indices("()") {
            let name = ident_before(&text, i);
            let start = i - name.len();
            let receiver_end = text[..start].trim_end_matches('.').trim_end().len();
            if !text[..start].ends_with('.')
                || !clients.contains(ident_before(&text, receiver_end))
                // A client's own methods, not AWS operations.
                || ["clone", "config"].contains(&name)
            {
                continue;
            }
            assert!(
                VERBS.contains(&name.split('_').next().unwrap()),
                "unexpected client method {name}()"
            );
            found.insert(name.to_string());
        }
    }
    found
}

#[test]
fn client_names_are_found() {
    let names = client_names("fn a(c: &Client) {}\nfn b(ec2c: &aws_sdk_ec2::Client) { let client = Client::from_conf(x); }\nfn d(sts: aws_sdk_sts::Client) {}");
    assert_eq!(
        names,
        ["c", "client", "ec2c", "sts"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}

#[test]
fn the_gatherer_only_reads() {
    let ops = operations_in_source();
    assert!(ops.len() >= 20, "found only {ops:?}");
    for op in &ops {
        let verb = op.split('_').next().unwrap();
        assert!(
            READ.contains(&verb),
            "src/gather calls {op}(), which is not a read"
        );
    }
}

#[test]
fn the_policy_covers_exactly_what_is_called() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/iam-policy.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let listed: BTreeSet<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().split(':').nth(1).unwrap().to_string())
        .collect();
    // The IAM action of an operation is its own name, but for these.
    const ACTION_OF: [(&str, &str); 2] = [
        ("GetBucketEncryption", "GetEncryptionConfiguration"),
        // The SDK's snake case loses the acronym.
        ("ListMfaDevices", "ListMFADevices"),
    ];
    let mut called: BTreeSet<String> = operations_in_source()
        .iter()
        .map(|o| camel(o))
        .map(|op| {
            ACTION_OF
                .iter()
                .find(|(from, _)| *from == op)
                .map_or(op.clone(), |(_, to)| to.to_string())
        })
        .collect();
    // GetCallerIdentity needs no permission, so the policy does not list it.
    assert!(
        called.remove("GetCallerIdentity"),
        "the gatherer identifies the caller"
    );
    assert_eq!(
        called, listed,
        "docs/iam-policy.json and src/gather disagree"
    );
}

#[test]
fn the_session_key_and_approval_policies_are_read_not_used() {
    let ops = operations_in_source();
    // kms:DescribeKey resolves the preferences' alias to the key KMS authorises against; the key policy and tags
    // are read, never the key used (no GenerateDataKey, no Decrypt); approval policies are listed.
    for op in [
        "describe_key",
        "get_key_policy",
        "list_resource_tags",
        "list_documents",
    ] {
        assert!(ops.contains(op), "src/gather does not call {op}()");
    }
    for op in ["generate_data_key", "decrypt", "start_access_request"] {
        assert!(!ops.contains(op), "src/gather calls {op}()");
    }
}
