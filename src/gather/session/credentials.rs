//! Credentials problems in words a person can act on: one sentence of what is wrong and one of what to do (the
//! SDK's own say "dispatch failure … Attempted: Environment …", or name a token cache file). The profile is
//! checked before anything is loaded; the provider's errors are explained where they happen, with the profile in
//! hand, and found again by [`super::super::errors::classify`] under the SDK's wrapping.

use super::super::errors::EnvironmentError;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use std::path::PathBuf;

/// A credentials failure explained: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CredentialsHint {
    pub message: String,
    pub help: String,
}

impl CredentialsHint {
    /// As the gatherer carries it to the command line: "what\nhelp: what to do".
    pub fn environment_error(&self) -> EnvironmentError {
        EnvironmentError(format!("{}\nhelp: {}", self.message, self.help))
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// The shared config and credentials files, as the aws CLI finds them.
fn shared_files() -> [Option<PathBuf>; 2] {
    let at = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".aws").join(name)))
    };
    [
        at("AWS_CONFIG_FILE", "config"),
        at("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
}

/// Every profile the shared files define, sorted: `[default]`, `[profile NAME]` in config, `[NAME]` in credentials.
pub fn profile_names() -> Vec<String> {
    let [config, credentials] = shared_files();
    let sections = |path: Option<PathBuf>| -> Vec<String> {
        path.and_then(|p| ini::Ini::load_from_file_noescape(p).ok())
            .map(|f| f.sections().flatten().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let mut names: Vec<String> = sections(config)
        .into_iter()
        .filter_map(|s| match s.strip_prefix("profile ") {
            Some(name) => Some(name.trim().to_string()),
            None if s == "default" => Some(s),
            None => None,
        })
        .chain(sections(credentials))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A named profile must exist: otherwise the SDK goes on without it and says only "no region" later.
pub fn require_profile(profile: &str) -> Result<(), EnvironmentError> {
    let names = profile_names();
    if names.iter().any(|n| n == profile) {
        return Ok(());
    }
    let help = if names.is_empty() {
        format!("no profile is configured; `aws configure --profile {profile}` (or `aws configure sso`) makes one")
    } else {
        format!("the profiles configured: {}", names.join(", "))
    };
    Err(CredentialsHint {
        message: format!("no profile named {profile} in the AWS config or credentials file"),
        help,
    }
    .environment_error())
}

/// A credentials provider whose failures carry a [`CredentialsHint`].
#[derive(Debug)]
pub struct Explained {
    inner: SharedCredentialsProvider,
    /// The profile named (`--profile` or `AWS_PROFILE`), if any.
    profile: Option<String>,
}

impl Explained {
    pub fn new(inner: &SharedCredentialsProvider, profile: Option<String>) -> Explained {
        Explained {
            inner: inner.clone(),
            profile,
        }
    }

    async fn load(&self) -> provider::Result {
        self.inner.provide_credentials().await.map_err(|e| {
            let hint = explain(&e, self.profile.as_deref());
            match e {
                CredentialsError::CredentialsNotLoaded(_) => CredentialsError::not_loaded(hint),
                _ => CredentialsError::provider_error(hint),
            }
        })
    }
}

impl ProvideCredentials for Explained {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// What went wrong loading credentials, and what to do, from the provider's error and the profile's settings.
fn explain(err: &CredentialsError, profile: Option<&str>) -> CredentialsHint {
    let chain = super::super::errors::describe_chain(err);
    let settings = profile.and_then(super::super::local::profile_settings);
    let sso = settings
        .as_ref()
        .is_some_and(|s| s.contains_key("sso_session") || s.contains_key("sso_start_url"));
    match profile {
        Some(p) if sso || chain.to_lowercase().contains("sso") => CredentialsHint {
            message: format!("profile {p} signs in through AWS SSO (IAM Identity Center), and its session has expired or was never started"),
            help: format!("aws sso login --profile {p}"),
        },
        Some(p) if matches!(err, CredentialsError::CredentialsNotLoaded(_)) => CredentialsHint {
            message: format!("profile {p} holds no credentials: no keys, role_arn, sso_session or credential_process"),
            help: format!("`aws configure --profile {p}` adds keys (or `aws configure sso --profile {p}`, an SSO sign-in)"),
        },
        Some(p) => CredentialsHint {
            message: format!("the credentials of profile {p} could not be loaded: {chain}"),
            help: format!("check profile {p} in the AWS config and credentials files (`aws configure list --profile {p}`)"),
        },
        None if matches!(err, CredentialsError::CredentialsNotLoaded(_)) => CredentialsHint {
            message: "no AWS credentials: none in the environment, the AWS config and credentials files, or an instance or container role".into(),
            help: no_credentials_help(),
        },
        None => CredentialsHint {
            message: format!("the credentials could not be loaded: {}", last_cause(&chain)),
            help: no_credentials_help(),
        },
    }
}

fn no_credentials_help() -> String {
    let names = profile_names();
    if names.is_empty() {
        "`aws configure` (keys) or `aws configure sso` sets up a profile; then pass --profile NAME"
            .into()
    } else {
        format!(
            "pass --profile NAME or set AWS_PROFILE; the profiles configured: {}",
            names.join(", ")
        )
    }
}

/// The innermost part of an error chain: where the SDK puts the useful words.
fn last_cause(chain: &str) -> &str {
    chain.rsplit(": ").next().unwrap_or(chain).trim()
}
