//! The facts document: everything ssm-check knows about one target, gathered once and evaluated by the rules.
//!
//! It is versioned (`schema_version`) and serialisable, so a run can be saved with `ssm-check gather` and evaluated
//! offline with `--facts`. Its JSON Schema is `docs/facts.schema.json`.

mod client;
mod fact;
pub mod fleet;
mod iam;
mod instance;
mod kms;
mod load;
mod network;
mod offline;

pub use client::*;
pub use fact::*;
pub use fleet::{Fleet, RegionFacts, TargetFacts, Viewer, VpcFacts, FLEET_SCHEMA_VERSION};
pub use iam::*;
pub use instance::*;
pub use kms::*;
pub use load::{load_document, load_file, parse, parse_document, Document, LoadError};
pub use network::*;
pub use offline::*;

use crate::partition::Partition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the facts document this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub schema_version: u32,
    /// RFC 3339 time of gathering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gathered_at: Option<String>,
    pub target: Target,

    // The target.
    #[serde(default)]
    pub instance: Fact<Instance>,
    #[serde(default)]
    pub instance_profile: Fact<InstanceProfile>,
    /// The instance profile's role.
    #[serde(default)]
    pub role: Fact<Role>,
    #[serde(default)]
    pub dhmc: Fact<DhmcSetting>,
    /// The role the DHMC setting names.
    #[serde(default)]
    pub dhmc_role: Fact<Role>,
    #[serde(default)]
    pub registration: Fact<Registration>,
    #[serde(default)]
    pub session_preferences: Fact<SessionPreferences>,
    /// The log group the preferences name, when they name one.
    #[serde(default)]
    pub log_group: Fact<LogGroup>,
    /// The default encryption of the bucket the preferences name, when they name one.
    #[serde(default)]
    pub log_bucket_encryption: Fact<BucketEncryption>,
    /// The account's hybrid-node tier, `standard` or `advanced` (`/ssm/managed-instance/activation-tier`), for `mi-`
    /// nodes.
    #[serde(default)]
    pub activation_tier: Fact<String>,

    // The network.
    #[serde(default)]
    pub vpc: Fact<Vpc>,
    #[serde(default)]
    pub vpc_dns: Fact<VpcDns>,
    /// The instance's subnet and every endpoint subnet.
    #[serde(default)]
    pub subnets: Fact<Vec<Subnet>>,
    /// The VPC's route tables (the main table and those of the subnets involved).
    #[serde(default)]
    pub route_tables: Fact<Vec<RouteTable>>,
    #[serde(default)]
    pub vpc_endpoints: Fact<Vec<VpcEndpoint>>,
    /// The instance's and the endpoints' security groups.
    #[serde(default)]
    pub security_groups: Fact<Vec<SecurityGroup>>,
    /// The network ACLs of the subnets involved.
    #[serde(default)]
    pub network_acls: Fact<Vec<NetworkAcl>>,
    /// Prefix lists that security groups or routes refer to.
    #[serde(default)]
    pub prefix_lists: Fact<Vec<PrefixList>>,
    #[serde(default)]
    pub remote_destination: Fact<RemoteDestination>,

    // The caller.
    #[serde(default)]
    pub caller: Fact<CallerIdentity>,
    #[serde(default)]
    pub credentials: Fact<Credentials>,
    #[serde(default)]
    pub caller_permissions: Fact<CallerPermissions>,
    /// The caller's policy documents; used when `caller_permissions` could not be simulated.
    #[serde(default)]
    pub caller_policies: Fact<CallerPolicies>,
    /// Serial numbers of an IAM user caller's MFA devices (`iam:ListMFADevices`), for the remedy that needs one.
    #[serde(default)]
    pub mfa_devices: Fact<Vec<String>>,

    // The client machine and the account's audit trail.
    #[serde(default)]
    pub client: Fact<Client>,
    #[serde(default)]
    pub cloudtrail: Fact<Vec<Trail>>,
    /// The tags of the caller's IAM user or role (Run As, `aws:PrincipalTag/…` conditions).
    #[serde(default)]
    pub caller_tags: Fact<PrincipalTags>,

    // Access layers.
    /// The KMS key the session preferences name, resolved; not applicable when sessions are not KMS-encrypted.
    #[serde(default)]
    pub session_key: Fact<KmsKey>,
    /// The region's just-in-time node access approval policies (empty: just-in-time access is not set up).
    #[serde(default)]
    pub approval_policies: Fact<Vec<ApprovalPolicy>>,

    // Seen from outside when the agent is not online (only then gathered).
    /// The instance's AMI.
    #[serde(default)]
    pub image: Fact<Image>,
    /// The matched lines of the instance's console output.
    #[serde(default)]
    pub console_output: Fact<ConsoleOutput>,
    #[serde(default)]
    pub status_checks: Fact<StatusChecks>,
    /// `connected` or `notconnected` (`ssm:GetConnectionStatus`: what StartSession checks).
    #[serde(default)]
    pub connection_status: Fact<String>,
    /// The activation a hybrid node registered with.
    #[serde(default)]
    pub activation: Fact<Activation>,
    /// Whether EC2 Serial Console access is enabled for the account in the region
    /// (`ec2:GetSerialConsoleAccessStatus`).
    #[serde(default)]
    pub serial_console_access: Fact<bool>,
    /// The VPC's EC2 Instance Connect Endpoints.
    #[serde(default)]
    pub instance_connect_endpoints: Fact<Vec<InstanceConnectEndpoint>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// `i-…` (EC2) or `mi-…` (hybrid managed node).
    pub id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Facts {
    /// An empty document for `target`: every fact `not_gathered` until a gatherer fills it.
    pub fn new(target: Target) -> Self {
        Facts {
            schema_version: SCHEMA_VERSION,
            gathered_at: None,
            target,
            instance: Fact::default(),
            instance_profile: Fact::default(),
            role: Fact::default(),
            dhmc: Fact::default(),
            dhmc_role: Fact::default(),
            registration: Fact::default(),
            session_preferences: Fact::default(),
            log_group: Fact::default(),
            log_bucket_encryption: Fact::default(),
            activation_tier: Fact::default(),
            vpc: Fact::default(),
            vpc_dns: Fact::default(),
            subnets: Fact::default(),
            route_tables: Fact::default(),
            vpc_endpoints: Fact::default(),
            security_groups: Fact::default(),
            network_acls: Fact::default(),
            prefix_lists: Fact::default(),
            remote_destination: Fact::default(),
            caller: Fact::default(),
            credentials: Fact::default(),
            caller_permissions: Fact::default(),
            caller_policies: Fact::default(),
            mfa_devices: Fact::default(),
            client: Fact::default(),
            cloudtrail: Fact::default(),
            caller_tags: Fact::default(),
            session_key: Fact::default(),
            approval_policies: Fact::default(),
            image: Fact::default(),
            console_output: Fact::default(),
            status_checks: Fact::default(),
            connection_status: Fact::default(),
            activation: Fact::default(),
            serial_console_access: Fact::default(),
            instance_connect_endpoints: Fact::default(),
        }
    }

    /// The account that owns the target: as gathered, else the caller's, else `*`.
    pub fn account(&self) -> String {
        self.target
            .account
            .clone()
            .or_else(|| self.caller.value().map(|c| c.account.clone()))
            .unwrap_or_else(|| "*".into())
    }

    /// The partition of the target: the caller's ARN says it, else the region does.
    pub fn partition(&self) -> Partition {
        self.caller
            .value()
            .and_then(|c| Partition::of_arn(&c.arn))
            .unwrap_or_else(|| Partition::of_region(&self.target.region))
    }

    /// The ARN of the target, as `ssm:StartSession` sees it.
    pub fn target_arn(&self) -> String {
        let account = self.account();
        let kind = if self.target.id.starts_with("mi-") {
            "managed-instance"
        } else {
            "instance"
        };
        let service = if kind == "instance" { "ec2" } else { "ssm" };
        format!(
            "arn:{}:{service}:{}:{account}:{kind}/{}",
            self.partition().name,
            self.target.region,
            self.target.id
        )
    }

    pub fn is_hybrid(&self) -> bool {
        self.target.id.starts_with("mi-")
    }
}
