//! `Fact<T>`: a value that was seen, or the reason it could not be.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One gathered fact. Rules must treat `Unavailable` as "could not see", never as a pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fact<T> {
    Known { value: T },
    Unavailable { reason: Unavailable },
}

/// A fact a computation needed and did not have.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub what: &'static str,
    pub reason: Unavailable,
}

/// Why a fact is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Unavailable {
    /// The credentials lack `action`; granting it would reveal the fact.
    AccessDenied {
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The thing does not exist (e.g. no such instance in this region). This is itself evidence.
    NotFound { what: String },
    /// The fact has no meaning here (e.g. VPC facts of a hybrid `mi-` node).
    NotApplicable { why: String },
    /// The gatherer did not look (it depends on another missing fact, or was switched off).
    NotGathered { why: String },
    /// The call failed for another reason.
    Error { message: String },
}

impl<T> Fact<T> {
    pub fn known(value: T) -> Self {
        Fact::Known { value }
    }

    pub fn unavailable(reason: Unavailable) -> Self {
        Fact::Unavailable { reason }
    }

    pub fn not_gathered(why: impl Into<String>) -> Self {
        Fact::Unavailable {
            reason: Unavailable::NotGathered { why: why.into() },
        }
    }

    pub fn not_applicable(why: impl Into<String>) -> Self {
        Fact::Unavailable {
            reason: Unavailable::NotApplicable { why: why.into() },
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Fact::Known { value } => Some(value),
            Fact::Unavailable { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&Unavailable> {
        match self {
            Fact::Known { .. } => None,
            Fact::Unavailable { reason } => Some(reason),
        }
    }

    /// The value, or the reason it is missing.
    pub fn get_ref(&self) -> Result<&T, &Unavailable> {
        match self {
            Fact::Known { value } => Ok(value),
            Fact::Unavailable { reason } => Err(reason),
        }
    }

    /// The value, or which fact is missing and why: lets rules return early with `?`.
    pub fn need(&self, what: &'static str) -> Result<&T, Missing> {
        match self {
            Fact::Known { value } => Ok(value),
            Fact::Unavailable { reason } => Err(Missing {
                what,
                reason: reason.clone(),
            }),
        }
    }
}

impl<T> Default for Fact<T> {
    fn default() -> Self {
        Fact::not_gathered("not in this facts document")
    }
}

impl Unavailable {
    /// The IAM action that would reveal the fact, when the reason is a denial.
    pub fn missing_action(&self) -> Option<&str> {
        match self {
            Unavailable::AccessDenied { action, .. } => Some(action),
            _ => None,
        }
    }

    /// One line for a report: what stopped us from seeing the fact.
    pub fn describe(&self) -> String {
        match self {
            Unavailable::AccessDenied { action, .. } => format!("access denied: needs {action}"),
            Unavailable::NotFound { what } => format!("not found: {what}"),
            Unavailable::NotApplicable { why } => format!("not applicable: {why}"),
            Unavailable::NotGathered { why } => format!("not gathered: {why}"),
            Unavailable::Error { message } => format!("error: {message}"),
        }
    }
}
