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

/// Why a document denial matters, or not, for this mode.
enum DocumentNeed {
    /// A named document (SSH, port forwarding): StartSession is asked on it.
    Named,
    /// A plain shell whose caller's policies test `ssm:SessionDocumentAccessCheck`: the document must be named too.
    ShellChecked,
    /// A plain shell without that condition: AWS's pages disagree on whether the document matters.
    ShellUnchecked,
    /// A plain shell, and whether the policies test the key is not known.
    ShellUnknown,
}

const DOCUMENT_PAGES: &str = "AWS's pages disagree: \"Enforce a session document permission check for the AWS CLI\" says a plain shell session \"starts even if the user's IAM policy doesn't grant explicit permission to access the SSM-SessionManagerRunShell document\" unless ssm:SessionDocumentAccessCheck is set; \"Specify a default session document\" says \"To start a default shell session, you must specify the default session document in the IAM policy\".";

pub fn start_session(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let instance = c.facts.target_arn();
    let document = document_arn(c.facts, &c.account(), c.options.mode);
    let mut checks = Vec::new();
    for resource in [&instance, &document] {
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
        checks.push(k);
    }
    let evidence: Vec<String> = checks.iter().map(|k| line(k)).collect();
    let (on_instance, on_document) = (checks[0], checks[1]);
    let need = if !c.options.mode.is_shell() {
        DocumentNeed::Named
    } else {
        match perms.session_document_access_check {
            Some(true) => DocumentNeed::ShellChecked,
            Some(false) => DocumentNeed::ShellUnchecked,
            None => DocumentNeed::ShellUnknown,
        }
    };
    let denied_document = matches!(
        on_document.decision,
        Decision::ImplicitDeny | Decision::ExplicitDeny
    );
    // What fails: the instance always; the document when the mode (or the caller's own condition) asks for it.
    let mut denied: Vec<&PermissionCheck> = Vec::new();
    if matches!(
        on_instance.decision,
        Decision::ImplicitDeny | Decision::ExplicitDeny
    ) {
        denied.push(on_instance);
    }
    if denied_document && matches!(need, DocumentNeed::Named | DocumentNeed::ShellChecked) {
        denied.push(on_document);
    }
    if !denied.is_empty() {
        return Ok(with_limits(
            refused(c, &perms, &denied, &need, [&instance, &document]).evidence_all(evidence),
            &perms,
        ));
    }
    let unknown_instance = on_instance.decision == Decision::Unknown;
    let unknown_document =
        on_document.decision == Decision::Unknown && !matches!(need, DocumentNeed::ShellUnchecked);
    if unknown_instance || unknown_document {
        let k = if unknown_instance {
            on_instance
        } else {
            on_document
        };
        return Ok(with_limits(
            Outcome::unknown(format!(
                "cannot tell whether you may start this session: {}",
                k.why.as_deref().unwrap_or("undecided")
            ))
            .evidence_all(evidence),
            &perms,
        ));
    }
    if denied_document {
        let doc = c.options.mode.document();
        return Ok(with_limits(
            match need {
                DocumentNeed::ShellUnknown => Outcome::unknown(format!(
                    "you may start sessions on the instance, but no policy allows {doc}, and whether your policies test ssm:SessionDocumentAccessCheck (which makes a plain shell need it) could not be told"
                ))
                .needs("iam:SimulatePrincipalPolicy"),
                _ => Outcome::warn(format!(
                    "you may start a plain shell session (`aws ssm start-session --target …`), but no policy allows {doc}: your policies do not use ssm:SessionDocumentAccessCheck, so it is not checked"
                ))
                .note(DOCUMENT_PAGES)
                .remedy(format!(
                    "Allow it too, as AWS's current examples do:\n{{\"Effect\":\"Allow\",\"Action\":\"ssm:StartSession\",\"Resource\":[\"{instance}\",\"{document}\"]}}"
                )),
            }
            .evidence_all(evidence),
            &perms,
        ));
    }
    let mut out = Outcome::pass("you may start this session").evidence_all(evidence);
    if let DocumentNeed::ShellChecked = need {
        out = out.note(format!(
            "Your policies set ssm:SessionDocumentAccessCheck: start the shell with `--document-name {}`.",
            c.options.mode.document()
        ));
    }
    Ok(with_limits(out, &perms))
}

