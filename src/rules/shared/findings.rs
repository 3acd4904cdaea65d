//! Collecting what a rule finds: problems weighed by whether their service is needed.

use crate::rules::outcome::{Outcome, Status};
use crate::rules::shared::needs::Need;

/// Sorts problems by whether their service is required: any required one fails; otherwise problems of services
/// that may be needed make the answer Unknown, with the reason they may be.
pub struct Problems {
    required: Vec<String>,
    maybe: Vec<String>,
    why_maybe: Vec<String>,
}

impl Problems {
    pub fn new() -> Self {
        Problems {
            required: Vec::new(),
            maybe: Vec::new(),
            why_maybe: Vec::new(),
        }
    }

    pub fn add(&mut self, need: &Need, problem: String) {
        match need {
            Need::Required(_) => self.required.push(problem),
            Need::Unknown(why) => {
                self.maybe.push(problem);
                if !self.why_maybe.contains(why) {
                    self.why_maybe.push(why.clone());
                }
            }
            Need::NotNeeded(_) => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.maybe.is_empty()
    }

    /// Fail with the required problems, or — said the same way — Unknown with the others, adding why they may
    /// not matter; `None` when there are none.
    pub fn outcome(&self, fail: impl FnOnce(&str) -> Outcome) -> Option<Outcome> {
        if !self.required.is_empty() {
            return Some(fail(&self.required.join("; ")));
        }
        if self.maybe.is_empty() {
            return None;
        }
        let mut out = fail(&self.maybe.join("; "));
        out.status = Status::Unknown;
        out.message = format!(
            "{}; but whether that matters is not known: {}",
            out.message,
            self.why_maybe.join("; ")
        );
        Some(out)
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
