//! Rule metadata, one TOML file per rule in `rules/`, embedded at build time.

use super::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A requirement: failing it stops the session.
    Error,
    /// Advice: the session works, but something should change.
    Warning,
    /// Information worth knowing.
    Info,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Instance,
    /// What the chosen mode itself needs (where port forwarding can reach).
    Session,
    Agent,
    Network,
    Caller,
    Client,
    Audit,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Instance => "Instance and role",
            Area::Session => "The session's mode",
            Area::Agent => "SSM Agent",
            Area::Network => "Network path",
            Area::Caller => "Your permissions",
            Area::Client => "This machine",
            Area::Audit => "Audit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub area: Area,
    pub severity: Severity,
    /// The modes the rule applies to.
    pub modes: Vec<Mode>,
    /// What it checks, in one paragraph.
    pub checks: String,
    /// Why it matters.
    pub rationale: String,
    /// How to fix it: steps and CLI commands.
    pub remediation: String,
    #[serde(default)]
    pub terraform: Option<String>,
    /// Where the requirement comes from.
    pub references: Vec<String>,
}

impl RuleMeta {
    pub fn applies_to(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The rule's anchor in `docs/rules.md`.
    pub fn docs_url(&self) -> String {
        format!("docs/rules.md#{}", self.id)
    }
}
