//! Facts about the target: the EC2 instance, its agent registration and the account's SSM settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// From `ec2:DescribeInstances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub instance_id: String,
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down` or `terminated`.
    pub state: String,
    /// `windows` for Windows instances; absent for Linux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_addresses: Vec<Ipv6Addr>,
    /// The security groups of all the instance's network interfaces.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_options: Option<MetadataOptions>,
    /// Every tag of the instance (`Name` among them), for policies that test `aws:ResourceTag/…` or
    /// `ssm:resourceTag/…`; absent when the document does not record them (then such a condition stays Unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// The AMI it was launched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// When it was launched or last started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_time: Option<String>,
}

/// The instance metadata service settings (IMDS); DHMC needs IMDSv2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataOptions {
    /// `enabled` or `disabled`.
    pub http_endpoint: String,
    /// `optional` (v1 and v2) or `required` (v2 only).
    pub http_tokens: String,
    /// The IMDSv2 token's hop limit: 1 is enough for an agent on the host, not for one in a container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_put_response_hop_limit: Option<i32>,
}

/// From `iam:GetInstanceProfile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub role_names: Vec<String>,
}

/// From `ssm:DescribeInstanceInformation` (filtered on the instance id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// False when Systems Manager does not list the node at all.
    pub registered: bool,
    /// `Online`, `ConnectionLost` or `Inactive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_latest_version: Option<bool>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ping: Option<String>,
    /// `Linux`, `Windows` or `MacOS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_name: Option<String>,
    /// The node's host name as the agent reports it: how a hybrid node, which has no Name tag, is told apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    /// The activation a hybrid node registered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_id: Option<String>,
}

/// The Default Host Management Configuration service setting
/// (`/ssm/managed-instance/default-ec2-instance-management-role`, from `ssm:GetServiceSetting`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DhmcSetting {
    /// The role name the setting names; absent when DHMC is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

/// Session Manager preferences: the `SSM-SessionManagerRunShell` document (`ssm:GetDocument`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPreferences {
    /// False when nobody has saved preferences in this region: then the defaults apply
    /// (no logging, no KMS encryption, no run-as).
    pub document_exists: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
    #[serde(default)]
    pub s3_encryption_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_log_group: Option<String>,
    #[serde(default)]
    pub cloudwatch_encryption_enabled: bool,
    #[serde(default)]
    pub cloudwatch_streaming_enabled: bool,
    /// The KMS key for session encryption (id, alias or ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub run_as_enabled: bool,
    /// A shell profile (commands run at session start) is set for Linux or Windows.
    #[serde(default)]
    pub shell_profile_enabled: bool,
    /// The OS user shell sessions run as with Run As on, unless the caller's `SSMSessionRunAs` tag names one
    /// (`inputs.runAsDefaultUser`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_default_user: Option<String>,
    /// The document's type (`Session` for a preferences document); absent when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// The document's `sessionType` (`Standard_Stream` for a preferences document); absent when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_type: Option<String>,
}

/// The CloudWatch Logs group the session preferences name (`logs:DescribeLogGroups`): with
/// `cloudWatchEncryptionEnabled` the agent refuses shell sessions unless it exists and has a KMS key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    pub name: String,
    pub exists: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// The default encryption of the S3 bucket the session preferences name (`s3:GetEncryptionConfiguration`): with
/// `s3EncryptionEnabled` the agent refuses shell sessions unless it is `AES256` or `aws:kms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketEncryption {
    pub bucket: String,
    pub exists: bool,
    /// The SSE algorithm of the bucket's first encryption rule (`AES256`, `aws:kms`, `aws:kms:dsse`); absent when
    /// the bucket has no default encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// A CloudTrail trail (`cloudtrail:DescribeTrails` + `GetTrailStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trail {
    pub name: String,
    pub home_region: String,
    pub is_multi_region: bool,
    pub is_logging: bool,
}
