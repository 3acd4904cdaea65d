//! Access layers: the session encryption key and just-in-time node access (facts of a region, shared by its
//! targets), and which policy layer refused a permission.

use super::Fact;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The KMS key the session preferences name (`kmsKeyId`), resolved by `kms:DescribeKey`: KMS authorises
/// `kms:GenerateDataKey` and `kms:Decrypt` against the key's ARN, whatever form the preferences use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KmsKey {
    /// The key's ARN (`arn:…:kms:<region>:<account>:key/<id>`).
    pub arn: String,
    /// The account that owns the key.
    pub account: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `PendingReplicaDeletion`, `Unavailable`,
    /// `Creating`, `Updating`.
    pub key_state: String,
    /// `SYMMETRIC_DEFAULT` for the symmetric encryption keys a data key needs.
    pub key_spec: String,
    /// `ENCRYPT_DECRYPT`, `SIGN_VERIFY`, `GENERATE_VERIFY_MAC`, `KEY_AGREEMENT`.
    pub key_usage: String,
    /// `AWS` or `CUSTOMER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_manager: Option<String>,
    /// The key policy named `default` (`kms:GetKeyPolicy`).
    #[serde(default)]
    pub policy: Fact<serde_json::Value>,
    /// The key's tags (`kms:ListResourceTags`), which just-in-time node access tests.
    #[serde(default)]
    pub tags: Fact<BTreeMap<String, String>>,
}

impl KmsKey {
    /// Usable for a session: enabled, and a symmetric encryption key (a data key needs one).
    pub fn usable(&self) -> Result<(), String> {
        if self.key_state != "Enabled" {
            return Err(format!(
                "the key {} is {}: KMS refuses every cryptographic operation on a key that is not Enabled",
                self.arn, self.key_state
            ));
        }
        if self.key_spec != "SYMMETRIC_DEFAULT" || self.key_usage != "ENCRYPT_DECRYPT" {
            return Err(format!(
                "the key {} is {} for {}: kms:GenerateDataKey needs a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
                self.arn, self.key_spec, self.key_usage
            ));
        }
        Ok(())
    }
}

/// A just-in-time node access approval policy: an SSM document of type `AutoApprovalPolicy` or
/// `ManualApprovalPolicy` (`ssm:ListDocuments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicy {
    pub name: String,
    /// `AutoApprovalPolicy` or `ManualApprovalPolicy`.
    pub document_type: String,
}

/// Which policy layer refused a permission, as IAM's simulator tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeniedBy {
    pub layer: DenyLayer,
    /// The policy, when it is known: the boundary's name or ARN, the identity policy's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DenyLayer {
    /// An organization's service control policy (`OrganizationsDecisionDetail.AllowedByOrganizations` false).
    ServiceControlPolicy,
    /// The principal's permissions boundary (`PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`
    /// false).
    PermissionsBoundary,
    /// An identity policy's explicit deny (a matched statement of type user, group, role, aws-managed or
    /// user-managed).
    IdentityPolicy,
}
