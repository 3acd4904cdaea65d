//! The session encryption key as KMS decides its use: the key must be enabled and symmetric, and a request is
//! allowed when no policy denies it and either the key policy names the principal, or the key policy delegates
//! to IAM through the account principal and IAM allows it ("Key policies in AWS KMS"). A key in another account
//! needs both: its key policy must allow the principal or its account, and the principal's IAM policies must
//! allow the use. Both sides are evaluated against the key's ARN: an alias ARN in a policy's `Resource` does not
//! authorise the key (KMS "Use aliases to control access to KMS keys").

use crate::facts::{Decision, Facts, KmsKey};
use crate::policy::{evaluate_key_policy, Context, Evaluation, Grant, Policy, Request};
use crate::rules::outcome::Outcome;
use crate::rules::shared::Check;

/// The session key, resolved and usable; Unknown naming `kms:DescribeKey` when it could not be resolved, a
/// failure when KMS would refuse every use of it.
pub fn session_key<'a>(c: &Check<'a>) -> Result<&'a KmsKey, Outcome> {
    let key = c.facts.session_key.need("the session's KMS key")?;
    key.usable().map_err(|why| {
        Outcome::fail(format!(
            "sessions are encrypted with a key KMS will not use: {why}"
        ))
        .evidence(key_line(key))
        .remedy(unusable_fix(key))
    })?;
    Ok(key)
}

/// How to make the key usable: enable it (cancelling a scheduled deletion first), or name another key.
fn unusable_fix(key: &KmsKey) -> String {
    let other = "Or name an enabled symmetric encryption key (SYMMETRIC_DEFAULT) in the Session Manager preferences (kmsKeyId).";
    match key.key_state.as_str() {
        "Disabled" => format!("Enable the key:\naws kms enable-key --key-id {}\n{other}", key.arn),
        "PendingDeletion" => format!(
            "Cancel the key's scheduled deletion, then enable it:\naws kms cancel-key-deletion --key-id {}\naws kms enable-key --key-id {}\n{other}",
            key.arn, key.arn
        ),
        _ if key.key_state == "Enabled" => format!(
            "Name a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) in the Session Manager preferences (kmsKeyId): {} cannot make data keys.",
            key.arn
        ),
        state => format!("Wait for the key to leave the state {state}, or name another key. {other}"),
    }
}

pub fn key_line(key: &KmsKey) -> String {
    format!(
        "KMS key {} (account {}): {}, {} for {}",
        key.arn, key.account, key.key_state, key.key_spec, key.key_usage
    )
}

/// Whose use of the key is asked: the forms the principal takes (role and session ARN, or user ARN), its account,
/// and the request's context.
pub struct KeyUser {
    /// `you` or `role NAME`, for messages.
    pub who: String,
    pub principals: Vec<String>,
    pub account: String,
    pub context: Context,
}

/// KMS's answer, with what made it.
pub struct KeyAnswer {
    pub decision: Decision,
    /// Why, for a message: which policy allows or refuses.
    pub why: String,
    /// Where the fix belongs when refused: the key policy or the principal's IAM policies.
    pub in_key_policy: bool,
}

