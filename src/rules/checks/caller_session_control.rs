//! `caller-session-control`: You may end and resume your own sessions (`rules/caller-session-control.toml`).

use crate::facts::Decision;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::findings::{Findings, Summary};
use crate::rules::shared::permissions::{
    line, on_own_sessions, own_sessions_statement, permissions, session_owner, with_limits,
    SESSION_ID_FORMS,
};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let owner = session_owner(c);
    let mut f = Findings::new();
    if let Some((o, why)) = &owner {
        f.evidence(format!("{why}: session/{o}-…"));
    }
    // Whether the two forms of session id got different answers: then which one AWS uses decides.
    let mut forms_disagree = false;
    for action in ["ssm:TerminateSession", "ssm:ResumeSession"] {
        let (decision, checks) =
            match on_own_sessions(&perms, action, owner.as_ref().map(|(o, _)| o.as_str())) {
                Ok(v) => v,
                Err(out) => return Ok(with_limits(out, &perms)),
            };
        for k in &checks {
            f.evidence(line(k));
        }
        match decision {
            Decision::Allowed => {}
            Decision::Unknown => {
                forms_disagree |= checks.iter().all(|k| k.decision != Decision::Unknown);
                f.unknown(action);
            }
            _ => f.problem(match action {
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
    let out = f.finish(|summary| match summary {
        Summary::Problems(p) => {
            let out = Outcome::warn(format!(
                "you may not {} your own sessions",
                p.replace("; ", " or ")
            ))
            .remedy(format!(
                "Allow them on your own sessions:\n{}",
                own_sessions_statement(c, "[\"ssm:TerminateSession\",\"ssm:ResumeSession\"]")
            ));
            if is_role {
                out.note("For a role, ${aws:username} has no value, and session ids start with the role session name, not ${aws:userid}: neither session/${aws:username}-* nor session/${aws:userid}-* matches; AWS's method for roles tests the session's session-id tag.")
            } else {
                out
            }
        }
        Summary::Unknown(_) | Summary::Doubts(_) => {
            let out = Outcome::unknown("cannot tell whether you may end and resume your own sessions");
            if forms_disagree {
                out.note(SESSION_ID_FORMS)
            } else {
                out
            }
        }
        Summary::Clear => Outcome::pass("you may end and resume your own sessions"),
    });
    Ok(with_limits(out, &perms))
}
