//! The caller's side: who the caller is as IAM sees it, and — when IAM's simulator may not be used — what the
//! caller's own policy documents allow, evaluated locally.

mod local;
mod principal;

pub use local::{document_arn, evaluate_locally, LOCAL_LIMITATIONS};
pub use principal::{Principal, PrincipalKind};

use crate::facts::Facts;
use crate::options::Mode;

/// One permission question about the caller; simulation and local evaluation ask the same ones.
pub struct Question {
    pub action: &'static str,
    pub resources: Vec<String>,
    /// Also asked as if MFA were present, to tell whether MFA is what stands in the way.
    pub ask_with_mfa: bool,
}

/// StartSession on the instance and every mode's document (so the facts serve any `--mode`), Terminate and
/// ResumeSession on the caller's own sessions, and kms:GenerateDataKey on the session key when there is one.
pub fn questions(facts: &Facts, account: &str, principal: &Principal) -> Vec<Question> {
    let region = &facts.target.region;
    let mut start = vec![facts.target_arn()];
    start.extend(Mode::ALL.iter().map(|m| document_arn(facts, account, *m)));
    let session = format!(
        "arn:{}:ssm:{region}:{account}:session/{}-0123456789abcdef0",
        facts.partition().name,
        principal.session_owner()
    );
    let mut out = vec![
        Question {
            action: "ssm:StartSession",
            resources: start,
            ask_with_mfa: true,
        },
        Question {
            action: "ssm:TerminateSession",
            resources: vec![session.clone()],
            ask_with_mfa: false,
        },
        Question {
            action: "ssm:ResumeSession",
            resources: vec![session],
            ask_with_mfa: false,
        },
    ];
    if let Some(key) = facts
        .session_preferences
        .value()
        .and_then(|p| p.kms_key_id.as_deref())
    {
        out.push(Question {
            action: "kms:GenerateDataKey",
            resources: vec![kms_key_arn(facts, key, account)],
            ask_with_mfa: false,
        });
    }
    out
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
