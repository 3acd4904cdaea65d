//! Judging a version against documented minimums. Where sources disagree on one topic, the version fails only
//! below all of them and is warned about between them, with every source named: the disagreement is shown,
//! not resolved silently.

use crate::rules::outcome::Outcome;
use std::fmt::Display;

pub struct Minimum<V> {
    pub version: V,
    /// What the minimum is for, e.g. "port forwarding": minimums with one topic are alternatives.
    pub topic: &'static str,
    pub source: &'static str,
}

pub fn judge<V: Ord + Display + Copy>(
    subject: &str,
    have: V,
    minimums: &[Minimum<V>],
    remedy: &str,
) -> Outcome {
    let mut topics: Vec<&str> = minimums.iter().map(|m| m.topic).collect();
    topics.dedup();
    let mut failures = Vec::new();
    let mut disputes = Vec::new();
    let mut evidence = Vec::new();
    for topic in topics {
        let group: Vec<&Minimum<V>> = minimums.iter().filter(|m| m.topic == topic).collect();
        let lowest = group
            .iter()
            .map(|m| m.version)
            .min()
            .expect("non-empty group");
        let highest = group
            .iter()
            .map(|m| m.version)
            .max()
            .expect("non-empty group");
        let cited = group
            .iter()
            .map(|m| format!("{} ({})", m.version, m.source))
            .collect::<Vec<_>>()
            .join(", ");
        if have < lowest {
            failures.push(format!("{topic} needs {cited}"));
        } else if have < highest {
            let unmet: Vec<String> = group
                .iter()
                .filter(|m| have < m.version)
                .map(|m| format!("{} asks {}", m.source, m.version))
                .collect();
            disputes.push(format!(
                "{topic}: meets {lowest}, but {}",
                unmet.join(" and ")
            ));
        } else {
            evidence.push(format!("{topic}: {have} ≥ {cited}"));
        }
    }
    let out = if !failures.is_empty() {
        Outcome::fail(format!(
            "{subject} {have} is too old: {}",
            failures.join("; ")
        ))
        .remedy(remedy)
    } else if !disputes.is_empty() {
        Outcome::warn(format!(
            "{subject} {have} meets some documented minimums, not all: {}",
            disputes.join("; ")
        ))
        .note("The sources disagree; the newer minimum is the safe one.")
        .remedy(remedy)
    } else {
        Outcome::pass(format!("{subject} {have} is new enough"))
    };
    out.evidence_all(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;
    use crate::version::Version4;

    fn v(s: &str) -> Version4 {
        s.parse().unwrap()
    }

    #[test]
    fn below_all_fails_between_warns_above_passes() {
        let mins = [
            Minimum {
                version: v("2.3.672.0"),
                topic: "port forwarding",
                source: "“Port forwarding with Session Manager”, an article in docs/sources.md",
            },
            Minimum {
                version: v("2.3.701.0"),
                topic: "port forwarding",
                source: "“RDP over port forwarding”, an article in docs/sources.md",
            },
            Minimum {
                version: v("3.0.222.0"),
                topic: "port forwarding",
                source: "AWS",
            },
        ];
        assert_eq!(
            judge("agent", v("2.3.634.0"), &mins, "update").status,
            Status::Fail
        );
        let between = judge("agent", v("2.3.722.0"), &mins, "update");
        assert_eq!(between.status, Status::Warn);
        assert!(
            between.message.contains("AWS asks 3.0.222.0"),
            "{}",
            between.message
        );
        assert_eq!(
            judge("agent", v("3.3.40.0"), &mins, "update").status,
            Status::Pass
        );
    }
}
