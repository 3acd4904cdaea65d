//! Rule metadata: one TOML file per rule in `rules/`, turned into statics by `build.rs` (a malformed file fails
//! the build, naming it). The area a rule belongs to is declared there and nowhere else.

use crate::options::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A requirement: failing it stops the session.
    Error,
    /// Advice: the session works, but something should change.
    Warning,
    /// Information worth knowing.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a requirement lives; the report groups findings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Instance => "instance",
            Area::Session => "session",
            Area::Agent => "agent",
            Area::Network => "network",
            Area::Caller => "caller",
            Area::Client => "client",
            Area::Audit => "audit",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::Instance => "Instance and role",
            Area::Session => "The session: its mode and preferences",
            Area::Agent => "SSM Agent",
            Area::Network => "Network path",
            Area::Caller => "Your permissions",
            Area::Client => "This machine",
            Area::Audit => "Audit",
        }
    }

    /// Which failures to fix first: an instance that is not running or has no role before its network, the
    /// network before the agent that cannot register without it, the caller and this machine after.
    pub fn fix_order(self) -> u8 {
        match self {
            Area::Instance => 0,
            Area::Network => 1,
            Area::Agent => 2,
            Area::Session => 3,
            Area::Caller => 4,
            Area::Client => 5,
            Area::Audit => 6,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    pub id: &'static str,
    pub title: &'static str,
    pub area: Area,
    pub severity: Severity,
    /// The modes the rule applies to.
    pub modes: &'static [Mode],
    /// What it checks, in one paragraph.
    pub checks: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix it: steps and CLI commands.
    pub remediation: &'static str,
    pub terraform: Option<&'static str>,
    /// Where the requirement comes from.
    pub references: &'static [&'static str],
}

impl RuleMeta {
    pub fn applies_to(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The rule's anchor in `docs/rules.md`: on the repository's web page when the package names its
    /// repository (`repository` in Cargo.toml), else the path in the source tree.
    pub fn docs_url(&self) -> String {
        match env!("CARGO_PKG_REPOSITORY").trim_end_matches('/') {
            "" => format!("docs/rules.md#{}", self.id),
            // The release's own text: a rule's documentation as this version has it.
            repo => format!(
                "{repo}/blob/v{}/docs/rules.md#{}",
                env!("CARGO_PKG_VERSION"),
                self.id
            ),
        }
    }
}

/// The statics generated from `rules/*.toml`: one per file, named after its id (`INSTANCE_RUNNING`), and `ALL`.
pub mod generated {
    use super::{Area, RuleMeta, Severity};
    use crate::options::Mode;

    include!(concat!(env!("OUT_DIR"), "/rule_meta.rs"));
}
