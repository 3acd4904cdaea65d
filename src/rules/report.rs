//! What an evaluation produces: one finding per rule, the counts and the verdict. This is the engine's own
//! result; its JSON form is `crate::report::v1`, converted from it, so internal changes cannot reach users
//! unannounced.

use super::meta::{RuleMeta, Severity};
use super::outcome::{Outcome, Status};
use crate::facts::Target;
use crate::options::{Mode, Options};

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub meta: &'static RuleMeta,
    pub status: Status,
    pub message: String,
    pub evidence: Vec<String>,
    pub remedy: Option<String>,
    /// Permissions that would reveal the facts an Unknown lacked.
    pub needs: Vec<String>,
    pub notes: Vec<String>,
    /// The rule whose fix fixes this too.
    pub fixed_by: Option<&'static str>,
    /// A failure that ends by itself: what it waits for.
    pub settles: Option<String>,
}

impl Finding {
    pub fn new(meta: &'static RuleMeta, o: Outcome) -> Self {
        Finding {
            meta,
            status: o.status,
            message: o.message,
            evidence: o.evidence,
            remedy: o.remedy,
            needs: o.needs,
            notes: o.notes,
            fixed_by: o.fixed_by,
            settles: o.settles,
        }
    }

    /// The rule's stable id.
    pub fn rule(&self) -> &'static str {
        self.meta.id
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub unknown: usize,
    pub skip: usize,
}

/// The answer to "can the session open?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// No requirement fails, and every requirement could be checked.
    Yes,
    /// A requirement fails.
    No,
    /// No requirement fails, but a requirement (a rule of severity error) could not see its facts: a "yes" would
    /// be a guess.
    CannotTell,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::CannotTell => "cannot_tell",
        }
    }
}

/// A permission that would decide requirements that could not be checked, and those requirements; `action` is
/// `None` for those no permission would decide (a condition the evaluator cannot read, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Undecided {
    pub action: Option<String>,
    pub rules: Vec<&'static str>,
}

/// Whether the session can open, in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// True when no requirement fails. Unknowns do not make it false: `answer` says whether it could be told.
    pub ready: bool,
    pub answer: Answer,
    /// For `CannotTell`: what would decide it, one entry per permission.
    pub undecided: Vec<Undecided>,
    /// e.g. `ready for port forwarding (3389) to i-…: no — 2 failing requirements`.
    pub summary: String,
}

/// The requirements that could not be checked, grouped by the permission that would decide them.
fn undecided(findings: &[Finding]) -> Vec<Undecided> {
    let mut out: Vec<Undecided> = Vec::new();
    let unknown = findings
        .iter()
        .filter(|f| f.status == Status::Unknown && f.meta.severity == Severity::Error);
    for f in unknown {
        let actions: Vec<Option<String>> = if f.needs.is_empty() {
            vec![None]
        } else {
            f.needs.iter().cloned().map(Some).collect()
        };
        for action in actions {
            match out.iter_mut().find(|u| u.action == action) {
                Some(u) => u.rules.push(f.rule()),
                None => out.push(Undecided {
                    action,
                    rules: vec![f.rule()],
                }),
            }
        }
    }
    // Permissions first, then what no permission decides.
    out.sort_by_key(|u| u.action.is_none());
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub target: Target,
    /// The instance's Name tag, when it has one: how people tell a fleet's rows apart.
    pub name: Option<String>,
    pub options: Options,
    pub verdict: Readiness,
    pub counts: Counts,
    /// One per rule, in registry order.
    pub findings: Vec<Finding>,
    /// With `--wait`: how the wait went. `None` for a single check.
    pub waited: Option<Waited>,
}

/// How a wait for readiness ended, for the report made at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waited {
    /// This target's checks, the first one included.
    pub checks: u32,
    /// From the first check to this target's last.
    pub seconds: u64,
    /// The time ran out with a failure that would have ended by itself.
    pub timed_out: bool,
    /// What this target was still waiting for when the wait ended (the time ran out, or another target failed
    /// for good); empty when it was not waited on to the end.
    pub waiting_for: Vec<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The verdict in one line: the mode and target, the answer, and what it rests on.
