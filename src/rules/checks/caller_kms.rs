//! `caller-kms`: You may use the session encryption key (`rules/caller-kms.toml`).

use crate::facts::{Decision, Scenario};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::permissions::{find, line, not_evaluated, permissions, with_limits};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    c.shell_only()?;
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    let Some(key) = &prefs.kms_key_id else {
        return Ok(Outcome::skip("sessions are not KMS-encrypted"));
    };
    let perms = permissions(c)?;
    let Some(k) = find(&perms, "kms:GenerateDataKey", None, Scenario::Current) else {
        return Ok(with_limits(
            not_evaluated("kms:GenerateDataKey", key),
            &perms,
        ));
    };
    let out = match k.decision {
        Decision::Allowed => {
            Outcome::pass(format!("you may use KMS key {key} for session encryption"))
        }
        Decision::Unknown => {
            Outcome::unknown(format!("cannot tell whether you may use KMS key {key}"))
        }
        _ => Outcome::fail(format!(
            "sessions are encrypted with {key}, and you may not call kms:GenerateDataKey on it"
        ))
        .remedy(format!(
            "Allow kms:GenerateDataKey on the key, in your policy and in the key policy of {key}."
        )),
    };
    Ok(with_limits(out.evidence(line(k)), &perms))
}
