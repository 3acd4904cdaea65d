//! `caller-mfa`: MFA is not what stops you (`rules/caller-mfa.toml`).

use crate::facts::{Decision, Scenario};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::permissions::{find, line, not_evaluated, permissions, with_limits};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    if let Some(creds) = c.facts.credentials.value() {
        if creds.mfa_authenticated == Some(true) {
            return Ok(Outcome::pass("the credentials were issued with MFA"));
        }
    }
    let perms = permissions(c)?;
    let target = c.facts.target_arn();
    let (Some(now), with) = (
        find(&perms, "ssm:StartSession", Some(&target), Scenario::Current),
        find(&perms, "ssm:StartSession", Some(&target), Scenario::WithMfa),
    ) else {
        return Ok(not_evaluated("ssm:StartSession", &target));
    };
    let out = match (now.decision, with.map(|w| w.decision)) {
        (Decision::Allowed, _) => {
            Outcome::pass("MFA is not needed for this session").evidence(line(now))
        }
        (Decision::Unknown, _) => {
            Outcome::unknown("cannot tell whether MFA matters: the current decision is unknown")
                .evidence(line(now))
        }
        (_, Some(Decision::Allowed)) => {
            let serial = mfa_serial(c);
            Outcome::fail("a policy denies ssm:StartSession unless you signed in with MFA, and these credentials carry none")
                .evidence(format!("as now: {}", line(now)))
                .evidence(format!("with aws:MultiFactorAuthPresent=true: {}", line(with.expect("matched"))))
                .remedy(format!(
                    "Get temporary credentials with MFA and export them:\n\
                     aws sts get-session-token --serial-number {serial} --token-code <code>\n\
                     export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… AWS_SESSION_TOKEN=…\n\
                     or give your profile `mfa_serial = {serial}` so the CLI asks for the code."
                ))
        }
        (_, Some(Decision::Unknown)) => Outcome::unknown(
            "StartSession is denied, and whether MFA would allow it cannot be told",
        )
        .evidence(format!("as now: {}", line(now)))
        .evidence(format!(
            "with aws:MultiFactorAuthPresent=true: {}",
            line(with.expect("matched"))
        )),
        (_, Some(_)) => Outcome::pass("MFA would not change the answer (see caller-start-session)")
            .evidence(line(now)),
        (_, None) => Outcome::unknown(
            "StartSession is denied, and the facts do not say whether MFA would allow it",
        )
        .evidence(line(now)),
    };
    Ok(with_limits(out, &perms))
}

/// The caller's MFA device: one `iam:ListMFADevices` names (a virtual device's serial is its ARN), else the
/// profile's `mfa_serial`, else a placeholder to fill in.
fn mfa_serial(c: &Check) -> String {
    let devices = c.facts.mfa_devices.value();
    devices
        .and_then(|d| {
            d.iter()
                .find(|s| s.starts_with("arn:") && s.contains(":mfa/"))
                .or(d.first())
        })
        .cloned()
        .or_else(|| {
            c.facts
                .credentials
                .value()
                .and_then(|cr| cr.mfa_serial.clone())
        })
        .unwrap_or_else(|| {
            format!(
                "arn:{}:iam::{}:mfa/<your-mfa-device>",
                c.facts.partition().name,
                c.account()
            )
        })
}
