//! `caller-mfa`: MFA is not what stops you (`rules/caller-mfa.toml`).

use crate::facts::{Decision, Scenario};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::commands::profile_flag;
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
            let profile = profile_flag(c.facts);
            Outcome::fail("a policy denies ssm:StartSession unless you signed in with MFA, and these credentials carry none")
                .evidence(format!("as now: {}", line(now)))
                .evidence(format!("with aws:MultiFactorAuthPresent=true: {}", line(with.expect("matched"))))
                .remedy(format!(
                    "Get temporary credentials with MFA (MFA_CODE from your device) and export them:\n\
                     eval \"$(aws sts get-session-token --serial-number {serial} --token-code MFA_CODE{profile} --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text | awk '{{print \"export AWS_ACCESS_KEY_ID=\"$1\" AWS_SECRET_ACCESS_KEY=\"$2\" AWS_SESSION_TOKEN=\"$3}}')\"\n\
                     If you reach this account through a role, put mfa_serial = {serial} in that role's profile, beside role_arn and source_profile: the CLI asks for the code only when it assumes a role."
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
                "arn:{}:iam::{}:mfa/YOUR_MFA_DEVICE",
                c.facts.partition().name,
                c.account()
            )
        })
}
