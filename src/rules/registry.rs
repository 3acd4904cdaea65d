//! The registry: every rule, in report order. Adding a rule means a function, a line here, and a
//! `rules/<id>.toml`; a test fails when the three disagree.

use super::meta::RuleMeta;
use super::{
    agent, audit, caller, client, firewall, instance, mode, network, role, Check, Verdict,
};
use std::sync::OnceLock;

pub struct Rule {
    pub id: &'static str,
    pub check: fn(&Check) -> Verdict,
    source: &'static str,
}

impl Rule {
    pub fn meta(&self) -> &'static RuleMeta {
        let index = all()
            .iter()
            .position(|r| r.id == self.id)
            .expect("rule is registered");
        &metas()[index]
    }

    /// The rule's TOML source, as embedded.
    pub fn source(&self) -> &'static str {
        self.source
    }
}

macro_rules! rule {
    ($id:literal, $check:path) => {
        Rule {
            id: $id,
            check: $check,
            source: include_str!(concat!("../../rules/", $id, ".toml")),
        }
    };
}

static RULES: &[Rule] = &[
    // The instance and its role.
    rule!("instance-running", instance::running),
    rule!("instance-role", instance::role_attached),
    rule!("dhmc-prerequisites", instance::dhmc_prerequisites),
    rule!("role-trust", role::trust),
    rule!("role-agent-permissions", role::agent_permissions),
    rule!("role-deprecated-policy", role::deprecated_policy),
    rule!("role-logging-permissions", role::logging_permissions),
    // What the mode needs.
    rule!("port-forward-scope", mode::port_forward_scope),
    rule!("remote-host-allowed", mode::remote_host_allowed),
    // The agent.
    rule!("agent-online", agent::online),
    rule!("agent-version", agent::version),
    // The network path.
    rule!("network-path", network::path),
    rule!("endpoint-available", network::endpoint_available),
    rule!("endpoint-private-dns", network::endpoint_private_dns),
    rule!("endpoint-subnet-az", network::endpoint_subnet_az),
    rule!("endpoint-sg-ingress", firewall::endpoint_sg_ingress),
    rule!("instance-sg-egress", firewall::instance_sg_egress),
    rule!("nacl-instance-subnet", firewall::nacl_instance_subnet),
    rule!("nacl-endpoint-subnets", firewall::nacl_endpoint_subnets),
    rule!("endpoint-policy", network::endpoint_policy),
    rule!("s3-gateway-endpoint", network::s3_gateway_endpoint),
    rule!("logging-kms-endpoints", network::logging_kms_endpoints),
    rule!("instance-sg-inbound", firewall::instance_sg_inbound),
    rule!("endpoint-cost", network::endpoint_cost),
    rule!("remote-host-reachable", mode::remote_host_reachable),
    // The caller.
    rule!("caller-credentials", caller::credentials),
    rule!("caller-start-session", caller::start_session),
    rule!("caller-session-control", caller::session_control),
    rule!("caller-kms", caller::kms),
    rule!("caller-mfa", caller::mfa),
    rule!("caller-assume-role", caller::assume_role),
    // The client machine.
    rule!("client-aws-cli", client::aws_cli),
    rule!("client-plugin", client::plugin),
    rule!("client-ssh-config", client::ssh_config),
    rule!("client-proxy", client::proxy),
    // Audit.
    rule!("audit-trail", audit::trail),
];

pub fn all() -> &'static [Rule] {
    RULES
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

fn metas() -> &'static [RuleMeta] {
    static METAS: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    METAS.get_or_init(|| {
        RULES
            .iter()
            .map(|r| {
                // The files are part of the build and checked by tests; a bad one is a build defect.
                toml::from_str(r.source).unwrap_or_else(|e| panic!("rules/{}.toml: {e}", r.id))
            })
            .collect()
    })
}
