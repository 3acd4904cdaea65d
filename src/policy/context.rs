//! The request context an IAM evaluation sees: condition keys and their values, and policy variables resolved
//! from them. A leaf of the evaluator: conditions and statements both read it.

use std::collections::{BTreeMap, BTreeSet};

/// The request context: condition keys and their values.
///
/// A *closed* context knows every key of the request, so a key it lacks is absent (as for long-term keys,
/// which carry no `aws:MultiFactorAuthPresent`). An *open* context only knows some keys, so a condition on any
/// other key is Unknown.
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
    /// Keys known not to be in the request, in an otherwise open context.
    absent: BTreeSet<String>,
    closed: bool,
    /// Families of keys (`aws:principaltag/`) whose every member not in `values` is absent: the tags are all known.
    absent_prefixes: BTreeSet<String>,
}

pub(super) enum Lookup<'a> {
    Values(&'a [String]),
    Absent,
    Unknown,
}

impl Context {
    pub fn closed<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, K)>) -> Self {
        Self::build(pairs, true)
    }

    pub fn open<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, K)>) -> Self {
        Self::build(pairs, false)
    }

    fn build<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, K)>, closed: bool) -> Self {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            values
                .entry(k.as_ref().to_ascii_lowercase())
                .or_default()
                .push(v.as_ref().to_string());
        }
        Context {
            values,
            absent: Default::default(),
            closed,
            absent_prefixes: Default::default(),
        }
    }

    /// Marks keys as certainly absent from the request (e.g. `aws:MultiFactorAuthPresent` for long-term keys),
    /// while other unknown keys stay Unknown.
    pub fn with_absent<K: AsRef<str>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.absent
            .extend(keys.into_iter().map(|k| k.as_ref().to_ascii_lowercase()));
        self
    }

    /// Marks every key that begins with one of `prefixes` (e.g. `aws:PrincipalTag/`) and has no value here as
    /// certainly absent: for tags that are all known, a tag that is not there is absent, not unknown.
    pub fn with_absent_prefixes<K: AsRef<str>>(
        mut self,
        prefixes: impl IntoIterator<Item = K>,
    ) -> Self {
        self.absent_prefixes.extend(
            prefixes
                .into_iter()
                .map(|k| k.as_ref().to_ascii_lowercase()),
        );
        self
    }

    /// Condition keys are case-insensitive.
    pub(super) fn lookup(&self, key: &str) -> Lookup<'_> {
        let key = key.to_ascii_lowercase();
        let in_known_family = || {
            self.absent_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
        };
        match self.values.get(&key) {
            Some(v) => Lookup::Values(v),
            None if self.closed || self.absent.contains(&key) || in_known_family() => {
                Lookup::Absent
            }
            None => Lookup::Unknown,
        }
    }
}

/// Why a policy variable has no value.
pub(super) enum Unresolved {
    /// The key is certainly not in the request (e.g. `aws:username` for a role): the element cannot match.
    Absent,
    /// The key's value is not known here.
    Unknown(String),
}

/// Stand-ins for `${*}` and `${?}` in a substituted pattern: the literal characters, which a wildcard must not read
/// as wildcards (see `pattern::wildcard_match`).
pub(super) const LITERAL_STAR: char = '\u{E000}';
pub(super) const LITERAL_QUESTION: char = '\u{E001}';

/// Replaces `${key}` policy variables from the context, when the policy's version has variables at all
/// (`variables`). `${key, 'default'}` falls back to the default when the key is absent; `${*}`, `${?}` and `${$}`
/// are the literal characters.
pub(super) fn substitute(text: &str, ctx: &Context, variables: bool) -> Result<String, Unresolved> {
    if !variables {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &rest[start + 2..start + len];
        match inner {
            "*" => out.push(LITERAL_STAR),
            "?" => out.push(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = split_default(inner);
                match (ctx.lookup(key), default) {
                    (Lookup::Values([v]), _) => out.push_str(v),
                    (Lookup::Absent, Some(d)) => out.push_str(d),
                    (Lookup::Absent, None) => return Err(Unresolved::Absent),
                    _ => {
                        return Err(Unresolved::Unknown(format!(
                            "policy variable ${{{key}}} has no single known value"
                        )))
                    }
                }
            }
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `aws:username, 'nobody'` → (`aws:username`, Some(`nobody`)).
fn split_default(inner: &str) -> (&str, Option<&str>) {
    match inner.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (key.trim(), Some(d))
        }
        None => (inner.trim(), None),
    }
}
