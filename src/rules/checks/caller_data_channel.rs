//! `caller-data-channel`: You may open the data channel of your own sessions (`rules/caller-data-channel.toml`).

use crate::facts::Decision;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::permissions::{
    line, on_own_sessions, own_sessions_statement, permissions, session_owner, with_limits,
    SESSION_ID_FORMS,
};
use crate::rules::shared::Check;

/// `ssmmessages:OpenDataChannel` for the caller: in every current AWS end-user policy, but not documented as
/// enforced for callers; a denial is a warning that says so.
pub fn check(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let owner = session_owner(c);
    let action = "ssmmessages:OpenDataChannel";
    let (decision, checks) =
        match on_own_sessions(&perms, action, owner.as_ref().map(|(o, _)| o.as_str())) {
            Ok(v) => v,
            Err(out) => return Ok(with_limits(out, &perms)),
        };
    let mut evidence: Vec<String> = owner
        .iter()
        .map(|(o, why)| format!("{why}: session/{o}-…"))
        .collect();
    evidence.extend(checks.iter().map(|k| line(k)));
    let out = match decision {
        Decision::Allowed => Outcome::pass("you may open the data channel of your sessions"),
        Decision::Unknown => {
            let out = Outcome::unknown(format!("cannot tell whether you may call {action} on your sessions"));
            if checks.iter().all(|k| k.decision != Decision::Unknown) {
                out.note(SESSION_ID_FORMS)
            } else {
                out
            }
        }
        _ => Outcome::warn(format!(
            "your policies do not allow {action} on your sessions, which AWS's current end-user policies grant"
        ))
        .note("AWS's quickstart and example end-user policies grant ssmmessages:OpenDataChannel on session/${aws:userid}-*, and session-manager-plugin 1.2.764.0 signs OpenDataChannel requests; no AWS page says whether the call is refused without it, and the Service Authorization Reference lists no resource type for ssmmessages actions.")
        .remedy(format!(
            "Add it as AWS's examples do:\n{}",
            own_sessions_statement(c, "\"ssmmessages:OpenDataChannel\"")
        )),
    };
    Ok(with_limits(out.evidence_all(evidence), &perms))
}
