//! The person starting the session: credentials, StartSession rights, MFA, cross-account roles.
//!
//! Permissions come from `caller_permissions` (IAM's simulator) when the facts have them, else from a local
//! evaluation of `caller_policies`; every finding says which, and what that method cannot see.

use super::{Check, Outcome, Verdict};
use crate::caller::{document_arn, evaluate_locally};
use crate::facts::{CallerPermissions, Decision, PermissionCheck, Scenario, Unavailable};
use crate::policy::{evaluate_trust, Context, Outcome as TrustOutcome, Policy};
use std::borrow::Cow;

pub fn credentials(c: &Check) -> Verdict {
    let creds = c.facts.credentials.value();
    let caller = match c.facts.caller.get_ref() {
        Ok(caller) => caller,
        Err(reason @ Unavailable::Error { .. }) => {
            return Ok(Outcome::fail(format!("the credentials do not work: {}", reason.describe())).remedy(
                "Sign in again (`aws sso login`, a fresh `aws sts get-session-token`, or new keys), and check --profile and --region.",
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
                            "Get new ones: `aws sso login`, or `aws sts get-session-token` again.",
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

/// The decisions, simulated or evaluated locally; Unknown naming both ways of seeing them when neither works.
fn permissions<'a>(c: &Check<'a>) -> Result<Cow<'a, CallerPermissions>, Outcome> {
    let reason = match c.facts.caller_permissions.get_ref() {
        Ok(p) => return Ok(Cow::Borrowed(p)),
        Err(reason) => reason,
    };
    match evaluate_locally(c.facts) {
        Ok(p) => Ok(Cow::Owned(p)),
        Err(local) => {
            let mut out = Outcome::missing("the caller's permissions", reason);
            if let Some(action) = local.reason.missing_action() {
                out = out.needs(action);
            }
            Err(out)
        }
    }
}

fn find<'a>(
    perms: &'a CallerPermissions,
    action: &str,
    resource: Option<&str>,
    scenario: Scenario,
) -> Option<&'a PermissionCheck> {
    perms.checks.iter().find(|k| {
        k.scenario == scenario
            && k.principal_arn.is_none()
            && k.action.eq_ignore_ascii_case(action)
            && resource.is_none_or(|r| k.resource == r)
    })
}

fn line(k: &PermissionCheck) -> String {
    let decision = match k.decision {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny => "explicit deny",
        Decision::ImplicitDeny => "implicit deny",
        Decision::Unknown => "unknown",
    };
    let by = if k.matched_statements.is_empty() {
        String::new()
    } else {
        format!(" by {}", k.matched_statements.join(", "))
    };
    let why = k
        .why
        .as_deref()
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    format!("{} on {}: {decision}{by}{why}", k.action, k.resource)
}

fn not_evaluated(action: &str, resource: &str) -> Outcome {
    Outcome::unknown(format!(
        "no evaluation of {action} on {resource} in the facts"
    ))
    .needs("iam:SimulatePrincipalPolicy")
}

fn with_limits(mut out: Outcome, perms: &CallerPermissions) -> Outcome {
    out = out.evidence(format!(
        "evaluated by {} for {}",
        perms.method, perms.principal_arn
    ));
    for l in &perms.limitations {
        out = out.note(l.clone());
    }
    out
}

pub fn start_session(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let targets = [
        c.facts.target_arn(),
        document_arn(c.facts, &c.account(), c.options.mode),
    ];
    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = Vec::new();
    for resource in &targets {
        let Some(k) = find(
            &perms,
            "ssm:StartSession",
            Some(resource),
            Scenario::Current,
        ) else {
            return Ok(with_limits(
                not_evaluated("ssm:StartSession", resource),
                &perms,
            ));
        };
        evidence.push(line(k));
        match k.decision {
            Decision::Allowed => {}
            Decision::Unknown => unknown.push(k),
            _ => denied.push(k),
        }
    }
    if denied.is_empty() && unknown.is_empty() {
        return Ok(with_limits(
            Outcome::pass("you may start this session").evidence_all(evidence),
            &perms,
        ));
    }
    if denied.is_empty() {
        return Ok(with_limits(
            Outcome::unknown(format!(
                "cannot tell whether you may start this session: {}",
                unknown[0].why.as_deref().unwrap_or("undecided")
            ))
            .evidence_all(evidence),
            &perms,
        ));
    }
    let explicit = denied.iter().any(|k| k.decision == Decision::ExplicitDeny);
    let mfa_would_help = denied.iter().all(|k| {
        find(
            &perms,
            "ssm:StartSession",
            Some(&k.resource),
            Scenario::WithMfa,
        )
        .is_some_and(|m| m.decision == Decision::Allowed)
    });
    let message = if explicit {
        format!(
            "{} is not authorized to perform ssm:StartSession on {} with an explicit deny",
            perms.principal_arn, denied[0].resource
        )
    } else {
        format!(
            "no identity-based policy allows ssm:StartSession on {}",
            denied
                .iter()
                .map(|k| k.resource.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    let remedy = if mfa_would_help {
        "Sign in with MFA (see caller-mfa).".to_string()
    } else {
        format!(
            "Allow it on both ARNs, e.g. in a policy of {}:\n{{\"Effect\":\"Allow\",\"Action\":\"ssm:StartSession\",\"Resource\":[\"{}\",\"{}\"]}}",
            perms.principal_arn, targets[0], targets[1]
        )
    };
    let mut out = Outcome::fail(message).evidence_all(evidence).remedy(remedy);
    if explicit && !mfa_would_help {
        out = out.note("An explicit deny can also come from an SCP or a permissions boundary.");
    }
    Ok(with_limits(out, &perms))
}

pub fn session_control(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let mut evidence = Vec::new();
    let mut denied = Vec::new();
    let mut unknown = false;
    for action in ["ssm:TerminateSession", "ssm:ResumeSession"] {
        let Some(k) = find(&perms, action, None, Scenario::Current) else {
            return Ok(with_limits(not_evaluated(action, "your sessions"), &perms));
        };
        evidence.push(line(k));
        match k.decision {
            Decision::Allowed => {}
            Decision::Unknown => unknown = true,
            _ => denied.push(action),
        }
    }
    let is_role = c
        .facts
        .caller
        .value()
        .is_some_and(|k| !k.arn.contains(":user/"));
    let out = if !denied.is_empty() && is_role {
        Outcome::warn(format!("you may not {} your own sessions", denied.join(" or ")))
            .note("For a role, ${aws:username} has no value, so a session/${aws:username}-* resource never matches; AWS's examples use ${aws:userid} there.")
            .remedy(
                "Allow them on the role's sessions:\n{\"Effect\":\"Allow\",\"Action\":[\"ssm:TerminateSession\",\"ssm:ResumeSession\"],\"Resource\":\"arn:aws:ssm:*:*:session/${aws:userid}-*\"}",
            )
    } else if !denied.is_empty() {
        Outcome::warn(format!("you may not {} your own sessions", denied.join(" or "))).remedy(
            "Allow them on your own sessions:\n{\"Effect\":\"Allow\",\"Action\":[\"ssm:TerminateSession\",\"ssm:ResumeSession\"],\"Resource\":\"arn:aws:ssm:*:*:session/${aws:username}-*\"}",
        )
    } else if unknown {
        Outcome::unknown("cannot tell whether you may end and resume your own sessions")
    } else {
        Outcome::pass("you may end and resume your own sessions")
    };
    Ok(with_limits(out.evidence_all(evidence), &perms))
}

pub fn kms(c: &Check) -> Verdict {
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

pub fn mfa(c: &Check) -> Verdict {
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
            let serial = c
                .facts
                .credentials
                .value()
                .and_then(|cr| cr.mfa_serial.clone())
                .unwrap_or_else(|| format!("arn:aws:iam::{}:mfa/<user>", c.account()));
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

pub fn assume_role(c: &Check) -> Verdict {
    let creds = c
        .facts
        .credentials
        .need("how the credentials were obtained")?;
    let Some(role_arn) = &creds.role_arn else {
        return Ok(Outcome::skip("the profile does not assume a role"));
    };
    let source = creds.source_profile.as_deref().unwrap_or("its source");
    let trust = trust_verdict(c, role_arn);
    let caller = match c.facts.caller.get_ref() {
        Ok(caller) => caller,
        Err(reason @ Unavailable::Error { .. }) => {
            let mut out = Outcome::fail(format!("assuming {role_arn} from {source} failed: {}", reason.describe())).remedy(format!(
                "The role's trust policy must allow your account (arn:aws:iam::<your-account>:root or your user), \
                 and your user needs sts:AssumeRole on {role_arn}. Check `role_arn` and `source_profile` in ~/.aws/config."
            ));
            if let Some(line) = trust {
                out = out.evidence(line);
            }
            return Ok(out);
        }
        Err(reason) => return Err(Outcome::missing("who the caller is", reason)),
    };
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let assumed =
        caller.arn.contains(":assumed-role/") && caller.arn.split('/').nth(1) == Some(role_name);
    if !assumed {
        return Ok(Outcome::fail(format!("the profile names {role_arn}, but the calls run as {}", caller.arn))
            .remedy("Check that --profile selects the profile with role_arn, and that no AWS_ACCESS_KEY_ID in the environment overrides it."));
    }
    let mut out = Outcome::pass(format!("{source} assumed {role_arn}"))
        .evidence(format!("running as {}", caller.arn));
    if let Some(line) = trust {
        out = out.evidence(line);
    }
    if let Some(perms) = c.facts.caller_permissions.value() {
        for k in perms
            .checks
            .iter()
            .filter(|k| k.action.eq_ignore_ascii_case("sts:AssumeRole"))
        {
            out = out.evidence(format!(
                "{}: {}",
                k.principal_arn.as_deref().unwrap_or(&perms.principal_arn),
                line(k)
            ));
        }
    }
    Ok(out)
}

/// What the assumed role's trust policy says of the source identity, when both are in the facts.
fn trust_verdict(c: &Check, role_arn: &str) -> Option<String> {
    let source = c.facts.credentials.value()?.source_identity_arn.clone()?;
    let doc = c.facts.caller_policies.value()?.trust_policy.clone()?;
    let policy = Policy::parse(&doc).ok()?;
    let ctx = Context::open::<&str>([]);
    Some(
        match evaluate_trust(
            &policy,
            "trust policy",
            "sts:AssumeRole",
            ("AWS", &source),
            &ctx,
        ) {
            TrustOutcome::Allowed { by } => {
                format!("the trust policy of {role_arn} lets {source} assume it ({by})")
            }
            TrustOutcome::Unknown { why } => {
                format!("cannot tell whether {role_arn} trusts {source}: {why}")
            }
            _ => format!("the trust policy of {role_arn} does not let {source} assume it"),
        },
    )
}
