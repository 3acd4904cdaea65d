//! The caller's side: who the caller is as IAM sees it, and — when IAM's simulator may not be used — what the
//! caller's own policy documents allow, evaluated locally.

mod own_policies;
mod principal;

pub use own_policies::{document_arn, evaluate_locally, LOCAL_LIMITATIONS};
pub use principal::{Principal, PrincipalKind};

use crate::facts::Facts;
use crate::options::Mode;
use std::collections::BTreeMap;

/// One permission question about the caller; simulation and local evaluation ask the same ones.
pub struct Question {
    pub action: &'static str,
    pub resources: Vec<String>,
    /// Also asked as if MFA were present, to tell whether MFA is what stands in the way.
    pub ask_with_mfa: bool,
    /// Keys the request carries beside the caller's own (`ssm:SessionDocumentAccessCheck`, a session's tag).
    pub context: Vec<(&'static str, String)>,
}

/// The key a policy sets to make every StartSession name its document, even a plain shell (AWS page
/// "Enforce a session document permission check for the AWS CLI").
pub const DOCUMENT_ACCESS_CHECK: &str = "ssm:SessionDocumentAccessCheck";

/// The tag every session carries with its owner's `aws:userid`, which AWS's policies for role and federated
/// callers test instead of the session ARN (AWS "Restrict access to sessions", method 2).
pub const SESSION_OWNER_TAG: &str = "ssm:resourceTag/aws:ssmmessages:session-id";

/// Just-in-time node access's request, authorised against the node (Service Authorization Reference, Systems
/// Manager: StartAccessRequest on `instance` or `managed-instance`).
pub const REQUEST_ACTION: &str = "ssm:StartAccessRequest";

/// Whether IAM sees MFA keys on the action's requests: StartAccessRequest and GetAccessToken do not support
/// `aws:MultiFactorAuthPresent` (AWS "Setting up just-in-time access with Systems Manager"), so a condition on it
/// reads the key as absent there whatever the credentials carry.
pub fn carries_mfa_keys(action: &str) -> bool {
    !action.eq_ignore_ascii_case(REQUEST_ACTION)
}

/// The global keys an action's requests never carry, by the same page: the MFA keys and the network ones.
pub fn keys_never_carried(action: &str) -> &'static [&'static str] {
    if carries_mfa_keys(action) {
        &[]
    } else {
        &[
            "aws:MultiFactorAuthPresent",
            "aws:MultiFactorAuthAge",
            "aws:SourceVpc",
            "aws:SourceVpce",
            "aws:VpcSourceIp",
            "aws:UserAgent",
        ]
    }
}

/// Sessions the caller would own. An IAM user's session ids begin with its user name, an assumed role's with the
/// role session name (`JohnDoe-1a2b3c…`; AWS "Control session access", amazon-ssm-agent#534); for a federated user
/// or the root user no source says, so the `${aws:userid}` form AWS's policies match is asked too, and a rule that
/// gets different answers says so.
pub fn session_arns(facts: &Facts, account: &str, principal: &Principal) -> Vec<String> {
    let arn = |owner: &str| {
        format!(
            "arn:{}:ssm:{}:{account}:session/{owner}-0123456789abcdef0",
            facts.partition().name,
            facts.target.region
        )
    };
    let mut out = vec![arn(principal.session_owner())];
    let clear = matches!(
        principal.kind,
        PrincipalKind::User | PrincipalKind::AssumedRole { .. }
    );
    if let Some(c) = facts.caller.value().filter(|_| !clear) {
        if c.user_id != principal.session_owner() {
            out.push(arn(&c.user_id));
        }
    }
    out
}

