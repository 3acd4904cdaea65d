//! IAM facts: roles with their policy documents, and the caller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A role with every document that decides what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub arn: String,
    pub name: String,
    /// The trust (assume-role) policy document.
    pub trust_policy: serde_json::Value,
    /// Attached managed policies, each with its default version's document.
    #[serde(default)]
    pub attached_policies: Vec<ManagedPolicy>,
    #[serde(default)]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<ManagedPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub document: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicy {
    pub name: String,
    pub document: serde_json::Value,
}

/// From `sts:GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerIdentity {
    pub arn: String,
    pub account: String,
    pub user_id: String,
}

/// The tags of the IAM user or role whose policies decide for the caller (`iam:ListUserTags` / `iam:ListRoleTags`;
/// for an assumed role, the role's). Session tags of an assumed-role or federated session are not among them: no
/// read-only call shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalTags {
    /// The user or role the tags are on.
    pub principal_arn: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// How the local credentials were obtained. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Where they came from: `environment`, `profile`, `sso`, `assume_role`, `process`, `imds`, ...
    pub source: String,
    /// The profile in use, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// True for temporary credentials (a session token is present).
    pub temporary: bool,
    /// RFC 3339 expiry of temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// True when they were issued with MFA (`get-session-token --serial-number`, `mfa_serial`);
    /// absent when that cannot be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_authenticated: Option<bool>,
    /// `role_arn` of the profile, for profiles that assume a role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<String>,
    /// For a profile that assumes a role: the identity of its source profile (`sts:GetCallerIdentity` with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity_arn: Option<String>,
}

/// The caller's own policy documents, for local evaluation when simulation is not allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerPolicies {
    /// The IAM user or role whose policies these are (an assumed role maps to its role).
    pub principal_arn: String,
    /// Every identity policy in force: attached, inline and (for users) those of the user's groups.
    pub policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<ManagedPolicy>,
    /// For a role: its trust policy (who may assume it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<serde_json::Value>,
}

/// The decisions that answer "may the caller do X to Y".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerPermissions {
    /// `simulate_principal_policy` or `local_evaluation`.
    pub method: String,
    /// The principal evaluated (an assumed role maps to its role ARN).
    pub principal_arn: String,
    pub checks: Vec<PermissionCheck>,
    /// What the method does not cover (SCPs, session policies, ...), shown with every result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limitations: Vec<String>,
    /// Whether the caller's policies condition `ssm:StartSession` on `ssm:SessionDocumentAccessCheck`, which makes
    /// even a plain shell session need an explicit grant on its document; absent when that could not be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_document_access_check: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionCheck {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// Whether this answers for the caller as it is now, or as if it had signed in with MFA.
    #[serde(default, skip_serializing_if = "Scenario::is_current")]
    pub scenario: Scenario,
    /// The principal this check is about, when it is not `principal_arn` (e.g. the source user of an AssumeRole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
    /// Context keys given to the evaluation, e.g. `aws:MultiFactorAuthPresent` = [`false`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, Vec<String>>,
    /// The statements (policy and Sid) that decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_statements: Vec<String>,
    /// Why the decision is `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// For a denial: the layer that refused, when the evaluation could tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<super::DeniedBy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
    /// Local evaluation could not decide (an unsupported operator, a context key it does not know).
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// The caller's credentials as they are.
    #[default]
    Current,
    /// The same principal with `aws:MultiFactorAuthPresent` true: tells whether MFA would change the answer.
    WithMfa,
}

impl Scenario {
    pub fn is_current(&self) -> bool {
        *self == Scenario::Current
    }
}
