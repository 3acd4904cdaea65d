//! Where a denial comes from, and whose change lifts it. The simulator tells the layer (`facts::DeniedBy`); a pasted
//! AccessDenied message tells it by its phrase, which [`PHRASES`] lists as AWS writes them.

use crate::facts::{DenyLayer, PermissionCheck};
use crate::rules::shared::Check;

/// AWS IAM User Guide, "Troubleshoot access denied error messages".
pub const ACCESS_DENIED_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html";
/// AWS Security Blog, "Enhanced access denied error messages with policy ARNs": the denying policy's ARN may follow
/// the phrase (`…: arn:aws:organizations::…:policy/o-…/service_control_policy/p-…`), in same-account and
/// same-organization cases.
pub const POLICY_ARN_BLOG: &str =
    "https://aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns";

/// One policy type's phrases in an AccessDenied message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenyPhrase {
    /// The policy type, as the message names it.
    pub policy_type: &'static str,
    /// The layer, when the simulator can tell it too.
    pub layer: Option<DenyLayer>,
    /// `… with an explicit deny in a <type>`.
    pub explicit: &'static str,
    /// `… because no <type> allows the <action> action`: the text before the action; `None` where AWS gives no
    /// example.
    pub implicit: Option<&'static str>,
    pub source: &'static str,
}

const fn phrase(
    policy_type: &'static str,
    layer: Option<DenyLayer>,
    explicit: &'static str,
    implicit: Option<&'static str>,
) -> DenyPhrase {
    DenyPhrase {
        policy_type,
        layer,
        explicit,
        implicit,
        source: ACCESS_DENIED_PAGE,
    }
}

/// The phrases, verbatim from AWS's page. Mixed forms exist (`with an explicit deny in a VPC endpoint policy
/// transitively through a service control policy`): match the longest phrase first. AWS's own example spells the
/// session policy's explicit deny "sessions policy"; both spellings are listed.
pub const PHRASES: &[DenyPhrase] = &[
    phrase(
        "service control policy",
        Some(DenyLayer::ServiceControlPolicy),
        "with an explicit deny in a service control policy",
        Some("because no service control policy allows the"),
    ),
    phrase(
        "resource control policy",
        None,
        "with an explicit deny in a resource control policy",
        None,
    ),
    phrase(
        "VPC endpoint policy",
        None,
        "with an explicit deny in a VPC endpoint policy",
        Some("because no VPC endpoint policy allows the"),
    ),
    phrase(
        "permissions boundary",
        Some(DenyLayer::PermissionsBoundary),
        "with an explicit deny in a permissions boundary",
        Some("because no permissions boundary allows the"),
    ),
    phrase(
        "session policy",
        None,
        "with an explicit deny in a sessions policy",
        Some("because no session policy allows the"),
    ),
    phrase(
        "session policy",
        None,
        "with an explicit deny in a session policy",
        None,
    ),
    phrase(
        "resource-based policy",
        None,
        "with an explicit deny in a resource-based policy",
        Some("because no resource-based policy allows the"),
    ),
    phrase(
        "role trust policy",
        None,
        "with an explicit deny in the role trust policy",
        Some("because no role trust policy allows the sts:AssumeRole action"),
    ),
    phrase(
        "identity-based policy",
        Some(DenyLayer::IdentityPolicy),
        "with an explicit deny in an identity-based policy",
        Some("because no identity-based policy allows the"),
    ),
];

/// For mapping a pasted AccessDenied message to its layer (used by the error-mapping work; tested here).
#[allow(dead_code)]
/// The phrase an AccessDenied message carries, and whether the deny is explicit; the first in the message wins
/// (a transitive form names the outer layer first).
pub fn phrase_of(message: &str) -> Option<(&'static DenyPhrase, bool)> {
    PHRASES
        .iter()
        .flat_map(|p| {
            [(p.explicit, true)]
                .into_iter()
                .chain(p.implicit.map(|i| (i, false)))
                .filter_map(move |(text, explicit)| message.find(text).map(|at| (at, p, explicit)))
        })
        .min_by_key(|(at, _, _)| *at)
        .map(|(_, p, explicit)| (p, explicit))
}