/// StartSession on the instance and every mode's document (so the facts serve any `--mode`), as the CLI asks it
/// with `--document-name`; Terminate and ResumeSession on the caller's own sessions, and the data channel's
/// OpenDataChannel; kms:GenerateDataKey on the session key when there is one; and where the region has
/// just-in-time approval policies, ssm:StartAccessRequest on the instances.
///
/// `instances` are the targets' ARNs (one target's, or a region's worth when IAM's simulator is asked for a fleet);
/// `facts` gives the region, partition, preferences and caller they share.
pub fn questions(
    facts: &Facts,
    account: &str,
    principal: &Principal,
    instances: &[String],
) -> Vec<Question> {
    let mut start = instances.to_vec();
    let request = instances.to_vec();
    start.extend(Mode::ALL.iter().map(|m| document_arn(facts, account, *m)));
    let sessions = session_arns(facts, account, principal);
    // A role's sessions carry its aws:userid (`AROA…:session-name`) as the session-id tag.
    let session_tag: Vec<(&'static str, String)> = match &principal.kind {
        PrincipalKind::AssumedRole { .. } => facts
            .caller
            .value()
            .map(|c| vec![(SESSION_OWNER_TAG, c.user_id.clone())])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let on_session = |action| Question {
        action,
        resources: sessions.clone(),
        ask_with_mfa: false,
        context: session_tag.clone(),
    };
    let mut out = vec![
        Question {
            action: "ssm:StartSession",
            resources: start,
            ask_with_mfa: true,
            context: vec![(DOCUMENT_ACCESS_CHECK, "true".into())],
        },
        on_session("ssm:TerminateSession"),
        on_session("ssm:ResumeSession"),
        on_session("ssmmessages:OpenDataChannel"),
    ];
    // Where just-in-time node access is set up, a request is the way in.
    if facts
        .approval_policies
        .value()
        .is_some_and(|p| !p.is_empty())
    {
        out.push(Question {
            action: REQUEST_ACTION,
            resources: request,
            ask_with_mfa: false,
            context: Vec::new(),
        });
    }
    if let Some(key) = facts
        .session_preferences
        .value()
        .and_then(|p| p.kms_key_id.as_deref())
    {
        out.push(Question {
            action: "kms:GenerateDataKey",
            resources: vec![session_key_arn(facts, key, account)],
            ask_with_mfa: false,
            context: kms_request_context(key),
        });
    }
    out
}

/// The ARN KMS authorises a session key's use against: the resolved key's when `kms:DescribeKey` told it (an
/// alias is never the resource KMS checks: KMS "Use aliases to control access to KMS keys"), else the best
/// reading of what the preferences name.
pub fn session_key_arn(facts: &Facts, key: &str, account: &str) -> String {
    match facts.session_key.value() {
        Some(k) => k.arn.clone(),
        None => kms_key_arn(facts, key, account),
    }
}

/// The keys a client's KMS request carries that depend on the preferences alone: `kms:RequestAlias` when they name
/// the key by alias (the plugin passes the preferences' string on unchanged).
pub fn kms_request_context(key: &str) -> Vec<(&'static str, String)> {
    let alias = key
        .strip_prefix("alias/")
        .map(|a| format!("alias/{a}"))
        .or_else(|| key.split_once(":alias/").map(|(_, a)| format!("alias/{a}")));
    alias
        .map(|a| vec![("kms:RequestAlias", a)])
        .unwrap_or_default()
}

/// A KMS key id, alias or ARN as an ARN.
pub fn kms_key_arn(facts: &Facts, key: &str, account: &str) -> String {
    if key.starts_with("arn:") {
        return key.to_string();
    }
    let (kind, name) = match key.strip_prefix("alias/") {
        Some(alias) => ("alias", alias),
        None => ("key", key),
    };
    format!(
        "arn:{}:kms:{}:{account}:{kind}/{name}",
        facts.partition().name,
        facts.target.region
    )
}

/// The condition keys an instance's tags give a request on it: `aws:ResourceTag/…`, and the service's own
/// `ssm:resourceTag/…` and `ec2:ResourceTag/…`.
pub const RESOURCE_TAG_PREFIXES: [&str; 3] =
    ["aws:ResourceTag/", "ssm:resourceTag/", "ec2:ResourceTag/"];

/// The condition-key family of the caller's tags.
pub const PRINCIPAL_TAG_PREFIX: &str = "aws:PrincipalTag/";

/// Every tag as the keys of each family in `prefixes`.
pub fn tag_context(prefixes: &[&str], tags: &BTreeMap<String, String>) -> Vec<(String, String)> {
    prefixes
        .iter()
        .flat_map(|p| {
            tags.iter()
                .map(move |(k, v)| (format!("{p}{k}"), v.clone()))
        })
        .collect()
}

/// The caller's principal tags as far as they can be known, and whether they are all known: an IAM user's tags
/// are its principal tags; an assumed role's tags stand for its session's, but a session tag may add or override
/// one, so a key the role lacks stays unknown; a federated user's are not known at all (`None`).
pub fn principal_tags<'f>(
    facts: &'f Facts,
    principal: &Principal,
) -> Option<(&'f BTreeMap<String, String>, bool)> {
    match principal.kind {
        PrincipalKind::FederatedUser => None,
        PrincipalKind::User | PrincipalKind::Root => Some((&facts.caller_tags.value()?.tags, true)),
        PrincipalKind::AssumedRole { .. } => Some((&facts.caller_tags.value()?.tags, false)),
    }
}

