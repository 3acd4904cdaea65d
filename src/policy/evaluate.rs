//! Putting statements together: explicit deny > allow > implicit deny, with boundaries and trust policies.

use super::condition::{self, bool_tri, Tri};
use super::context::{substitute, Context, Unresolved};
use super::document::{Policy, Principal, Statement};
use super::pattern::wildcard_match;

#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// Which statement decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub policy: String,
    pub sid: String,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} statement {}", self.policy, self.sid)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    Allowed {
        by: Source,
    },
    ExplicitDeny {
        by: Source,
    },
    /// Nothing allows it, or the permissions boundary does not.
    ImplicitDeny {
        why: String,
    },
    Unknown {
        why: String,
    },
}

impl Evaluation {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Evaluation::Allowed { .. })
    }
}

/// Evaluates identity policies (named) and an optional permissions boundary for one request.
pub fn evaluate_identity(
    policies: &[(&str, &Policy)],
    boundary: Option<(&str, &Policy)>,
    req: &Request,
) -> Evaluation {
    let identity = combine(policies, |s| match_identity(s, req));
    let Some((name, boundary)) = boundary else {
        return identity;
    };
    match (
        identity,
        combine(&[(name, boundary)], |s| match_identity(s, req)),
    ) {
        (deny @ Evaluation::ExplicitDeny { .. }, _) => deny,
        (_, deny @ Evaluation::ExplicitDeny { .. }) => deny,
        (Evaluation::ImplicitDeny { why }, _) => Evaluation::ImplicitDeny { why },
        // Whatever the identity policies say, a boundary that does not allow the action denies it.
        (_, Evaluation::ImplicitDeny { .. }) => Evaluation::ImplicitDeny {
            why: format!("the permissions boundary {name} does not allow it"),
        },
        (Evaluation::Allowed { by }, Evaluation::Allowed { .. }) => Evaluation::Allowed { by },
        (Evaluation::Unknown { why }, _) | (_, Evaluation::Unknown { why }) => {
            Evaluation::Unknown { why }
        }
    }
}

/// Evaluates a trust policy: may `principal` (`Service`/`AWS` and its value) call `action` (e.g. `sts:AssumeRole`)?
pub fn evaluate_trust(
    policy: &Policy,
    policy_name: &str,
    action: &str,
    principal: (&str, &str),
    ctx: &Context,
) -> Evaluation {
    combine(&[(policy_name, policy)], |s| {
        let principal_ok = match &s.principal {
            None => Tri::False,
            Some(p) => bool_tri(principal_matches(p, principal) != s.not_principal),
        };
        principal_ok
            .and(|| bool_tri(action_matches(s, action)))
            .and(|| conditions(s, ctx))
    })
}

pub(super) fn combine(
    policies: &[(&str, &Policy)],
    matches: impl Fn(&Statement) -> Tri,
) -> Evaluation {
    let mut allowed = None;
    let mut unknown_deny = None;
    let mut unknown_allow = None;
    for (name, policy) in policies {
        for s in &policy.statements {
            let source = || Source {
                policy: name.to_string(),
                sid: s.sid.clone(),
            };
            match (matches(s), s.allow) {
                (Tri::True, false) => return Evaluation::ExplicitDeny { by: source() },
                (Tri::True, true) => {
                    allowed.get_or_insert_with(source);
                }
                (Tri::Unknown(why), false) => {
                    unknown_deny.get_or_insert_with(|| format!("{}: {why}", source()));
                }
                (Tri::Unknown(why), true) => {
                    unknown_allow.get_or_insert_with(|| format!("{}: {why}", source()));
                }
                (Tri::False, _) => {}
            }
        }
    }
    if let Some(why) = unknown_deny {
        // A deny that may or may not apply decides nothing when no statement could allow: denied either way.
        if allowed.is_none() && unknown_allow.is_none() {
            return Evaluation::ImplicitDeny {
                why: format!(
                    "no statement allows it (a deny that may apply would not change that: {why})"
                ),
            };
        }
        return Evaluation::Unknown { why };
    }
    match (allowed, unknown_allow) {
        (Some(by), _) => Evaluation::Allowed { by },
        (None, Some(why)) => Evaluation::Unknown { why },
        (None, None) => Evaluation::ImplicitDeny {
            why: "no statement allows it".into(),
        },
    }
}

