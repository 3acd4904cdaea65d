//! `caller-credentials`: Your credentials work (`rules/caller-credentials.toml`).

use crate::facts::Unavailable;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let creds = c.facts.credentials.value();
    let caller = match c.facts.caller.get_ref() {
        Ok(caller) => caller,
        Err(reason @ Unavailable::Error { .. }) => {
            return Ok(Outcome::fail(format!("the credentials do not work: {}", reason.describe())).remedy(
                "Sign in again (aws sso login for an SSO profile, a fresh aws sts get-session-token, or new keys), and check --profile and --region.",
            ));
        }
        Err(reason) => return Err(Outcome::missing("who the caller is", reason)),
    };
    let mut out = Outcome::pass(format!("signed in as {}", caller.arn)).evidence(format!(
        "account {}, user id {}",
        caller.account, caller.user_id
    ));
    if let Some(creds) = creds {
        let kind = if creds.temporary {
            "temporary"
        } else {
            "long-term"
        };
        out = out.evidence(format!("{kind} credentials from {}", creds.source));
        if let (Some(expiry), Some(now)) =
            (creds.expires_at.as_deref(), c.facts.gathered_at.as_deref())
        {
            match (
                expiry.parse::<jiff::Timestamp>(),
                now.parse::<jiff::Timestamp>(),
            ) {
                (Ok(e), Ok(n)) if e <= n => {
                    return Ok(
                        Outcome::fail(format!("the credentials expired at {expiry}")).remedy(
                            "Get new ones: aws sso login for an SSO profile, or aws sts get-session-token again.",
                        ),
                    )
                }
                (Ok(_), Ok(_)) => out = out.evidence(format!("valid until {expiry}")),
                _ => out = out.note(format!("cannot read the expiry time `{expiry}`")),
            }
        }
    }
    if let Some(owner) = &c.facts.target.account {
        if owner != &caller.account {
            out = out.note(format!(
                "the caller is in account {}, the instance in {owner}",
                caller.account
            ));
        }
    }
    Ok(out)
}
