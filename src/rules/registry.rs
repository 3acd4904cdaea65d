//! The registry: every rule, in report order. Adding a rule means its `rules/<id>.toml`, its
//! `checks/<id>.rs`, and a line here (docs/architecture.md, "Adding a rule"); a rule without its TOML does not
//! compile, and a test fails for a TOML or a check file without the other.

use super::checks::*;
use super::meta::{generated::*, RuleMeta};
use super::outcome::Verdict;
use super::shared::Check;

pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: fn(&Check) -> Verdict,
}

impl Rule {
    pub fn id(&self) -> &'static str {
        self.meta.id
    }
}

macro_rules! rule {
    ($meta:ident, $check:path) => {
        Rule {
            meta: &$meta,
            check: $check,
        }
    };
}

static RULES: &[Rule] = &[
    rule!(INSTANCE_RUNNING, instance_running::check),
    rule!(INSTANCE_ROLE, instance_role::check),
    rule!(HYBRID_ACTIVATION_TIER, hybrid_activation_tier::check),
    rule!(DHMC_PREREQUISITES, dhmc_prerequisites::check),
    rule!(ROLE_TRUST, role_trust::check),
    rule!(ROLE_AGENT_PERMISSIONS, role_agent_permissions::check),
    rule!(ROLE_DEPRECATED_POLICY, role_deprecated_policy::check),
    rule!(ROLE_LOGGING_PERMISSIONS, role_logging_permissions::check),
    rule!(PORT_FORWARD_SCOPE, port_forward_scope::check),
    rule!(REMOTE_HOST_ALLOWED, remote_host_allowed::check),
    rule!(SESSION_LOG_ENCRYPTION, session_log_encryption::check),
    rule!(SESSION_RUN_AS, session_run_as::check),
    rule!(SESSION_PREFERENCES_TYPE, session_preferences_type::check),
    rule!(AGENT_ONLINE, agent_online::check),
    rule!(AGENT_OFFLINE_CAUSE, agent_offline_cause::check),
    rule!(AGENT_VERSION, agent_version::check),
    rule!(NETWORK_PATH, network_path::check),
    rule!(ENDPOINT_AVAILABLE, endpoint_available::check),
    rule!(ENDPOINT_PRIVATE_DNS, endpoint_private_dns::check),
    rule!(ENDPOINT_SUBNET_AZ, endpoint_subnet_az::check),
    rule!(ENDPOINT_SG_INGRESS, endpoint_sg_ingress::check),
    rule!(INSTANCE_SG_EGRESS, instance_sg_egress::check),
    rule!(NACL_INSTANCE_SUBNET, nacl_instance_subnet::check),
    rule!(NACL_ENDPOINT_SUBNETS, nacl_endpoint_subnets::check),
    rule!(ENDPOINT_POLICY, endpoint_policy::check),
    rule!(S3_GATEWAY_ENDPOINT, s3_gateway_endpoint::check),
    rule!(LOGGING_KMS_ENDPOINTS, logging_kms_endpoints::check),
    rule!(INSTANCE_SG_INBOUND, instance_sg_inbound::check),
    rule!(ENDPOINT_COST, endpoint_cost::check),
    rule!(REMOTE_HOST_REACHABLE, remote_host_reachable::check),
    rule!(CALLER_CREDENTIALS, caller_credentials::check),
    rule!(CALLER_START_SESSION, caller_start_session::check),
    rule!(JIT_NODE_ACCESS, jit_node_access::check),
    rule!(CALLER_SESSION_CONTROL, caller_session_control::check),
    rule!(CALLER_DATA_CHANNEL, caller_data_channel::check),
    rule!(CALLER_KMS, caller_kms::check),
    rule!(CALLER_MFA, caller_mfa::check),
    rule!(CALLER_ASSUME_ROLE, caller_assume_role::check),
    rule!(CLIENT_AWS_CLI, client_aws_cli::check),
    rule!(CLIENT_PLUGIN, client_plugin::check),
    rule!(CLIENT_SSH_CONFIG, client_ssh_config::check),
    rule!(CLIENT_PROXY, client_proxy::check),
    rule!(AUDIT_TRAIL, audit_trail::check),
];

pub fn all() -> &'static [Rule] {
    RULES
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id() == id)
}

/// Every rule file, registered or not: for the test that no file is left out of the registry.
pub fn files() -> &'static [&'static RuleMeta] {
    &ALL
}
