//! One collector for what a rule finds as it looks — evidence, problems weighed by whether their service is
//! needed, what it could not see, doubts, and the commands that fix it — turned into one outcome at the end,
//! worded by the rule.

use crate::facts::Unavailable;
use crate::rules::outcome::{Outcome, Status};
use crate::rules::shared::needs::Need;

#[derive(Debug, Default)]
pub struct Findings {
    evidence: Vec<String>,
    /// Problems of what the session needs.
    required: Vec<String>,
    /// Problems of what it may need, and why it may.
    maybe: Vec<String>,
    why_maybe: Vec<String>,
    /// What could not be seen, and the permissions that would show it.
    unknown: Vec<String>,
    needs: Vec<String>,
    /// What works but is doubtful (a partly open range on an unknown platform).
    doubts: Vec<String>,
    remedy: Vec<String>,
}

/// What the rule is asked to word, in order of weight: the first kind present decides.
pub enum Summary<'s> {
    /// The problems, joined. When only problems of services that may be needed were found, the outcome the rule
    /// words is turned into Unknown afterwards, with why they may be.
    Problems(&'s str),
    /// What could not be seen, joined.
    Unknown(&'s str),
    /// The doubts, joined.
    Doubts(&'s str),
    Clear,
}

impl Findings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn evidence(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    /// A requirement that is not met.
    pub fn problem(&mut self, text: impl Into<String>) {
        self.required.push(text.into());
    }

    /// A problem of a service, weighed by whether the session needs it: not at all when it does not.
    pub fn problem_for(&mut self, need: &Need, text: impl Into<String>) {
        match need {
            Need::Required(_) => self.required.push(text.into()),
            Need::Unknown(why) => {
                self.maybe.push(text.into());
                if !self.why_maybe.contains(why) {
                    self.why_maybe.push(why.clone());
                }
            }
            Need::NotNeeded(_) => {}
        }
    }

    pub fn unknown(&mut self, text: impl Into<String>) {
        self.unknown.push(text.into());
    }

    /// Something could not be seen for `reason`: say so, with the permission that would show it.
    pub fn unseen(&mut self, what: &str, reason: &Unavailable) {
        self.unknown.push(format!("{what}: {}", reason.describe()));
        if let Some(action) = reason.missing_action() {
            self.need(action);
        }
    }

    /// A permission that would reveal what could not be seen.
    pub fn need(&mut self, action: impl Into<String>) {
        let action = action.into();
        if !self.needs.contains(&action) {
            self.needs.push(action);
        }
    }

    pub fn doubt(&mut self, text: impl Into<String>) {
        self.doubts.push(text.into());
    }

    /// A command (or step) of the fix; each is given once.
    pub fn remedy(&mut self, step: impl Into<String>) {
        let step = step.into();
        if !self.remedy.contains(&step) {
            self.remedy.push(step);
        }
    }

    pub fn has_problems(&self) -> bool {
        !self.required.is_empty() || !self.maybe.is_empty()
    }

    pub fn has_remedy(&self) -> bool {
        !self.remedy.is_empty()
    }

    /// Stops early with `out` (what the rule could not get past), keeping the evidence seen so far.
    pub fn stop(self, mut out: Outcome) -> Outcome {
        out.evidence.extend(self.evidence);
        out
    }

    /// The outcome: `word` phrases the summary; the evidence, the remedy (for problems and doubts, unless the
    /// rule gave its own) and, when the outcome is Unknown, the permissions that would decide it are added.
    pub fn finish(self, word: impl FnOnce(Summary) -> Outcome) -> Outcome {
        let (mut out, may_matter, fixes) = if !self.required.is_empty() {
            (
                word(Summary::Problems(&self.required.join("; "))),
                None,
                true,
            )
        } else if !self.maybe.is_empty() {
            let out = word(Summary::Problems(&self.maybe.join("; ")));
            (out, Some(self.why_maybe.join("; ")), true)
        } else if !self.unknown.is_empty() {
            (
                word(Summary::Unknown(&self.unknown.join("; "))),
                None,
                false,
            )
        } else if !self.doubts.is_empty() {
            (word(Summary::Doubts(&self.doubts.join("; "))), None, true)
        } else {
            (word(Summary::Clear), None, false)
        };
        if let Some(why) = may_matter {
            out.status = Status::Unknown;
            out.message = format!(
                "{}; but whether that matters is not known: {why}",
                out.message
            );
        }
        if fixes && out.remedy.is_none() && !self.remedy.is_empty() {
            out.remedy = Some(self.remedy.join("\n"));
        }
        out.evidence.extend(self.evidence);
        if out.status == Status::Unknown {
            for action in self.needs {
                out = out.needs(action);
            }
        }
        out
    }
}

/// `a, b (reason one); c (reason two)`: actions that share a reason are named together.
pub fn by_reason(denied: &[(&str, String)]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (action, why) in denied {
        match groups.iter_mut().find(|(w, _)| w == why) {
            Some((_, actions)) => actions.push(action),
            None => groups.push((why, vec![action])),
        }
    }
    groups
        .iter()
        .map(|(why, actions)| format!("{} ({why})", actions.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_problems_fail_and_carry_the_remedy_once() {
        let mut f = Findings::new();
        f.evidence("seen");
        f.problem_for(&Need::Required("always".into()), "a");
        f.problem_for(&Need::NotNeeded("never".into()), "ignored");
        f.remedy("fix a");
        f.remedy("fix a");
        let out = f.finish(|s| match s {
            Summary::Problems(p) => Outcome::fail(format!("broken: {p}")),
            _ => Outcome::pass("fine"),
        });
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.message, "broken: a");
        assert_eq!(out.remedy.as_deref(), Some("fix a"));
        assert_eq!(out.evidence, ["seen"]);
    }

    #[test]
    fn problems_that_may_not_matter_are_unknown_with_the_reason() {
        let mut f = Findings::new();
        f.problem_for(&Need::Unknown("the version is not known".into()), "b");
        let out = f.finish(|s| match s {
            Summary::Problems(p) => Outcome::fail(format!("broken: {p}")),
            _ => Outcome::pass("fine"),
        });
        assert_eq!(out.status, Status::Unknown);
        assert_eq!(
            out.message,
            "broken: b; but whether that matters is not known: the version is not known"
        );
    }

    #[test]
    fn unseen_facts_are_unknown_naming_the_permission() {
        let mut f = Findings::new();
        f.unseen(
            "the log group",
            &Unavailable::AccessDenied {
                action: "logs:DescribeLogGroups".into(),
                message: None,
            },
        );
        let out = f.finish(|s| match s {
            Summary::Unknown(u) => Outcome::unknown(format!("unseen: {u}")),
            _ => Outcome::pass("fine"),
        });
        assert_eq!(out.status, Status::Unknown);
        assert_eq!(out.needs, ["logs:DescribeLogGroups"]);
        assert!(out.remedy.is_none());
    }
}
