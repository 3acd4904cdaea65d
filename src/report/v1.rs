//! Report version 1, the `--format json` contract (`docs/report.md`, schema `docs/report.schema.json`). Within a
//! version fields are only ever added; every type here is this format's own, converted from the engine's.

use crate::rules;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub report_version: u32,
    pub tool_version: String,
    pub target: Target,
    pub mode: Mode,
    /// The SSM document the session uses.
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    pub verdict: Verdict,
    pub counts: Counts,
    /// One per rule, in registry order.
    pub findings: Vec<Finding>,
    /// With `--wait`: how the wait went. Added in ssm-check 0.3.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
}

/// How a `--wait` ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Wait {
    /// Checks made, the first one included.
    pub checks: u32,
    /// From the first check to the last.
    pub seconds: u64,
    /// The time ran out while a failure that ends by itself was still there; the report is the last check's.
    pub timed_out: bool,
    /// What this target still waited for when the wait ended (the time ran out, or another target failed for good).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    pub id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The instance's Name tag (added in 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Shell,
    Ssh,
    Port,
    RemotePort,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    /// True when no requirement fails. Unknowns do not make it false: `answer` says whether it could be told.
    pub ready: bool,
    /// `yes` (nothing fails and every requirement was checked), `no` (a requirement fails), or `cannot_tell`
    /// (nothing fails, but a requirement could not see its facts). Added in ssm-check 0.3.0.
    pub answer: Answer,
    /// One line, e.g. `ready for port forwarding to i-…: no — 2 failing requirements`.
    pub summary: String,
    /// For `cannot_tell`: the IAM actions that would decide the requirements that could not be checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    CannotTell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub unknown: usize,
    pub skip: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule's stable id.
    pub rule: String,
    pub title: String,
    pub area: Area,
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// Permissions that would reveal the facts an Unknown lacked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The rule whose fix fixes this too (a symptom names its cause). Added in ssm-check 0.3.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_by: Option<String>,
    /// A failure that ends by itself, and what it waits for (`the agent on i-… to register`): `--wait` re-checks
    /// while every failure has one. Added in ssm-check 0.3.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settles: Option<String>,
    /// Where the rule is documented: a link to `docs/rules.md` at this version's release tag on the repository the
    /// package names (the path in the source tree for a build that names none).
    pub docs: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Unknown,
    Warn,
    Pass,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Instance,
    Session,
    Agent,
    Network,
    Caller,
    Client,
    Audit,
}

impl From<crate::options::Mode> for Mode {
    fn from(m: crate::options::Mode) -> Self {
        use crate::options::Mode as M;
        match m {
            M::Shell => Mode::Shell,
            M::Ssh => Mode::Ssh,
            M::Port => Mode::Port,
            M::RemotePort => Mode::RemotePort,
        }
    }
}

impl From<rules::Status> for Status {
    fn from(s: rules::Status) -> Self {
        match s {
            rules::Status::Fail => Status::Fail,
            rules::Status::Unknown => Status::Unknown,
            rules::Status::Warn => Status::Warn,
            rules::Status::Pass => Status::Pass,
            rules::Status::Skip => Status::Skip,
        }
    }
}

impl From<rules::Severity> for Severity {
    fn from(s: rules::Severity) -> Self {
        match s {
            rules::Severity::Error => Severity::Error,
            rules::Severity::Warning => Severity::Warning,
            rules::Severity::Info => Severity::Info,
        }
    }
}

impl From<rules::Area> for Area {
    fn from(a: rules::Area) -> Self {
        match a {
            rules::Area::Instance => Area::Instance,
            rules::Area::Session => Area::Session,
            rules::Area::Agent => Area::Agent,
            rules::Area::Network => Area::Network,
            rules::Area::Caller => Area::Caller,
            rules::Area::Client => Area::Client,
            rules::Area::Audit => Area::Audit,
        }
    }
}

impl From<&rules::Finding> for Finding {
    fn from(f: &rules::Finding) -> Self {
        Finding {
            rule: f.rule().to_string(),
            title: f.meta.title.to_string(),
            area: f.meta.area.into(),
            severity: f.meta.severity.into(),
            status: f.status.into(),
            message: f.message.clone(),
            evidence: f.evidence.clone(),
            remedy: f.remedy.clone(),
            needs: f.needs.clone(),
            notes: f.notes.clone(),
            fixed_by: f.fixed_by.map(str::to_string),
            settles: f.settles.clone(),
            docs: f.meta.docs_url(),
        }
    }
}

impl From<&rules::Report> for Report {
    fn from(r: &rules::Report) -> Self {
        let c = r.counts;
        Report {
            report_version: REPORT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            target: Target {
                id: r.target.id.clone(),
                region: r.target.region.clone(),
                account: r.target.account.clone(),
                name: r.name.clone(),
            },
            mode: r.options.mode.into(),
            document: r.options.mode.document().to_string(),
            port: r.options.port,
            remote_host: r.options.remote_host.clone(),
            verdict: Verdict {
                ready: r.verdict.ready,
                answer: match r.verdict.answer {
                    rules::Answer::Yes => Answer::Yes,
                    rules::Answer::No => Answer::No,
                    rules::Answer::CannotTell => Answer::CannotTell,
                },
                summary: r.verdict.summary.clone(),
                needs: r
                    .verdict
                    .undecided
                    .iter()
                    .filter_map(|u| u.action.clone())
                    .collect(),
            },
            counts: Counts {
                pass: c.pass,
                fail: c.fail,
                warn: c.warn,
                unknown: c.unknown,
                skip: c.skip,
            },
            findings: r.findings.iter().map(Finding::from).collect(),
            wait: r.waited.as_ref().map(|w| Wait {
                checks: w.checks,
                seconds: w.seconds,
                timed_out: w.timed_out,
                waiting_for: w.waiting_for.clone(),
            }),
        }
    }
}