fn match_identity(s: &Statement, req: &Request) -> Tri {
    bool_tri(action_matches(s, req.action))
        .and(|| resource_matches(s, req))
        .and(|| conditions(s, req.context))
}

pub(super) fn action_matches(s: &Statement, action: &str) -> bool {
    s.actions.iter().any(|a| wildcard_match(a, action, true)) != s.not_action
}

pub(super) fn resource_matches(s: &Statement, req: &Request) -> Tri {
    let Some(resources) = &s.resources else {
        return Tri::False;
    };
    let mut unknown = None;
    for r in resources {
        match substitute(r, req.context, s.variables) {
            // One element that matches decides, whatever the others are.
            Ok(pattern) if wildcard_match(&pattern, req.resource, false) => {
                return bool_tri(!s.not_resource)
            }
            Ok(_) => {}
            // AWS: an element whose variable has no value in the request does not match. Under NotResource the
            // reading matters and AWS's pages give two: the value is "effectively null" (so nothing is excluded),
            // or the statement is invalid (so it does not apply). Neither is picked.
            Err(Unresolved::Absent) if s.not_resource => {
                unknown.get_or_insert(format!(
                    "NotResource element {r} names a variable with no value, which AWS documents both as \
                     an effectively null value and as making the statement invalid"
                ));
            }
            Err(Unresolved::Absent) => {}
            Err(Unresolved::Unknown(why)) => {
                unknown.get_or_insert(why);
            }
        }
    }
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => bool_tri(s.not_resource),
    }
}

pub(super) fn conditions(s: &Statement, ctx: &Context) -> Tri {
    match &s.condition {
        None => Tri::True,
        Some(block) => condition::evaluate(block, ctx, s.variables),
    }
}