/// The failure for a StartSession that the policies refuse.
fn refused(
    c: &Check,
    perms: &CallerPermissions,
    denied: &[&PermissionCheck],
    need: &DocumentNeed,
    [instance, document]: [&String; 2],
) -> Outcome {
    let explicit = denied.iter().any(|k| k.decision == Decision::ExplicitDeny);
    let mfa_would_help = denied.iter().all(|k| {
        find(
            perms,
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
    let mut remedy = if mfa_would_help {
        "Sign in with MFA (see caller-mfa).".to_string()
    } else {
        format!(
            "Allow it on both ARNs, e.g. in a policy of {}:\n{{\"Effect\":\"Allow\",\"Action\":\"ssm:StartSession\",\"Resource\":[\"{instance}\",\"{document}\"]}}",
            perms.principal_arn
        )
    };
    let mut out = Outcome::fail(message);
    if let DocumentNeed::ShellChecked = need {
        remedy.push_str(&format!(
            "\nand name the document when you start a shell: `aws ssm start-session --target {} --document-name {}`",
            c.facts.target.id,
            c.options.mode.document()
        ));
        out = out.note("Your policies set ssm:SessionDocumentAccessCheck, so even a plain shell needs StartSession on its session document (AWS \"Enforce a session document permission check for the AWS CLI\").");
    }
    if explicit && !mfa_would_help {
        out = out.note("An explicit deny can also come from an SCP or a permissions boundary.");
    }
    out.remedy(remedy)
}

/// One action on the caller's own sessions: the same decision for every form a session id may take, or Unknown
/// when the forms disagree.
fn on_own_sessions<'p>(
    perms: &'p CallerPermissions,
    action: &str,
) -> Result<(Decision, Vec<&'p PermissionCheck>), Outcome> {
    let checks: Vec<&PermissionCheck> = perms
        .checks
        .iter()
        .filter(|k| {
            k.scenario == Scenario::Current
                && k.principal_arn.is_none()
                && k.action.eq_ignore_ascii_case(action)
        })
        .collect();
    let Some(first) = checks.first() else {
        return Err(not_evaluated(action, "your sessions"));
    };
    // Different answers for the two forms of session id: which one AWS uses decides, and that is not known.
    let decision = if checks.iter().all(|k| k.decision == first.decision) {
        first.decision
    } else {
        Decision::Unknown
    };
    Ok((decision, checks))
}

const SESSION_ID_FORMS: &str = "AWS documents session ids as `<user name>-<id>` (for a role, `<session name>-<id>`), while its current example policies match `session/${aws:userid}-*`: your policies allow one form and not the other.";

/// The resource or condition that matches the caller's own sessions: the user name for IAM users; for roles and
/// federated users, AWS's method with the session-id tag (a session ARN never carries `${aws:userid}` for them).
fn own_sessions_statement(c: &Check, actions: &str) -> String {
    let is_user = c
        .facts
        .caller
        .value()
        .is_some_and(|k| k.arn.contains(":user/"));
    if is_user {
        format!("{{\"Effect\":\"Allow\",\"Action\":{actions},\"Resource\":\"arn:{}:ssm:*:*:session/${{aws:username}}-*\"}}", c.facts.partition().name)
    } else {
        format!("{{\"Effect\":\"Allow\",\"Action\":{actions},\"Resource\":\"*\",\"Condition\":{{\"StringLike\":{{\"ssm:resourceTag/aws:ssmmessages:session-id\":[\"${{aws:userid}}*\"]}}}}}}")
    }
}

pub fn session_control(c: &Check) -> Verdict {
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

/// `ssmmessages:OpenDataChannel` for the caller: in every current AWS end-user policy, but not documented as
/// enforced for callers; a denial is a warning that says so.
pub fn data_channel(c: &Check) -> Verdict {
    let perms = permissions(c)?;
    let action = "ssmmessages:OpenDataChannel";
    let (decision, checks) = match on_own_sessions(&perms, action) {
        Ok(v) => v,
        Err(out) => return Ok(with_limits(out, &perms)),
    };
    let evidence: Vec<String> = checks.iter().map(|k| line(k)).collect();
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
