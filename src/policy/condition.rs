//! The `Condition` element: operators, `…IfExists`, `ForAnyValue:`/`ForAllValues:` and missing keys,
//! as AWS documents them ("IAM JSON policy elements: Condition operators"). Anything it does not know is
//! `Tri::Unknown`.

use super::context::{substitute, Context, Lookup, Unresolved};
use super::pattern::{literal_text, wildcard_match};
use ipnet::IpNet;
use serde_json::{Map, Value};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq)]
pub enum Tri {
    True,
    False,
    Unknown(String),
}

impl Tri {
    pub fn and(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::False => Tri::False,
            Tri::True => other(),
            Tri::Unknown(why) => match other() {
                Tri::False => Tri::False,
                _ => Tri::Unknown(why),
            },
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Single,
    AnyValue,
    AllValues,
}

/// Evaluates a whole Condition block: every operator and every key must hold. `variables` says whether the
/// policy's version substitutes `${…}` in the values.
pub fn evaluate(block: &Map<String, Value>, ctx: &Context, variables: bool) -> Tri {
    let mut result = Tri::True;
    for (operator, keys) in block {
        let Value::Object(keys) = keys else {
            return Tri::Unknown(format!("condition {operator} is not an object"));
        };
        for (key, expected) in keys {
            let one = evaluate_key(operator, key, expected, ctx, variables);
            result = result.and(|| one);
            if result == Tri::False {
                return Tri::False;
            }
        }
    }
    result
}

fn evaluate_key(
    operator: &str,
    key: &str,
    expected: &Value,
    ctx: &Context,
    variables: bool,
) -> Tri {
    let (set, op) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (SetOp::AnyValue, rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (SetOp::AllValues, rest)
    } else {
        (SetOp::Single, operator)
    };
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let expected: Vec<String> = match expected {
        Value::Array(a) => a.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    let Some((negated, matcher)) = matcher(op) else {
        return Tri::Unknown(format!("condition operator {operator} is not supported"));
    };
    let actual = match ctx.lookup(key) {
        Lookup::Unknown => return Tri::Unknown(format!("context key {key} is not known")),
        Lookup::Absent => None,
        Lookup::Values(v) => Some(v),
    };
    if op == "Null" {
        let wants_absent = expected.iter().any(|e| e.eq_ignore_ascii_case("true"));
        return bool_tri(actual.is_none() == wants_absent);
    }
    let Some(actual) = actual else {
        // AWS: a missing key fails a positive test, passes a negated one, `IfExists` and `ForAllValues`.
        return bool_tri(if_exists || negated || set == SetOp::AllValues);
    };
    let mut resolved = Vec::with_capacity(expected.len());
    for e in &expected {
        match substitute(e, ctx, variables) {
            Ok(s) => resolved.push(s),
            // A value built from an absent key matches nothing.
            Err(Unresolved::Absent) => {}
            Err(Unresolved::Unknown(why)) => return Tri::Unknown(why),
        }
    }
    let mut unknown = None;
    let mut matches_any = |value: &str| -> bool {
        resolved.iter().any(|e| match matcher(e, value) {
            Some(m) => m,
            None => {
                unknown = Some(format!(
                    "cannot compare {key} value `{value}` with `{e}` by {op}"
                ));
                false
            }
        })
    };
    let positive = match set {
        SetOp::Single | SetOp::AnyValue => {
            if negated {
                actual.iter().any(|v| !matches_any(v))
            } else {
                actual.iter().any(|v| matches_any(v))
            }
        }
        SetOp::AllValues => {
            if negated {
                actual.iter().all(|v| !matches_any(v))
            } else {
                actual.iter().all(|v| matches_any(v))
            }
        }
    };
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => bool_tri(positive),
    }
}

type Matcher = fn(&str, &str) -> Option<bool>;

/// The base operator: whether it is negated, and how one expected value matches one actual value
/// (`None` when the values cannot be compared that way).
fn matcher(op: &str) -> Option<(bool, Matcher)> {
    Some(match op {
        "StringEquals" => (false, |e, a| Some(literal_text(e) == a)),
        "StringNotEquals" => (true, |e, a| Some(literal_text(e) == a)),
        "StringEqualsIgnoreCase" => (false, |e, a| Some(literal_text(e).eq_ignore_ascii_case(a))),
        "StringNotEqualsIgnoreCase" => (true, |e, a| Some(literal_text(e).eq_ignore_ascii_case(a))),
        "StringLike" => (false, |e, a| Some(wildcard_match(e, a, false))),
        "StringNotLike" => (true, |e, a| Some(wildcard_match(e, a, false))),
        // ArnEquals and ArnLike are the same test: component by component, wildcards within each.
        "ArnLike" | "ArnEquals" => (false, |e, a| Some(arn_like(e, a))),
        "ArnNotLike" | "ArnNotEquals" => (true, |e, a| Some(arn_like(e, a))),
        "Bool" => (false, |e, a| Some(e.eq_ignore_ascii_case(a))),
        "NumericEquals" => (false, |e, a| numeric(e, a, |x, y| x == y)),
        "NumericNotEquals" => (true, |e, a| numeric(e, a, |x, y| x == y)),
        "NumericLessThan" => (false, |e, a| numeric(e, a, |x, y| y < x)),
        "NumericLessThanEquals" => (false, |e, a| numeric(e, a, |x, y| y <= x)),
        "NumericGreaterThan" => (false, |e, a| numeric(e, a, |x, y| y > x)),
        "NumericGreaterThanEquals" => (false, |e, a| numeric(e, a, |x, y| y >= x)),
        "DateEquals" => (false, |e, a| date(e, a, |x, y| x == y)),
        "DateNotEquals" => (true, |e, a| date(e, a, |x, y| x == y)),
        "DateLessThan" => (false, |e, a| date(e, a, |x, y| y < x)),
        "DateLessThanEquals" => (false, |e, a| date(e, a, |x, y| y <= x)),
        "DateGreaterThan" => (false, |e, a| date(e, a, |x, y| y > x)),
        "DateGreaterThanEquals" => (false, |e, a| date(e, a, |x, y| y >= x)),
        "IpAddress" => (false, ip_in),
        "NotIpAddress" => (true, ip_in),
        // Null is decided by presence alone; the matcher is not used.
        "Null" => (false, |_, _| Some(false)),
        _ => return None,
    })
}

/// ARNs compared as AWS does for `ArnLike`: each of the six colon-separated parts on its own, wildcards
/// matching within a part (the last part, the resource, may itself hold colons). A value that is not a
/// six-part ARN matches nothing.
fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| wildcard_match(p, a, false))
}

