//! Just-in-time node access (Systems Manager, 2025): accounts that use it take `ssm:StartSession` away from their
//! users on purpose; a user requests access (`ssm:StartAccessRequest`) and, once approved, the session runs with an
//! access token whose session policy allows only the shell document and KMS keys carrying a tag.

use crate::facts::ApprovalPolicy;
use crate::rules::shared::Check;

/// The token's session policy, as AWS's managed policy reference shows it (version 3, edited 2026-02-12).
pub const TOKEN_SESSION_POLICY: &str = "AWSSystemsManagerJustInTimeAccessTokenSessionPolicy";
pub const TOKEN_SESSION_POLICY_VERSION: &str = "version 3, the default since 2026-02-12";
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
