//! Which services this session needs the instance to reach, and why: one answer for the route, endpoint,
//! security group, network ACL, endpoint policy and role rules alike.

use super::context::Check;
use crate::version::Version4;

/// From this version the agent uses ssmmessages instead of ec2messages once ssmmessages connects (agent release
/// notes 3.3.40.0; AWS "Use VPC endpoints" page).
pub const SSMMESSAGES_ONLY: Version4 = Version4::new(3, 3, 40, 0);

#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    Required(String),
    NotNeeded(String),
    /// Whether it is needed cannot be told (the agent's version, the preferences are unseen).
    Unknown(String),
}

impl Need {
    pub fn is_not_needed(&self) -> bool {
        matches!(self, Need::NotNeeded(_))
    }

    pub fn reason(&self) -> &str {
        match self {
            Need::Required(r) | Need::NotNeeded(r) | Need::Unknown(r) => r,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceNeed {
    /// `ssm`, `ssmmessages`, `ec2messages`, `kms` or `logs`.
    pub service: &'static str,
    pub need: Need,
}

impl Check<'_> {
    /// Does the agent still need ec2messages? Only agents before 3.3.40.0 do, for a session.
    pub fn ec2messages_need(&self) -> Need {
        match self.agent_version() {
            Some(v) if v < SSMMESSAGES_ONLY => Need::Required(format!(
                "agent {v} predates {SSMMESSAGES_ONLY}, and still reaches Systems Manager through ec2messages"
            )),
            Some(v) => Need::NotNeeded(format!(
                "agent {v} uses ssmmessages instead of ec2messages once ssmmessages connects (from {SSMMESSAGES_ONLY})"
            )),
            None => Need::Unknown(format!(
                "ec2messages is needed only by agents before {SSMMESSAGES_ONLY}, and the agent's version is not known"
            )),
        }
    }

    /// KMS and CloudWatch Logs, which only shell sessions use, and only when the preferences turn them on.
    fn preference_need(
        &self,
        on: impl Fn(&crate::facts::SessionPreferences) -> bool,
        what: &str,
    ) -> Need {
        if !self.options.mode.is_shell() {
            return Need::NotNeeded(format!(
                "{what} applies to shell sessions only, not to {}",
                self.options.mode.noun()
            ));
        }
        match self.facts.session_preferences.value() {
            Some(p) if on(p) => Need::Required(format!("the session preferences turn on {what}")),
            Some(_) => Need::NotNeeded(format!("the session preferences do not turn on {what}")),
            None => Need::Unknown(format!(
                "whether the session preferences turn on {what} could not be seen"
            )),
        }
    }

    /// Every service the session may need, with whether and why.
    pub fn services(&self) -> Vec<ServiceNeed> {
        let required = |s: &str| Need::Required(format!("every session needs {s}"));
        vec![
            ServiceNeed {
                service: "ssm",
                need: required("ssm"),
            },
            ServiceNeed {
                service: "ssmmessages",
                need: required("ssmmessages"),
            },
            ServiceNeed {
                service: "ec2messages",
                need: self.ec2messages_need(),
            },
            ServiceNeed {
                service: "kms",
                need: self.preference_need(|p| p.kms_key_id.is_some(), "KMS session encryption"),
            },
            ServiceNeed {
                service: "logs",
                need: self.preference_need(
                    |p| p.cloudwatch_log_group.is_some(),
                    "CloudWatch session logging",
                ),
            },
        ]
    }

    /// The services a network rule must look at: those needed, or that may be.
    pub fn services_to_check(&self) -> Vec<ServiceNeed> {
        self.services()
            .into_iter()
            .filter(|s| !s.need.is_not_needed())
            .collect()
    }

    /// Logging and KMS encryption apply to shell sessions only: the Port plugin behind SSH and both
    /// port-forwarding documents neither logs nor encrypts (AWS SSH page; agent `sessionplugin.go`).
    pub fn shell_only(&self) -> Result<(), crate::rules::outcome::Outcome> {
        if self.options.mode.is_shell() {
            return Ok(());
        }
        Err(crate::rules::outcome::Outcome::skip(format!(
            "only shell sessions are logged and KMS-encrypted: {} runs the agent's Port plugin, which does neither",
            self.options.mode.noun()
        )))
    }
}
