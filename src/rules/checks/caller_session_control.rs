//! `caller-session-control`: You may end and resume your own sessions (`rules/caller-session-control.toml`).

use crate::facts::Decision;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::permissions::{
    line, on_own_sessions, own_sessions_statement, permissions, with_limits, SESSION_ID_FORMS,
};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = Vec::new();
    for action in ["ssm:TerminateSession", "ssm:ResumeSession"] {
        let (decision, checks) = match on_own_sessions(&perms, action) {
            Ok(v) => v,
            Err(out) => return Ok(with_limits(out, &perms)),
        };
        evidence.extend(checks.iter().map(|k| line(k)));
        match decision {
            Decision::Allowed => {}
            Decision::Unknown => unknown.push((action, checks)),
            _ => denied.push(match action {
                "ssm:TerminateSession" => "end (ssm:TerminateSession)",
                _ => "resume (ssm:ResumeSession)",
            }),
        }
    }
    let is_role = c
        .facts
        .caller
        .value()
        .is_some_and(|k| !k.arn.contains(":user/"));
    let out = if !denied.is_empty() {
        let mut out = Outcome::warn(format!(
            "you may not {} your own sessions",
            denied.join(" or ")
        ))
        .remedy(format!(
            "Allow them on your own sessions:\n{}",
            own_sessions_statement(c, "[\"ssm:TerminateSession\",\"ssm:ResumeSession\"]")
        ));
        if is_role {
            out = out.note("For a role, ${aws:username} has no value, and session ids start with the role session name, not ${aws:userid}: neither session/${aws:username}-* nor session/${aws:userid}-* matches; AWS's method for roles tests the session's session-id tag.");
        }
        out
    } else if !unknown.is_empty() {
        let forms_disagree = unknown
            .iter()
            .any(|(_, checks)| checks.iter().all(|k| k.decision != Decision::Unknown));
        let out = Outcome::unknown("cannot tell whether you may end and resume your own sessions");
        if forms_disagree {
            out.note(SESSION_ID_FORMS)
        } else {
            out
        }
    } else {
        Outcome::pass("you may end and resume your own sessions")
    };
    Ok(with_limits(out.evidence_all(evidence), &perms))
}
