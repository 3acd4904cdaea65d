//! KMS key policies: who a key policy lets use the key, and whether it does so itself or by delegating to IAM.
//!
//! "Key policies in AWS KMS": "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
//! access to a KMS key." A statement whose principal is the account (`arn:<partition>:iam::<account>:root` or the
//! bare id) delegates to IAM: the principal's IAM policies must then allow the action as well. A statement naming
//! the principal itself (its role or user ARN, its session ARN, or `*`) allows it on its own, in the key's account.

use super::condition::bool_tri;
use super::document::{Policy, Principal};
use super::evaluate::{action_matches, combine, conditions, resource_matches, Evaluation, Request};

/// Which kind of grant to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// A statement that names the principal (or `*`): allows without IAM, in the key's account.
    Direct,
    /// A statement that names the principal's account: allows what IAM also allows.
    Account,
}

/// Evaluates a key policy for one request by `principals` (the forms one principal takes: role ARN and session
/// ARN, or user ARN) of `account`, counting only allows of the kind `grant`. A deny counts whoever it names.
pub fn evaluate_key_policy(
    policy: &Policy,
    policy_name: &str,
    req: &Request,
    principals: &[&str],
    account: &str,
    grant: Grant,
) -> Evaluation {
    combine(&[(policy_name, policy)], |s| {
        let named = match &s.principal {
            None => false,
            Some(p) => names(p, principals, account, grant, s.allow),
        };
        bool_tri(named != s.not_principal)
            .and(|| bool_tri(action_matches(s, req.action)))
            .and(|| resource_matches(s, req))
            .and(|| conditions(s, req.context))
    })
}

fn names(p: &Principal, principals: &[&str], account: &str, grant: Grant, allow: bool) -> bool {
    let (direct, delegated) = match p {
        Principal::Any => (true, false),
        Principal::Named(named) => named
            .iter()
            .filter(|(kind, _)| kind.eq_ignore_ascii_case("AWS"))
            .fold((false, false), |(d, a), (_, v)| {
                (
                    d || v == "*" || principals.contains(&v.as_str()),
                    a || is_account(v, account),
                )
            }),
    };
    match (allow, grant) {
        (false, _) => direct || delegated,
        (true, Grant::Direct) => direct,
        (true, Grant::Account) => delegated,
    }
}

/// `111122223333` or `arn:<partition>:iam::111122223333:root`.
fn is_account(value: &str, account: &str) -> bool {
    value == account
        || (value.ends_with(":root")
            && value.starts_with("arn:")
            && value.split(':').nth(4) == Some(account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Context;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::111122223333:role/ssm-admin";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/ssm-admin/alice";

    fn decide(policy: serde_json::Value, grant: Grant) -> Evaluation {
        let p = Policy::parse(&policy).unwrap();
        let ctx = Context::open::<&str>([]);
        let req = Request {
            action: "kms:GenerateDataKey",
            resource: "arn:aws:kms:us-east-1:111122223333:key/k",
            context: &ctx,
        };
        evaluate_key_policy(
            &p,
            "key policy",
            &req,
            &[ROLE, SESSION],
            "111122223333",
            grant,
        )
    }

    #[test]
    fn the_default_policy_delegates_to_iam_and_names_no_one() {
        let default = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions",
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(decide(default.clone(), Grant::Account).is_allowed());
        assert!(matches!(
            decide(default, Grant::Direct),
            Evaluation::ImplicitDeny { .. }
        ));
        // The bare account id is the same principal; another account's is not.
        let bare = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:GenerateDataKey", "Resource": "*"}]});
        assert!(decide(bare, Grant::Account).is_allowed());
        let other = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(!decide(other, Grant::Account).is_allowed());
    }

    #[test]
    fn a_named_role_is_a_direct_grant_and_a_deny_names_anyone() {
        let named = json!({"Statement": [{"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": [ROLE]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}]});
        assert!(decide(named.clone(), Grant::Direct).is_allowed());
        assert!(!decide(named, Grant::Account).is_allowed());
        let wrong_action = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}]});
        assert!(!decide(wrong_action, Grant::Direct).is_allowed());
        let deny = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "NoOne", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:GenerateDataKey", "Resource": "*"}]});
        assert!(matches!(
            decide(deny.clone(), Grant::Direct),
            Evaluation::ExplicitDeny { .. }
        ));
        assert!(matches!(
            decide(deny, Grant::Account),
            Evaluation::ExplicitDeny { .. }
        ));
        let anyone = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}]});
        // A condition on a key the request does not carry stays undecided.
        assert!(matches!(
            decide(anyone, Grant::Direct),
            Evaluation::Unknown { .. }
        ));
    }
}
