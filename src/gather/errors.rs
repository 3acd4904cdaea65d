//! Turning SDK errors into facts: a denied call makes exactly its facts unavailable, naming the action; a
//! missing resource is evidence; credentials and connectivity problems stop the run with one line.

use super::session::credentials::CredentialsHint;
use crate::facts::{Fact, Unavailable};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A failure that no fact can carry: the whole run stops with exit code 3.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EnvironmentError(pub String);

/// What a failed call means.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A fact-level problem.
    Fact(Unavailable),
    /// Credentials or connectivity: nothing will work.
    Environment(EnvironmentError),
}

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];
const NOT_FOUND: &[&str] = &[
    "InvalidInstanceID.NotFound",
    "NoSuchEntity",
    "InvalidDocument",
    "ServiceSettingNotFound",
    "TrailNotFoundException",
    "InvalidVpcID.NotFound",
    "NotFoundException",
];
const CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "AuthFailure",
    "InvalidAccessKeyId",
];

/// Classifies `err` from the call that needs `action` (e.g. `ec2:DescribeVpcEndpoints`).
pub fn classify<E, R>(err: &SdkError<E, R>, action: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // A credentials failure already explained where it happened, with the profile in hand.
    if let Some(hint) = credentials_hint(err) {
        return Failure::Environment(hint.environment_error());
    }
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("");
            let message = e.message().unwrap_or("").to_string();
            if DENIED.contains(&code) {
                Failure::Fact(Unavailable::AccessDenied {
                    action: action.to_string(),
                    message: (!message.is_empty()).then_some(message),
                })
            } else if NOT_FOUND.contains(&code) {
                Failure::Fact(Unavailable::NotFound {
                    what: if message.is_empty() {
                        code.to_string()
                    } else {
                        message
                    },
                })
            } else if CREDENTIALS.contains(&code) {
                Failure::Environment(EnvironmentError(format!(
                    "the credentials were refused ({code}): {message}"
                )))
            } else {
                Failure::Fact(Unavailable::Error {
                    message: format!("{action}: {code} {message}").trim().to_string(),
                })
            }
        }
        SdkError::TimeoutError(_) => Failure::Fact(Unavailable::Error {
            message: format!("{action}: timed out"),
        }),
        SdkError::DispatchFailure(d) => {
            let text = describe_chain(err);
            if text.contains("credentials") || text.contains("Credentials") {
                Failure::Environment(EnvironmentError(format!("no usable credentials: {text}")))
            } else if d.is_io() || d.is_timeout() {
                let cause = text.rsplit(": ").next().unwrap_or(&text);
                Failure::Environment(EnvironmentError(format!(
                    "cannot reach the AWS endpoint: {cause}\nhelp: check --region, AWS_ENDPOINT_URL, the network and any proxy"
                )))
            } else {
                Failure::Fact(Unavailable::Error {
                    message: format!("{action}: {text}"),
                })
            }
        }
        _ => {
            let text = describe_chain(err);
            if text.contains("credentials") {
                Failure::Environment(EnvironmentError(format!("no usable credentials: {text}")))
            } else {
                Failure::Fact(Unavailable::Error {
                    message: format!("{action}: {text}"),
                })
            }
        }
    }
}

/// The [`CredentialsHint`] under the SDK's wrapping of a call's error, if credentials were what failed.
fn credentials_hint(err: &dyn std::error::Error) -> Option<CredentialsHint> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(hint) = e.downcast_ref::<CredentialsHint>() {
            return Some(hint.clone());
        }
        source = e.source();
    }
    None
}

/// The error and its sources on one line: SDK errors put the useful part at the bottom of the chain.
pub(super) fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Runs the result of one call into a fact, or records an environment failure.
pub fn into_fact<T>(
    result: Result<T, Failure>,
    fatal: &std::sync::Mutex<Option<EnvironmentError>>,
) -> Fact<T> {
    match result {
        Ok(v) => Fact::known(v),
        Err(Failure::Fact(reason)) => Fact::unavailable(reason),
        Err(Failure::Environment(e)) => {
            let mut slot = fatal.lock().expect("not poisoned");
            let message = e.0.clone();
            slot.get_or_insert(e);
            Fact::unavailable(Unavailable::Error { message })
        }
    }
}