/// Said with every answer that may rest on a role's tags.
pub const SESSION_TAGS_UNSEEN: &str = "Session tags (passed when the role was assumed, or by an identity provider) are principal tags too, and no read-only call shows them: the role's own tags stand for them, and a condition on a tag the role lacks stays Unknown.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{CallerIdentity, Fact, Target};

    fn arns(caller_arn: &str, user_id: &str) -> Vec<String> {
        let mut f = Facts::new(Target {
            id: "i-0123456789abcdef0".into(),
            region: "us-east-1".into(),
            account: Some("111122223333".into()),
        });
        f.caller = Fact::known(CallerIdentity {
            arn: caller_arn.into(),
            account: "111122223333".into(),
            user_id: user_id.into(),
        });
        let p = Principal::from_caller_arn(caller_arn).unwrap();
        session_arns(&f, "111122223333", &p)
    }

    #[test]
    fn session_ids_begin_with_the_user_or_session_name_and_only_a_federated_users_are_in_doubt() {
        let user = arns("arn:aws:iam::111122223333:user/alice", "AIDAALICE");
        assert_eq!(
            user,
            ["arn:aws:ssm:us-east-1:111122223333:session/alice-0123456789abcdef0"]
        );
        let role = arns(
            "arn:aws:sts::111122223333:assumed-role/Ops/taro",
            "AROAOPS:taro",
        );
        assert_eq!(
            role,
            ["arn:aws:ssm:us-east-1:111122223333:session/taro-0123456789abcdef0"]
        );
        let fed = arns(
            "arn:aws:sts::111122223333:federated-user/bob",
            "111122223333:bob",
        );
        assert_eq!(fed.len(), 2, "{fed:?}");
        assert!(fed[1].contains("session/111122223333:bob-"), "{fed:?}");
    }

    /// AWS: StartAccessRequest does not support `aws:MultiFactorAuthPresent`. A ForceMFA policy's deny
    /// (`BoolIfExists … false`) therefore refuses the request even to a caller signed in with MFA, while that
    /// caller's StartSession stays allowed.
    #[test]
    fn an_access_request_carries_no_mfa_keys() {
        let mut f = crate::facts::load_file(std::path::Path::new(
            "examples/rdp-mfa-enforced-local-mfa.json",
        ))
        .unwrap();
        f.approval_policies = Fact::known(vec![crate::facts::ApprovalPolicy {
            name: "AutoApprove-OnCall".into(),
            document_type: "AutoApprovalPolicy".into(),
        }]);
        let mut docs = f.caller_policies.value().unwrap().clone();
        docs.policies[0].document["Statement"][0]["Action"]
            .as_array_mut()
            .unwrap()
            .push(REQUEST_ACTION.into());
        f.caller_policies = Fact::known(docs);
        let perms = evaluate_locally(&f).unwrap();
        let decision = |action: &str| {
            perms
                .checks
                .iter()
                .find(|k| {
                    k.action == action
                        && k.resource == f.target_arn()
                        && k.scenario == crate::facts::Scenario::Current
                })
                .map(|k| k.decision)
        };
        assert_eq!(
            decision("ssm:StartSession"),
            Some(crate::facts::Decision::Allowed)
        );
        assert_eq!(
            decision(REQUEST_ACTION),
            Some(crate::facts::Decision::ExplicitDeny)
        );
    }
}
