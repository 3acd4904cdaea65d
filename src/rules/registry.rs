//! The registry: every rule, in report order. Adding a rule means a function, a line here, and a
//! `rules/<id>.toml`; a rule without its file does not compile, and a test fails for a file without a rule.

use super::meta::{generated::*, RuleMeta};
use super::{
    agent, audit, caller, client, firewall, instance, mode, network, role, Check, Verdict,
};

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
    rule!(INSTANCE_RUNNING, instance::running),
    rule!(INSTANCE_ROLE, instance::role_attached),
    rule!(HYBRID_ACTIVATION_TIER, instance::activation_tier),
    rule!(DHMC_PREREQUISITES, instance::dhmc_prerequisites),
    rule!(ROLE_TRUST, role::trust),
    rule!(ROLE_AGENT_PERMISSIONS, role::agent_permissions),
    rule!(ROLE_DEPRECATED_POLICY, role::deprecated_policy),
    rule!(ROLE_LOGGING_PERMISSIONS, role::logging_permissions),
    rule!(PORT_FORWARD_SCOPE, mode::port_forward_scope),
    rule!(REMOTE_HOST_ALLOWED, mode::remote_host_allowed),
    rule!(SESSION_LOG_ENCRYPTION, mode::log_encryption),
    rule!(AGENT_ONLINE, agent::online),
    rule!(AGENT_VERSION, agent::version),
    rule!(NETWORK_PATH, network::path),
    rule!(ENDPOINT_AVAILABLE, network::endpoint_available),
    rule!(ENDPOINT_PRIVATE_DNS, network::endpoint_private_dns),
    rule!(ENDPOINT_SUBNET_AZ, network::endpoint_subnet_az),
    rule!(ENDPOINT_SG_INGRESS, firewall::endpoint_sg_ingress),
    rule!(INSTANCE_SG_EGRESS, firewall::instance_sg_egress),
    rule!(NACL_INSTANCE_SUBNET, firewall::nacl_instance_subnet),
    rule!(NACL_ENDPOINT_SUBNETS, firewall::nacl_endpoint_subnets),
    rule!(ENDPOINT_POLICY, network::endpoint_policy),
    rule!(S3_GATEWAY_ENDPOINT, network::s3_gateway_endpoint),
    rule!(LOGGING_KMS_ENDPOINTS, network::logging_kms_endpoints),
    rule!(INSTANCE_SG_INBOUND, firewall::instance_sg_inbound),
    rule!(ENDPOINT_COST, network::endpoint_cost),
    rule!(REMOTE_HOST_REACHABLE, mode::remote_host_reachable),
    rule!(CALLER_CREDENTIALS, caller::credentials),
    rule!(CALLER_START_SESSION, caller::start_session),
    rule!(CALLER_SESSION_CONTROL, caller::session_control),
    rule!(CALLER_DATA_CHANNEL, caller::data_channel),
    rule!(CALLER_KMS, caller::kms),
    rule!(CALLER_MFA, caller::mfa),
    rule!(CALLER_ASSUME_ROLE, caller::assume_role),
    rule!(CLIENT_AWS_CLI, client::aws_cli),
    rule!(CLIENT_PLUGIN, client::plugin),
    rule!(CLIENT_SSH_CONFIG, client::ssh_config),
    rule!(CLIENT_PROXY, client::proxy),
    rule!(AUDIT_TRAIL, audit::trail),
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
