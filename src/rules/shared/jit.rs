//! Just-in-time node access (Systems Manager, 2025): accounts that use it take `ssm:StartSession` away from their
//! users on purpose; a user requests access (`ssm:StartAccessRequest`) and, once approved, the session runs with an
//! access token whose session policy allows only the shell document and KMS keys carrying a tag.

use crate::facts::{ApprovalPolicy, Decision, PermissionCheck, Scenario};
use crate::rules::shared::permissions::{find, permissions};
use crate::rules::shared::Check;

/// The token's session policy, as AWS's managed policy reference shows it (version 3, edited 2026-02-12).
pub const TOKEN_SESSION_POLICY: &str = "AWSSystemsManagerJustInTimeAccessTokenSessionPolicy";
pub const TOKEN_SESSION_POLICY_VERSION: &str = "version 3, the default since 2026-02-12";
pub use crate::caller::REQUEST_ACTION;
/// The action that then fetches the approved request's token (AWS's example policy for just-in-time users).
pub const TOKEN_ACTION: &str = "ssm:GetAccessToken";

/// The tag the token's session policy requires on a session's KMS key (`aws:ResourceTag/…` = `true`).
pub const KEY_TAG: &str = "SystemsManagerJustInTimeNodeAccessManaged";

/// The region's approval policies, when just-in-time access is set up there (some are listed).
pub fn in_use<'a>(c: &Check<'a>) -> Option<&'a [ApprovalPolicy]> {
    c.facts
        .approval_policies
        .value()
        .filter(|p| !p.is_empty())
        .map(Vec::as_slice)
}

/// The request a user makes instead of asking for `ssm:StartSession` (AWS CLI `ssm start-access-request`:
/// `--reason` 1–256 characters, `--targets` in the Target form).
pub fn request_command(c: &Check) -> String {
    let id = &c.facts.target.id;
    format!(
        "aws ssm start-access-request --reason \"Session to {id}\" --targets Key=InstanceIds,Values={id}"
    )
}

/// The caller's decision on requesting access to the target (`ssm:StartAccessRequest` on it), when it was asked.
pub fn request_decision(c: &Check) -> Option<PermissionCheck> {
    let perms = permissions(c).ok()?;
    find(
        &perms,
        REQUEST_ACTION,
        Some(&c.facts.target_arn()),
        Scenario::Current,
    )
    .cloned()
}

/// Whether the caller is known to be refused the request.
pub fn request_refused(c: &Check) -> bool {
    request_decision(c)
        .is_some_and(|k| matches!(k.decision, Decision::ImplicitDeny | Decision::ExplicitDeny))
}
