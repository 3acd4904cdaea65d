//! `caller-start-session`: You may call ssm:StartSession on the instance and the document (`rules/caller-start-session.toml`).

use crate::caller::document_arn;
use crate::facts::{CallerPermissions, Decision, PermissionCheck, Scenario};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::deny_layers::explain;
use crate::rules::shared::permissions::{find, line, not_evaluated, permissions, with_limits};
use crate::rules::shared::{jit, Check};

pub fn check(c: &Check) -> Verdict {
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
    let need = document_need(c, &perms);
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
        let out = document_not_allowed(c, &need, [&instance, &document]);
        return Ok(with_limits(out.evidence_all(evidence), &perms));
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
            resources(denied)
        )
    };
    let layered = denied
        .iter()
        .filter(|_| !mfa_would_help)
        .find_map(|k| explain(c, &perms.principal_arn, k));
    if let Some(layered) = layered {
        return Outcome::fail(format!(
            "ssm:StartSession on {} is denied by {}",
            resources(denied),
            layered.by
        ))
        .note(layered.note)
        .remedy(layered.remedy);
    }
    if !explicit && !mfa_would_help && jit::in_use(c).is_some() {
        return jit_request(c, message);
    }
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
            "\nand name the document when you start a shell:\naws ssm start-session --target {} --document-name {}",
            c.facts.target.id,
            c.options.mode.document()
        ));
        out = out.note("Your policies set ssm:SessionDocumentAccessCheck, so even a plain shell needs StartSession on its session document (AWS \"Enforce a session document permission check for the AWS CLI\").");
    }
    if explicit && !mfa_would_help {
        out = out.note("Which policy denies is not known here (local evaluation, or a simulation that did not say): an explicit deny can also come from an SCP or a permissions boundary.");
    }
    if denied.iter().any(|k| &k.resource == instance) {
        out = tags_tested(c, out);
    }
    out.remedy(remedy)
}

/// The tags a tag-conditioned policy was tested against, when the instance was refused: the instance's, and the
/// caller's; with them, tagging is the other fix.
fn tags_tested(c: &Check, mut out: Outcome) -> Outcome {
    let list = |tags: &std::collections::BTreeMap<String, String>| {
        tags.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let instance = c.facts.instance.value().and_then(|i| i.tags.as_ref());
    let caller = c.facts.caller_tags.value();
    if let Some(tags) = instance.filter(|t| !t.is_empty()) {
        out = out.evidence(format!("the instance's tags: {}", list(tags)));
    }
    if let Some(t) = caller.filter(|t| !t.tags.is_empty()) {
        out = out.evidence(format!(
            "the tags of {}: {}",
            t.principal_arn,
            list(&t.tags)
        ));
    }
    if instance.is_some() || caller.is_some() {
        out = out.note("If your policies allow sessions by tag (aws:ResourceTag/…, ssm:resourceTag/…, aws:PrincipalTag/…), these are the tags they were tested against: tagging the instance (aws ec2 create-tags) or your IAM identity is then the other fix.");
    }
    out
}

fn resources(denied: &[&PermissionCheck]) -> String {
    denied
        .iter()
        .map(|k| k.resource.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A denial in a region that uses just-in-time node access: the way in is an access request, not a grant.
fn jit_request(c: &Check, message: String) -> Outcome {
    Outcome::fail(message)
        .note("Just-in-time node access is set up in this region (see jit-node-access): its users are meant not to hold ssm:StartSession, and reach nodes through access requests.")
        .remedy(if jit::request_refused(c) {
            format!("Request access, once you may: {} is not yours either (jit-node-access names the grant it needs).", jit::REQUEST_ACTION)
        } else {
            format!("Request access:\n{}", jit::request_command(c))
        })
        .fixed_by("jit-node-access")
}

/// Whether StartSession must be allowed on the document: always for a named document, for a plain shell only
/// when the caller's policies test `ssm:SessionDocumentAccessCheck`.
fn document_need(c: &Check, perms: &CallerPermissions) -> DocumentNeed {
    if !c.options.mode.is_shell() {
        return DocumentNeed::Named;
    }
    match perms.session_document_access_check {
        Some(true) => DocumentNeed::ShellChecked,
        Some(false) => DocumentNeed::ShellUnchecked,
        None => DocumentNeed::ShellUnknown,
    }
}

/// A plain shell allowed on the instance, with no policy allowing its document.
fn document_not_allowed(
    c: &Check,
    need: &DocumentNeed,
    [instance, document]: [&String; 2],
) -> Outcome {
    let doc = c.options.mode.document();
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
}
