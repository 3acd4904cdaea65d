//! `session-run-as`: A shell session has an OS user to run as (`rules/session-run-as.toml`).

use crate::facts::{PrincipalTags, Unavailable};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

/// The tag on the IAM user or role that names the OS user (AWS's Run As page).
pub const RUN_AS_TAG: &str = "SSMSessionRunAs";

const SESSION_TAGS: &str = "A session tag SSMSessionRunAs (passed when the role was assumed, or by your identity provider) overrides the role's tag; no read-only call shows session tags, so this answer is for a session without one.";

/// With Run As on, the agent runs the shell as the principal's `SSMSessionRunAs` user, else the preferences'
/// default user; none, root (uid 0) or `ssm-user` (not created with Run As on) is refused (agent
/// `shell_unix.go`, `docparser.go`).
pub fn check(c: &Check) -> Verdict {
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    if !prefs.run_as_enabled {
        let why = if prefs.document_exists {
            "SSM-SessionManagerRunShell: runAsEnabled is off"
        } else {
            "no Session Manager preferences in this region: Run As is off"
        };
        return Ok(Outcome::pass(
            "Run As is off: shell sessions run as ssm-user, which the agent creates on first use",
        )
        .evidence(why));
    }
    if windows(c)? {
        return Ok(Outcome::skip(
            "Run As is on, and the node runs Windows, which ignores it: sessions run as ssm-user",
        ));
    }
    let default = blank_is_none(prefs.run_as_default_user.as_deref());
    let tags = match c.facts.caller_tags.get_ref() {
        Ok(t) => t,
        Err(reason) => return Err(tags_unseen(default, reason)),
    };
    let role = tags.principal_arn.contains(":role/");
    let tag = blank_is_none(tags.tags.get(RUN_AS_TAG).map(String::as_str));
    let mut evidence = vec![format!(
        "runAsEnabled is on; runAsDefaultUser: {}",
        default.unwrap_or("(not set)")
    )];
    evidence.push(match tag {
        Some(t) => format!("{} has the tag {RUN_AS_TAG} = {t}", tags.principal_arn),
        None => format!("{} has no {RUN_AS_TAG} tag", tags.principal_arn),
    });
    let out = match (tag, default) {
        (Some(user), _) => judge(user, &format!("the {RUN_AS_TAG} tag on {}", tags.principal_arn)),
        (None, Some(user)) => judge(user, "the preferences' runAsDefaultUser"),
        (None, None) if role => Outcome::unknown(
            "Run As is on, and neither the role's SSMSessionRunAs tag nor a default user names an OS user: unless a session tag names one, the agent refuses every shell session (\"please set the RunAs default user\")",
        )
        .remedy(remedy(tags)),
        (None, None) => Outcome::fail(
            "Run As is on, and neither your SSMSessionRunAs tag nor a default user names an OS user: the agent refuses every shell session (\"please set the RunAs default user\")",
        )
        .remedy(remedy(tags)),
    };
    let out = out.evidence_all(evidence);
    Ok(if role { out.note(SESSION_TAGS) } else { out })
}

/// Whether the node runs Windows: the instance says so, or for a hybrid node its registration.
fn windows(c: &Check) -> Result<bool, Outcome> {
    let is = |p: &str| p.eq_ignore_ascii_case("windows");
    if let Some(i) = c.facts.instance.value() {
        return Ok(i.platform.as_deref().is_some_and(is));
    }
    match c.facts.registration.get_ref() {
        Ok(r) if r.platform_type.is_some() => Ok(r.platform_type.as_deref().is_some_and(is)),
        Ok(_) => Err(Outcome::unknown(
            "Run As is on, and the node's platform is not known: Windows ignores Run As",
        )),
        Err(reason) => match c.facts.instance.reason() {
            Some(Unavailable::NotApplicable { .. }) | None => Err(Outcome::missing(
                "the node's registration (its platform)",
                reason,
            )),
            Some(instance) => Err(Outcome::missing("the instance (its platform)", instance)),
        },
    }
}

fn blank_is_none(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The tag would override the default, so without the tags the user is not known.
fn tags_unseen(default: Option<&str>, reason: &Unavailable) -> Outcome {
    let default = match default {
        Some(d) => format!("the default user {d}"),
        None => "the absent default user".into(),
    };
    let out = Outcome::unknown(format!(
        "Run As is on, and the tags of your IAM user or role could not be seen ({}): an {RUN_AS_TAG} tag would override {default}",
        reason.describe()
    ));
    match reason.missing_action() {
        Some(action) => out.needs(action),
        None => out,
    }
}

/// The user the agent would start the shell as, from `from`.
fn judge(user: &str, from: &str) -> Outcome {
    match user {
        "root" => Outcome::fail(format!(
            "shell sessions would run as root ({from}), which the agent refuses: \"invalid uid and gid\" (any user with uid or primary gid 0)"
        ))
        .remedy("Name a non-root OS user instead (the tag's value or runAsDefaultUser); grant it sudo on the node if it needs root."),
        "ssm-user" => Outcome::fail(format!(
            "shell sessions would run as ssm-user ({from}), which the agent does not create with Run As on: \"failed to start pty since RunAs user ssm-user does not exist\", unless an earlier session without Run As made it"
        ))
        .remedy("Name an OS user that exists on the node (the tag's value or runAsDefaultUser), or create ssm-user on the node (sudo useradd ssm-user)."),
        _ => Outcome::pass(format!("shell sessions will run as the OS user {user} ({from})"))
            .note(format!("{user} must exist on the node (the agent runs `id {user}`; otherwise \"failed to start pty since RunAs user {user} does not exist\"): only the node can tell, so this is not checked.")),
    }
}

/// Name a user: in the preferences, or by tagging the principal.
fn remedy(tags: &PrincipalTags) -> String {
    let name = tags.principal_arn.rsplit('/').next().unwrap_or_default();
    let tag = if name.starts_with("AWSReservedSSO_") {
        // Identity Center owns its roles: the tag comes as a session tag from its attributes for access control.
        format!("IAM Identity Center roles cannot be tagged: pass {RUN_AS_TAG} as a session tag (Identity Center → Settings → Attributes for access control, key {RUN_AS_TAG}).")
    } else if tags.principal_arn.contains(":role/") {
        format!("aws iam tag-role --role-name {name} --tags Key={RUN_AS_TAG},Value=OS_USER")
    } else {
        format!("aws iam tag-user --user-name {name} --tags Key={RUN_AS_TAG},Value=OS_USER")
    };
    format!(
        "Set runAsDefaultUser in the Session Manager preferences (SSM-SessionManagerRunShell) to an existing OS user, or tag your IAM identity with the user:\n{tag}"
    )
}
