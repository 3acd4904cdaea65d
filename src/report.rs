//! The report: what every rule found, and the verdict. Its JSON form is a versioned contract
//! (`report_version`, schema in `docs/report.schema.json`): fields are only ever added within a version.

use crate::facts::Facts;
use crate::rules::{Area, Mode, Options, Outcome, RuleMeta, Severity, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub report_version: u32,
    pub tool_version: String,
    pub target: ReportTarget,
    pub mode: Mode,
    /// The SSM document the session uses.
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    pub verdict: ReportVerdict,
    pub counts: Counts,
    /// One per rule, in registry order.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportTarget {
    pub id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportVerdict {
    /// True when no requirement fails. Unknowns do not make it false; `--fail-on unknown` does for the exit code.
    pub ready: bool,
    /// One line, e.g. `ready for port forwarding to i-…: no — 2 failing requirements`.
    pub summary: String,
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
    /// Where the rule is documented.
    pub docs: String,
}

impl Finding {
    pub fn new(meta: &RuleMeta, o: Outcome) -> Self {
        Finding {
            rule: meta.id.clone(),
            title: meta.title.clone(),
            area: meta.area,
            severity: meta.severity,
            status: o.status,
            message: o.message,
            evidence: o.evidence,
            remedy: o.remedy,
            needs: o.needs,
            notes: o.notes,
            docs: meta.docs_url(),
        }
    }
}

impl Report {
    pub fn new(facts: &Facts, options: &Options, findings: Vec<Finding>) -> Self {
        let mut counts = Counts::default();
        for f in &findings {
            *match f.status {
                Status::Pass => &mut counts.pass,
                Status::Fail => &mut counts.fail,
                Status::Warn => &mut counts.warn,
                Status::Unknown => &mut counts.unknown,
                Status::Skip => &mut counts.skip,
            } += 1;
        }
        let ready = counts.fail == 0;
        let port = match options.mode {
            Mode::Port | Mode::RemotePort => format!(" ({})", options.port_or_default()),
            _ => String::new(),
        };
        let head = format!(
            "ready for {}{port} to {}",
            options.mode.noun(),
            facts.target.id
        );
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut tail = Vec::new();
        if counts.unknown > 0 {
            tail.push(match counts.unknown {
                1 => "1 check could not see its facts".to_string(),
                n => format!("{n} checks could not see their facts"),
            });
        }
        if counts.warn > 0 {
            tail.push(plural(counts.warn, "warning", "warnings"));
        }
        let summary = if ready {
            let rest = if tail.is_empty() {
                String::new()
            } else {
                format!(" ({})", tail.join(", "))
            };
            format!("{head}: yes{rest}")
        } else {
            let mut parts = vec![plural(
                counts.fail,
                "failing requirement",
                "failing requirements",
            )];
            parts.extend(tail);
            format!("{head}: no — {}", parts.join(", "))
        };
        Report {
            report_version: REPORT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            target: ReportTarget {
                id: facts.target.id.clone(),
                region: facts.target.region.clone(),
                account: facts.target.account.clone(),
            },
            mode: options.mode,
            document: options.mode.document().to_string(),
            port: options.port,
            remote_host: options.remote_host.clone(),
            verdict: ReportVerdict { ready, summary },
            counts,
            findings,
        }
    }

    /// Whether any finding has one of `statuses` (the CI gate).
    pub fn has_any(&self, statuses: &[Status]) -> bool {
        self.findings.iter().any(|f| statuses.contains(&f.status))
    }

    pub fn finding(&self, rule: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule == rule)
    }
}