/// A denial whose layer is known: what refused, and whose change lifts it.
pub struct Layered {
    pub by: String,
    pub remedy: String,
    /// How AWS's AccessDenied message names this layer.
    pub note: String,
}

/// The note quoting the phrases AWS's error uses for `layer`.
fn quoted(layer: DenyLayer, action: &str) -> String {
    let p = PHRASES
        .iter()
        .find(|p| p.layer == Some(layer))
        .expect("every layer has its phrases");
    let implicit = p
        .implicit
        .map(|i| format!(" or \"{i} {action} action\""))
        .unwrap_or_default();
    format!(
        "AWS's AccessDenied message says \"{}\"{implicit}, followed by the policy's ARN where it can be shown ({}; {}).",
        p.explicit, p.source, POLICY_ARN_BLOG
    )
}

/// The layer of `k`'s denial in words, with the fix that belongs to that layer; `None` when it is not known.
pub fn explain(c: &Check, principal: &str, k: &PermissionCheck) -> Option<Layered> {
    let d = k.denied_by.as_ref()?;
    let (action, resource) = (&k.action, &k.resource);
    let note = quoted(d.layer, action);
    let (by, remedy) = match d.layer {
        DenyLayer::ServiceControlPolicy => (
            "a service control policy of your organization".to_string(),
            format!(
                "A service control policy is the organization's to change, not yours: ask the administrators of your \
                 AWS Organizations management account to allow {action} on {resource} for account {} (or to exempt \
                 {principal}). No change to your own IAM policies lifts it.",
                c.account()
            ),
        ),
        DenyLayer::PermissionsBoundary => {
            let name = d.policy.clone().or_else(|| {
                c.facts
                    .caller_policies
                    .value()
                    .and_then(|p| p.permissions_boundary.as_ref())
                    .map(|b| b.name.clone())
            });
            let named = name
                .map(|n| format!("the permissions boundary {n}"))
                .unwrap_or_else(|| "the permissions boundary".into());
            (
                format!("{named} of {principal}"),
                format!(
                    "{} must allow {action} on {resource}: whoever administers {principal} changes the boundary (or \
                     removes it). Allowing it in your identity policies alone does not lift a boundary.",
                    capitalised(&named)
                ),
            )
        }
        DenyLayer::IdentityPolicy => {
            let policy = d.policy.clone().unwrap_or_else(|| "one of your policies".into());
            (
                format!("an explicit deny in {policy}"),
                format!(
                    "Remove or narrow the Deny statement of {policy} that matches {action} on {resource}: an explicit \
                     deny wins over every allow."
                ),
            )
        }
    };
    Some(Layered { by, remedy, note })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_messages_name_their_layer() {
        let scp = "User: arn:aws:iam::111122223333:user/a is not authorized to perform: ssm:StartSession on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-1 with an explicit deny in a service control policy: arn:aws:organizations::999:policy/o-1/service_control_policy/p-1";
        let (p, explicit) = phrase_of(scp).unwrap();
        assert_eq!(
            (p.layer, explicit),
            (Some(DenyLayer::ServiceControlPolicy), true)
        );
        let boundary = "… is not authorized to perform: ssm:StartSession because no permissions boundary allows the ssm:StartSession action";
        let (p, explicit) = phrase_of(boundary).unwrap();
        assert_eq!((p.policy_type, explicit), ("permissions boundary", false));
        // AWS's own spelling, and the transitive form, whose outer layer comes first.
        assert_eq!(
            phrase_of("… with an explicit deny in a sessions policy")
                .unwrap()
                .0
                .policy_type,
            "session policy"
        );
        let transitive = "… with an explicit deny in a VPC endpoint policy transitively through a service control policy";
        assert_eq!(
            phrase_of(transitive).unwrap().0.policy_type,
            "VPC endpoint policy"
        );
        assert!(phrase_of("TargetNotConnected").is_none());
    }
}
