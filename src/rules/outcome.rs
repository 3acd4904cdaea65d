//! What a rule returns: a status, a message in the user's terms, the evidence, and the remedy.

use crate::facts::{Missing, Unavailable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// A requirement is not met: the session will not work until it is.
    Fail,
    /// The rule could not see its facts; `needs` names what would reveal them.
    Unknown,
    /// Works, but should change (deprecated, fragile, or sources disagree).
    Warn,
    Pass,
    /// Not needed for this mode or layout.
    Skip,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Fail,
        Status::Unknown,
        Status::Warn,
        Status::Pass,
        Status::Skip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Warn => "warn",
            Status::Pass => "pass",
            Status::Skip => "skip",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a status: fail, unknown, warn, pass or skip"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Vec<String>,
    pub remedy: Option<String>,
    /// Permissions that would reveal missing facts.
    pub needs: Vec<String>,
    /// Caveats: sources that disagree, what an evaluation does not cover.
    pub notes: Vec<String>,
    /// The rule whose fix fixes this too: a symptom names its cause, so the fix list goes by cause.
    pub fixed_by: Option<&'static str>,
    /// A failure that ends by itself (an instance starting, an agent registering, an endpoint being created): what
    /// it waits for, e.g. `the agent on i-… to register`. `--wait` re-checks while every failure is one of these.
    pub settles: Option<String>,
}

/// Rules return `Err` to stop early (usually an Unknown from a missing fact), `Ok` otherwise.
pub type Verdict = Result<Outcome, Outcome>;

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Outcome {
            status,
            message: message.into(),
            evidence: Vec::new(),
            remedy: None,
            needs: Vec::new(),
            notes: Vec::new(),
            fixed_by: None,
            settles: None,
        }
    }

    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }

    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }

    pub fn warn(message: impl Into<String>) -> Self {
        Self::new(Status::Warn, message)
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(Status::Unknown, message)
    }

    pub fn skip(message: impl Into<String>) -> Self {
        Self::new(Status::Skip, message)
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn evidence_all(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(lines);
        self
    }

    pub fn remedy(mut self, text: impl Into<String>) -> Self {
        self.remedy = Some(text.into());
        self
    }

    /// This is a symptom of `rule`'s failure: fixing that fixes this.
    pub fn fixed_by(mut self, rule: &'static str) -> Self {
        self.fixed_by = Some(rule);
        self
    }

    /// This failure ends by itself: what it waits for (`the agent on i-… to register`).
    pub fn settles(mut self, what: impl Into<String>) -> Self {
        self.settles = Some(what.into());
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn needs(mut self, action: impl Into<String>) -> Self {
        let action = action.into();
        if !self.needs.contains(&action) {
            self.needs.push(action);
        }
        self
    }

    /// "Could not see X": Unknown naming the permission, or Skip when the fact has no meaning here.
    pub fn missing(what: &str, reason: &Unavailable) -> Self {
        match reason {
            Unavailable::NotApplicable { why } => Outcome::skip(format!("not applicable: {why}")),
            _ => {
                let out = Outcome::unknown(format!("could not see {what}: {}", reason.describe()));
                match reason.missing_action() {
                    Some(action) => out.needs(action),
                    None => out,
                }
            }
        }
    }
}

impl From<Missing> for Outcome {
    fn from(m: Missing) -> Self {
        Outcome::missing(m.what, &m.reason)
    }
}
