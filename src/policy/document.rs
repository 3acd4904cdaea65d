//! Parsing policy documents from their JSON (strings or lists wherever IAM allows either).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The Sid, or `#n` (its position) when it has none.
    pub sid: String,
    pub allow: bool,
    /// `Action` (false) or `NotAction` (true).
    pub not_action: bool,
    pub actions: Vec<String>,
    /// `None` when the statement names no resource (trust policies).
    pub resources: Option<Vec<String>>,
    pub not_resource: bool,
    pub principal: Option<Principal>,
    pub not_principal: bool,
    /// `Condition`, kept as JSON: operator → key → values.
    pub condition: Option<serde_json::Map<String, Value>>,
    /// Whether `${…}` is a policy variable here: only in policies of `"Version": "2012-10-17"`; in any other
    /// policy it is literal text (IAM User Guide, "IAM JSON policy elements: Version").
    pub variables: bool,
}

/// A `Principal` element.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Any,
    /// Pairs of type (`AWS`, `Service`, `Federated`, `CanonicalUser`) and value.
    Named(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed policy document: {0}")]
pub struct PolicyError(pub String);

impl Policy {
    pub fn parse(doc: &Value) -> Result<Policy, PolicyError> {
        // Documents fetched from IAM are sometimes URL-encoded JSON strings.
        if let Value::String(s) = doc {
            let inner: Value =
                serde_json::from_str(s).map_err(|e| PolicyError(format!("not JSON: {e}")))?;
            return Policy::parse(&inner);
        }
        let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let stmts = doc
            .get("Statement")
            .ok_or_else(|| PolicyError("no Statement".into()))?;
        let list: Vec<&Value> = match stmts {
            Value::Array(a) => a.iter().collect(),
            Value::Object(_) => vec![stmts],
            _ => {
                return Err(PolicyError(
                    "Statement is neither a list nor an object".into(),
                ))
            }
        };
        let statements = list
            .into_iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(s, i, variables))
            .collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }
}

impl Statement {
    fn parse(s: &Value, index: usize, variables: bool) -> Result<Statement, PolicyError> {
        let sid = s
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", index + 1));
        let allow = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            Some(other) => {
                return Err(PolicyError(format!(
                    "statement {sid}: Effect is `{other}`, not Allow or Deny"
                )))
            }
            None => return Err(PolicyError(format!("statement {sid} has no Effect"))),
        };
        let (not_action, actions) = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) => (false, strings(a, &sid, "Action")?),
            (None, Some(a)) => (true, strings(a, &sid, "NotAction")?),
            _ => {
                return Err(PolicyError(format!(
                    "statement {sid}: needs exactly one of Action and NotAction"
                )))
            }
        };
        let (not_resource, resources) = match (s.get("Resource"), s.get("NotResource")) {
            (Some(r), None) => (false, Some(strings(r, &sid, "Resource")?)),
            (None, Some(r)) => (true, Some(strings(r, &sid, "NotResource")?)),
            (None, None) => (false, None),
            _ => {
                return Err(PolicyError(format!(
                    "statement {sid}: has both Resource and NotResource"
                )))
            }
        };
        let (not_principal, principal) = match (s.get("Principal"), s.get("NotPrincipal")) {
            (Some(p), None) => (false, Some(principal(p, &sid)?)),
            (None, Some(p)) => (true, Some(principal(p, &sid)?)),
            _ => (false, None),
        };
        let condition = match s.get("Condition") {
            None => None,
            Some(Value::Object(m)) if m.is_empty() => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => {
                return Err(PolicyError(format!(
                    "statement {sid}: Condition is not an object"
                )))
            }
        };
        Ok(Statement {
            sid,
            allow,
            not_action,
            actions,
            resources,
            not_resource,
            principal,
            not_principal,
            condition,
            variables,
        })
    }
}

fn strings(v: &Value, sid: &str, field: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    PolicyError(format!("statement {sid}: {field} has a non-string"))
                })
            })
            .collect(),
        _ => Err(PolicyError(format!(
            "statement {sid}: {field} is neither a string nor a list"
        ))),
    }
}

fn principal(v: &Value, sid: &str) -> Result<Principal, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(Principal::Any),
        Value::Object(m) => {
            let mut named = Vec::new();
            for (kind, values) in m {
                for value in strings(values, sid, "Principal")? {
                    named.push((kind.clone(), value));
                }
            }
            Ok(Principal::Named(named))
        }
        _ => Err(PolicyError(format!(
            "statement {sid}: Principal is malformed"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_single_statements_strings_and_encoded_documents() {
        let p = Policy::parse(
            &json!({"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}),
        )
        .unwrap();
        assert_eq!(p.statements[0].actions, vec!["ssm:*"]);
        assert_eq!(p.statements[0].sid, "#1");
        let encoded = json!("{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\"],\"Resource\":\"*\"}]}");
        let p = Policy::parse(&encoded).unwrap();
        assert!(p.statements[0].not_action && !p.statements[0].allow);
        assert_eq!(p.statements[0].sid, "A");
    }

    #[test]
    fn rejects_malformed_statements() {
        assert!(Policy::parse(&json!({})).is_err());
        assert!(
            Policy::parse(&json!({"Statement": [{"Effect": "Maybe", "Action": "*"}]})).is_err()
        );
        assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow"}]})).is_err());
        assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": 3}]})).is_err());
    }
}