/// The context of a session's KMS request by a principal of `account`: the encryption context the plugin and the
/// agent send (`aws:ssm:TargetId` = the target; the session id is not known beforehand) and the caller's account.
/// `keys` gives `kms:EncryptionContextKeys` when the request's set of keys is certain.
pub fn request_context(
    facts: &Facts,
    principal_arn: &str,
    account: &str,
    requested: &str,
    keys: bool,
) -> Context {
    let mut pairs: Vec<(String, String)> = vec![
        ("aws:PrincipalArn".into(), principal_arn.into()),
        ("aws:PrincipalAccount".into(), account.into()),
        ("kms:CallerAccount".into(), account.into()),
        ("aws:ViaAWSService".into(), "false".into()),
        (
            "kms:EncryptionContext:aws:ssm:TargetId".into(),
            facts.target.id.clone(),
        ),
    ];
    pairs.extend(
        crate::caller::kms_request_context(requested)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    if keys {
        for k in ["aws:ssm:SessionId", "aws:ssm:TargetId"] {
            pairs.push(("kms:EncryptionContextKeys".into(), k.into()));
        }
    }
    let mut absent = vec!["kms:ViaService", "kms:GrantIsForAWSResource"];
    if !requested.contains("alias/") {
        absent.push("kms:RequestAlias");
    }
    Context::open(pairs).with_absent(absent)
}

/// KMS's decision on `action` by `user`, from the IAM decision `identity` (with its evidence line) and the key
/// policy. An unreadable key policy decides only when IAM denies explicitly.
pub fn decide(
    key: &KmsKey,
    user: &KeyUser,
    action: &str,
    identity: (Decision, &str),
) -> Result<KeyAnswer, Outcome> {
    let (iam, iam_line) = identity;
    let answer = |decision, why: String, in_key_policy| KeyAnswer {
        decision,
        why,
        in_key_policy,
    };
    let document = match key.policy.get_ref() {
        Ok(d) => d,
        Err(_) if iam == Decision::ExplicitDeny => {
            return Ok(answer(Decision::ExplicitDeny, format!("IAM: {iam_line}"), false))
        }
        Err(reason) => {
            return Err(Outcome::missing("the key policy", reason)
                .evidence(key_line(key))
                .note("Without the key policy, whether KMS lets the principal use the key cannot be told: a key policy that does not delegate to IAM allows only whom it names."))
        }
    };
    let policy = Policy::parse(document)
        .map_err(|e| Outcome::unknown(format!("cannot read the key policy of {}: {e}", key.arn)))?;
    let principals: Vec<&str> = user.principals.iter().map(String::as_str).collect();
    let req = Request {
        action,
        resource: &key.arn,
        context: &user.context,
    };
    let eval = |grant| {
        evaluate_key_policy(
            &policy,
            "key policy",
            &req,
            &principals,
            &user.account,
            grant,
        )
    };
    let (direct, delegated) = (eval(Grant::Direct), eval(Grant::Account));
    if let Evaluation::ExplicitDeny { by } = &direct {
        return Ok(answer(
            Decision::ExplicitDeny,
            format!("the {by} denies it"),
            true,
        ));
    }
    if iam == Decision::ExplicitDeny {
        return Ok(answer(
            Decision::ExplicitDeny,
            format!("IAM: {iam_line}"),
            false,
        ));
    }
    Ok(combine(key, user, (iam, iam_line), direct, delegated))
}

/// Direct grant, delegation to IAM, and IAM's own decision put together (no explicit deny left).
fn combine(
    key: &KmsKey,
    user: &KeyUser,
    (iam, iam_line): (Decision, &str),
    direct: Evaluation,
    delegated: Evaluation,
) -> KeyAnswer {
    let same_account = key.account == user.account;
    let answer = |decision, why: String, in_key_policy| KeyAnswer {
        decision,
        why,
        in_key_policy,
    };
    let root = format!("arn:{}:iam::{}:root", partition(&key.arn), user.account);
    match (&direct, &delegated) {
        (Evaluation::Allowed { by }, _) if same_account => {
            answer(Decision::Allowed, format!("the {by} names {}", user.who), true)
        }
        (Evaluation::Allowed { by }, _) | (_, Evaluation::Allowed { by }) => match iam {
            Decision::Allowed => answer(
                Decision::Allowed,
                format!("the {by} allows it and so does IAM ({iam_line})"),
                false,
            ),
            Decision::Unknown => answer(Decision::Unknown, format!("IAM: {iam_line}"), false),
            _ => answer(
                iam,
                format!(
                    "the {by} {} and IAM does not allow it ({iam_line})",
                    if same_account {
                        "delegates to IAM through the account principal"
                    } else {
                        "allows it from your account"
                    }
                ),
                false,
            ),
        },
        (Evaluation::Unknown { why }, _) | (_, Evaluation::Unknown { why }) => answer(
            Decision::Unknown,
            format!("the key policy may or may not allow it: {why}"),
            true,
        ),
        _ if same_account => answer(
            Decision::ImplicitDeny,
            format!(
                "the key policy neither names {} nor delegates the action to IAM through the account principal {root}, so IAM policies cannot allow it",
                user.who
            ),
            true,
        ),
        _ => answer(
            Decision::ImplicitDeny,
            format!(
                "the key belongs to account {} and its key policy allows neither {} nor the account {}",
                key.account, user.who, user.account
            ),
            true,
        ),
    }
}

fn partition(arn: &str) -> &str {
    arn.split(':').nth(1).unwrap_or("aws")
}

/// A note for a refusal when the preferences name the key by alias: policies must name the key's ARN.
pub fn alias_note(requested: &str, key: &KmsKey) -> Option<String> {
    requested.contains("alias/").then(|| {
        format!(
            "The preferences name the key by its alias {requested}: KMS authorises the use of key {} against the key's ARN, and a policy statement whose Resource is the alias ARN does not apply to it (KMS \"Use aliases to control access to KMS keys\"; a kms:RequestAlias or kms:ResourceAliases condition may narrow a statement on the key ARN).",
            key.arn
        )
    })
}