fn numeric(e: &str, a: &str, f: fn(f64, f64) -> bool) -> Option<bool> {
    Some(f(e.parse().ok()?, a.parse().ok()?))
}

/// Dates as IAM reads them: ISO 8601 (a date, or a date and time with a zone) or seconds since the epoch.
fn date(e: &str, a: &str, f: fn(i64, i64) -> bool) -> Option<bool> {
    Some(f(epoch_seconds(e)?, epoch_seconds(a)?))
}

fn epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    let day: jiff::civil::Date = text.parse().ok()?;
    Some(
        day.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

fn ip_in(e: &str, a: &str) -> Option<bool> {
    let addr: IpAddr = a.parse().ok()?;
    let net: IpNet = e
        .parse()
        .ok()
        .or_else(|| e.parse::<IpAddr>().ok().map(IpNet::from))?;
    Some(net.contains(&addr))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn bool_tri(b: bool) -> Tri {
    if b {
        Tri::True
    } else {
        Tri::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(block: Value, ctx: &Context) -> Tri {
        evaluate(block.as_object().unwrap(), ctx, true)
    }

    #[test]
    fn mfa_deny_conditions() {
        let no_mfa = Context::closed([("aws:MultiFactorAuthPresent", "false")]);
        let mfa = Context::closed([("aws:MultiFactorAuthPresent", "true")]);
        let long_term = Context::closed::<&str>([]);
        let bool_if_exists = json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}});
        assert_eq!(eval(bool_if_exists.clone(), &no_mfa), Tri::True);
        assert_eq!(eval(bool_if_exists.clone(), &mfa), Tri::False);
        // Long-term keys carry no MFA key at all: IfExists makes the deny apply.
        assert_eq!(eval(bool_if_exists, &long_term), Tri::True);
        let plain_bool = json!({"Bool": {"aws:MultiFactorAuthPresent": false}});
        assert_eq!(eval(plain_bool, &long_term), Tri::False);
        let null = json!({"Null": {"aws:MultiFactorAuthPresent": "true"}});
        assert_eq!(eval(null.clone(), &long_term), Tri::True);
        assert_eq!(eval(null, &mfa), Tri::False);
    }

    #[test]
    fn a_tag_family_known_in_full_makes_a_missing_tag_absent() {
        let tags = Context::open([("aws:PrincipalTag/Team", "ops")])
            .with_absent_prefixes(["aws:PrincipalTag/"]);
        let team = json!({"StringEquals": {"aws:PrincipalTag/team": "ops"}});
        assert_eq!(eval(team, &tags), Tri::True);
        // A tag the principal does not have: absent, so the condition is false (and IfExists true), not unknown.
        let env = json!({"StringEquals": {"aws:PrincipalTag/Env": "prod"}});
        assert_eq!(eval(env.clone(), &tags), Tri::False);
        let if_exists = json!({"StringEqualsIfExists": {"aws:PrincipalTag/Env": "prod"}});
        assert_eq!(eval(if_exists, &tags), Tri::True);
        // Keys outside the family stay unknown, and without the family known the missing tag is unknown too.
        let ip = json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}});
        assert!(matches!(eval(ip, &tags), Tri::Unknown(_)));
        let partial = Context::open([("aws:PrincipalTag/Team", "ops")]);
        assert!(matches!(eval(env, &partial), Tri::Unknown(_)));
    }

    #[test]
    fn negated_and_set_operators() {
        let ctx = Context::closed([("aws:SourceIp", "203.0.113.7"), ("aws:username", "hoge")]);
        assert_eq!(
            eval(
                json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
                &ctx
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
                &ctx
            ),
            Tri::False
        );
        assert_eq!(
            eval(
                json!({"StringNotEquals": {"aws:RequestedRegion": "x"}}),
                &ctx
            ),
            Tri::True
        );
        assert_eq!(
            eval(json!({"StringLike": {"aws:username": "ho*"}}), &ctx),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}),
                &ctx
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}),
                &ctx
            ),
            Tri::False
        );
    }

    #[test]
    fn unknown_operators_and_keys_are_unknown() {
        let open = Context::open::<&str>([]);
        assert!(matches!(
            eval(json!({"Bool": {"aws:SecureTransport": "true"}}), &open),
            Tri::Unknown(_)
        ));
        let closed = Context::closed([("aws:SourceIp", "203.0.113.7")]);
        assert!(matches!(
            eval(json!({"BinaryEquals": {"aws:SourceIp": "AAAA"}}), &closed),
            Tri::Unknown(_)
        ));
        // An unknown that another key already refutes is still a refusal.
        let ctx = Context::closed([("aws:username", "x")]);
        assert_eq!(
            eval(
                json!({"BinaryEquals": {"aws:CurrentTime": "1"}, "StringEquals": {"aws:username": "y"}}),
                &ctx
            ),
            Tri::False
        );
    }

    #[test]
    fn dates_and_missing_date_keys() {
        let now = Context::closed([("aws:CurrentTime", "2026-11-23T12:00:00Z")]);
        let after = json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}});
        assert_eq!(eval(after, &now), Tri::True);
        let before = json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01"}});
        assert_eq!(eval(before, &now), Tri::False);
        let epoch = json!({"DateGreaterThan": {"aws:CurrentTime": 1_700_000_000}});
        assert_eq!(eval(epoch, &now), Tri::True);
        // Long-term keys carry no aws:TokenIssueTime: a plain test fails, IfExists passes (AWS's missing-key rule).
        let absent = Context::open::<&str>([]).with_absent(["aws:TokenIssueTime"]);
        let issued = json!({"DateGreaterThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}});
        assert_eq!(eval(issued, &absent), Tri::False);
        let if_exists =
            json!({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}});
        assert_eq!(eval(if_exists, &absent), Tri::True);
    }

    #[test]
    fn arns_are_compared_part_by_part() {
        let ctx = Context::closed([("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")]);
        let like = |p: &str| eval(json!({"ArnLike": {"aws:PrincipalArn": p}}), &ctx);
        assert_eq!(like("arn:aws:iam::*:user/al*"), Tri::True);
        // One wildcard string would let `*` run across the colons; part by part it cannot.
        assert_eq!(like("arn:aws:iam::*"), Tri::False);
        assert_eq!(like("arn:*:user/alice"), Tri::False);
        assert_eq!(like("arn:aws:iam::111122223333:user/alice"), Tri::True);
        assert_eq!(
            eval(
                json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}),
                &ctx
            ),
            Tri::True
        );
        assert_eq!(
            eval(
                json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
                &ctx
            ),
            Tri::True
        );
    }
}