fn principal_matches(p: &Principal, (kind, value): (&str, &str)) -> bool {
    let Principal::Named(named) = p else {
        return true;
    };
    named.iter().any(|(k, v)| {
        if !k.eq_ignore_ascii_case(kind) {
            return false;
        }
        if !kind.eq_ignore_ascii_case("AWS") {
            return v.eq_ignore_ascii_case(value);
        }
        // An account (id or `:root`) trusts every principal of that account.
        let account = |arn: &str| arn.split(':').nth(4).map(str::to_string);
        let trusted_account = if v.len() == 12 && v.chars().all(|c| c.is_ascii_digit()) {
            Some(v.clone())
        } else if v.ends_with(":root") {
            account(v)
        } else {
            None
        };
        v == "*"
            || v == value
            || trusted_account
                .is_some_and(|a| account(value).as_deref() == Some(a.as_str()) || a == value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: serde_json::Value) -> Policy {
        Policy::parse(&v).unwrap()
    }

    fn req<'a>(action: &'a str, resource: &'a str, ctx: &'a Context) -> Request<'a> {
        Request {
            action,
            resource,
            context: ctx,
        }
    }

    #[test]
    fn explicit_deny_beats_allow() {
        let ctx = Context::closed::<&str>([]);
        let allow = policy(
            json!({"Statement": [{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}]}),
        );
        let deny = policy(
            json!({"Statement": [{"Sid": "NoData", "Effect": "Deny", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}]}),
        );
        let r = req("ssmmessages:OpenDataChannel", "*", &ctx);
        let out = evaluate_identity(&[("core", &allow), ("guard", &deny)], None, &r);
        assert_eq!(
            out,
            Evaluation::ExplicitDeny {
                by: Source {
                    policy: "guard".into(),
                    sid: "NoData".into()
                }
            }
        );
        let other = req("ssmmessages:CreateControlChannel", "*", &ctx);
        assert!(
            evaluate_identity(&[("core", &allow), ("guard", &deny)], None, &other).is_allowed()
        );
    }

    #[test]
    fn boundary_must_allow_too() {
        let ctx = Context::closed::<&str>([]);
        let allow = policy(
            json!({"Statement": [{"Effect": "Allow", "Action": ["ssm:*", "ssmmessages:*"], "Resource": "*"}]}),
        );
        let boundary =
            policy(json!({"Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}));
        let r = req("ssmmessages:OpenControlChannel", "*", &ctx);
        assert!(matches!(
            evaluate_identity(&[("p", &allow)], Some(("b", &boundary)), &r),
            Evaluation::ImplicitDeny { why } if why.contains("boundary b")
        ));
        let r = req("ssm:UpdateInstanceInformation", "*", &ctx);
        assert!(evaluate_identity(&[("p", &allow)], Some(("b", &boundary)), &r).is_allowed());
    }

    #[test]
    fn resources_and_policy_variables() {
        // The policy of the article rdp-requirements: StartSession on one instance and the port-forwarding document only.
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": [
                "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0c678d2c038786416",
                "arn:aws:ssm:ap-northeast-1::document/AWS-StartPortForwardingSession"]},
            {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
             "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}]}));
        let ctx = Context::closed([("aws:username", "hoge")]);
        let yes = req(
            "ssm:StartSession",
            "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0c678d2c038786416",
            &ctx,
        );
        let other = req(
            "ssm:StartSession",
            "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa",
            &ctx,
        );
        let own = req(
            "ssm:TerminateSession",
            "arn:aws:ssm:ap-northeast-1:111122223333:session/hoge-0a1b2c",
            &ctx,
        );
        let theirs = req(
            "ssm:TerminateSession",
            "arn:aws:ssm:ap-northeast-1:111122223333:session/fuga-0a1b2c",
            &ctx,
        );
        for (r, allowed) in [(yes, true), (other, false), (own, true), (theirs, false)] {
            assert_eq!(
                evaluate_identity(&[("p", &p)], None, &r).is_allowed(),
                allowed,
                "{r:?}"
            );
        }
        // A role has no aws:username: the statement cannot match (AWS recommends ${aws:userid} for roles).
        let role = Context::closed([("aws:userid", "AROAEXAMPLE:botocore-session-1")]);
        let as_role = req(
            "ssm:TerminateSession",
            "arn:aws:ssm:r:1:session/botocore-session-1-0a1b",
            &role,
        );
        assert!(matches!(
            evaluate_identity(&[("p", &p)], None, &as_role),
            Evaluation::ImplicitDeny { .. }
        ));
        let open = Context::open::<&str>([]);
        let unknown = req("ssm:TerminateSession", "arn:aws:ssm:r:1:session/x-1", &open);
        assert!(matches!(
            evaluate_identity(&[("p", &p)], None, &unknown),
            Evaluation::Unknown { .. }
        ));
    }

    #[test]
    fn variables_need_the_2012_version_and_may_have_defaults() {
        let ctx = Context::closed([("aws:username", "hoge")]);
        let statement = json!({"Effect": "Allow", "Action": "ssm:TerminateSession",
            "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"});
        let own = req(
            "ssm:TerminateSession",
            "arn:aws:ssm:r:1:session/hoge-1",
            &ctx,
        );
        let versioned = policy(json!({"Version": "2012-10-17", "Statement": [statement.clone()]}));
        assert!(evaluate_identity(&[("p", &versioned)], None, &own).is_allowed());
        // Without "Version": "2012-10-17", `${aws:username}` is literal text.
        let old = policy(json!({"Version": "2008-10-17", "Statement": [statement.clone()]}));
        let none = policy(json!({"Statement": [statement]}));
        for p in [&old, &none] {
            assert!(!evaluate_identity(&[("p", p)], None, &own).is_allowed());
            let literal = req(
                "ssm:TerminateSession",
                "arn:aws:ssm:r:1:session/${aws:username}-1",
                &ctx,
            );
            assert!(evaluate_identity(&[("p", p)], None, &literal).is_allowed());
        }
        // A default stands in for an absent key.
        let role = Context::closed([("aws:userid", "AROAEXAMPLE:s")]);
        let defaulted = policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/${aws:username, 'nobody'}-*"}]}),
        );
        let nobody = req(
            "ssm:TerminateSession",
            "arn:aws:ssm:r:1:session/nobody-1",
            &role,
        );
        assert!(evaluate_identity(&[("p", &defaulted)], None, &nobody).is_allowed());
        // `${*}` is a literal star, not a wildcard.
        let star = policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:r:1:document/${*}"}]}),
        );
        let any_doc = req(
            "ssm:StartSession",
            "arn:aws:ssm:r:1:document/AWS-StartSSHSession",
            &ctx,
        );
        assert!(!evaluate_identity(&[("p", &star)], None, &any_doc).is_allowed());
    }

    #[test]
    fn one_matching_element_decides_a_resource_list() {
        let open = Context::open::<&str>([]);
        let p = policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ssm:*:*:session/${aws:userid}-*", "arn:aws:ec2:*:*:instance/*"]}]}),
        );
        let instance = req("ssm:StartSession", "arn:aws:ec2:r:1:instance/i-1", &open);
        assert!(evaluate_identity(&[("p", &p)], None, &instance).is_allowed());
        let session = req("ssm:StartSession", "arn:aws:ssm:r:1:session/x-1", &open);
        assert!(matches!(
            evaluate_identity(&[("p", &p)], None, &session),
            Evaluation::Unknown { .. }
        ));
    }

    #[test]
    fn an_undecided_deny_with_nothing_allowing_is_a_denial() {
        let open = Context::open::<&str>([]);
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "ssm:*", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}]}));
        let r = req("ssm:StartSession", "arn:aws:ec2:r:1:instance/i-1", &open);
        assert!(matches!(
            evaluate_identity(&[("p", &p)], None, &r),
            Evaluation::ImplicitDeny { .. }
        ));
    }

    #[test]
    fn not_action_and_unknown_deny() {
        let ctx = Context::open::<&str>([]);
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:*", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}]}));
        assert!(evaluate_identity(
            &[("p", &p)],
            None,
            &req("ec2messages:GetMessages", "*", &ctx)
        )
        .is_allowed());
        assert!(
            !evaluate_identity(&[("p", &p)], None, &req("iam:PassRole", "*", &ctx)).is_allowed()
        );
        assert!(matches!(
            evaluate_identity(
                &[("p", &p)],
                None,
                &req("ssm:UpdateInstanceInformation", "*", &ctx)
            ),
            Evaluation::Unknown { .. }
        ));
    }

    #[test]
    fn trust_policies() {
        let ctx = Context::closed::<&str>([]);
        let ec2 = policy(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        );
        assert!(evaluate_trust(
            &ec2,
            "trust",
            "sts:AssumeRole",
            ("Service", "ec2.amazonaws.com"),
            &ctx
        )
        .is_allowed());
        assert!(!evaluate_trust(
            &ec2,
            "trust",
            "sts:AssumeRole",
            ("Service", "ssm.amazonaws.com"),
            &ctx
        )
        .is_allowed());
        // The article ssh-assume-role: the system account trusts the central account's root.
        let central = policy(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"]}, "Action": "sts:AssumeRole", "Condition": {}}]}),
        );
        let user = ("AWS", "arn:aws:iam::444455556666:user/sugimura");
        let stranger = ("AWS", "arn:aws:iam::777788889999:user/sugimura");
        assert!(evaluate_trust(&central, "trust", "sts:AssumeRole", user, &ctx).is_allowed());
        assert!(!evaluate_trust(&central, "trust", "sts:AssumeRole", stranger, &ctx).is_allowed());
    }
}