fn summary(
    target: &Target,
    options: &Options,
    counts: &Counts,
    answer: Answer,
    findings: &[Finding],
) -> String {
    let port = match options.mode {
        Mode::Port | Mode::RemotePort => format!(" ({})", options.port_or_default()),
        _ => String::new(),
    };
    let head = format!("ready for {}{port} to {}", options.mode.noun(), target.id);
    let unchecked = findings
        .iter()
        .filter(|f| f.status == Status::Unknown && f.meta.severity == Severity::Error)
        .count();
    let mut tail = Vec::new();
    if counts.unknown > 0 && answer != Answer::CannotTell {
        tail.push(match counts.unknown {
            1 => "1 check could not see its facts".to_string(),
            n => format!("{n} checks could not see their facts"),
        });
    }
    if counts.warn > 0 {
        tail.push(plural(counts.warn, "warning", "warnings"));
    }
    match answer {
        Answer::Yes if tail.is_empty() => format!("{head}: yes"),
        Answer::Yes => format!("{head}: yes ({})", tail.join(", ")),
        Answer::CannotTell => {
            let mut parts = vec![format!(
                "{} could not be checked",
                plural(unchecked, "requirement", "requirements")
            )];
            parts.extend(tail);
            format!("{head}: cannot tell — {}", parts.join(", "))
        }
        Answer::No => {
            let mut parts = vec![plural(
                counts.fail,
                "failing requirement",
                "failing requirements",
            )];
            parts.extend(tail);
            format!("{head}: no — {}", parts.join(", "))
        }
    }
}

impl Report {
    pub fn new(target: &Target, options: &Options, findings: Vec<Finding>) -> Self {
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
        let undecided = if ready {
            undecided(&findings)
        } else {
            Vec::new()
        };
        let answer = match (ready, undecided.is_empty()) {
            (false, _) => Answer::No,
            (true, true) => Answer::Yes,
            (true, false) => Answer::CannotTell,
        };
        let summary = summary(target, options, &counts, answer, &findings);
        Report {
            target: target.clone(),
            name: None,
            options: options.clone(),
            verdict: Readiness {
                ready,
                answer,
                undecided,
                summary,
            },
            counts,
            findings,
            waited: None,
        }
    }

    /// Whether any finding has one of `statuses` (the CI gate).
    pub fn has_any(&self, statuses: &[Status]) -> bool {
        self.findings.iter().any(|f| statuses.contains(&f.status))
    }

    /// While every failure ends by itself (an instance starting, an agent registering, an endpoint being
    /// created): what they wait for, once each. Empty when nothing fails, or when something fails that stays:
    /// waiting on it would only hide it. Warnings and unknowns do not stop a wait: many clear once the agent
    /// registers, and the report after the wait judges them.
    pub fn waiting_for(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in self.findings.iter().filter(|f| f.status == Status::Fail) {
            match &f.settles {
                Some(what) if !out.contains(&what.as_str()) => out.push(what),
                Some(_) => {}
                None => return Vec::new(),
            }
        }
        out
    }

    /// The failing rules that `cause`'s fix fixes too.
    pub fn also_fixes(&self, cause: &Finding) -> Vec<&'static str> {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.fixed_by == Some(cause.rule()))
            .map(|f| f.rule())
            .collect()
    }

    pub fn finding(&self, rule: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule() == rule)
    }

    /// The failures in the order to fix them, by cause: the most fundamental first (an instance that is stopped
    /// before its security group), then registry order within an area. A failure that another failing rule's fix
    /// also fixes is left to it (`also_fixes`).
    pub fn fixes(&self) -> Vec<&Finding> {
        let failing_rule = |id: &str| {
            self.findings
                .iter()
                .any(|f| f.rule() == id && f.status == Status::Fail)
        };
        let mut failing: Vec<(usize, &Finding)> = self
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.status == Status::Fail)
            .filter(|(_, f)| !f.fixed_by.is_some_and(failing_rule))
            .collect();
        failing.sort_by_key(|(i, f)| (f.meta.area.fix_order(), *i));
        failing.into_iter().map(|(_, f)| f).collect()
    }
}
