//! The SDK configuration and clients: made as the AWS CLI makes them (profile, region, `AWS_ENDPOINT_URL*`, SSO,
//! roles), with adaptive retries — throttling is normal across a fleet, never an error — a timeout per call, and
//! an interceptor that counts calls and retries for the progress line.

pub(crate) mod credentials;

use super::errors::EnvironmentError;
use super::options::GatherOptions;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a run has done so far, for a progress line: read by the caller while gathering goes on.
#[derive(Debug, Default)]
pub struct Progress {
    /// Requests sent, retries included.
    pub calls: AtomicUsize,
    /// Attempts after the first: throttling and transient errors retried away.
    pub retries: AtomicUsize,
    /// Targets selected so far.
    pub targets: AtomicUsize,
    /// Targets whose every fact is in.
    pub done: AtomicUsize,
}

impl Progress {
    pub fn get(&self) -> (usize, usize, usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.targets.load(Ordering::Relaxed),
            self.calls.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
        )
    }
}

/// Counts every attempt and every retry.
#[derive(Debug, Clone)]
struct Counter(Arc<Progress>);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "ssm-check progress counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.0.retries.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Adaptive: the client slows itself down when throttled, which a fleet's burst of calls will be. Five attempts
/// with backoff capped at 8 s ride out throttling and server errors; an endpoint that cannot be reached at all is
/// not retried ([`FailFast`]).
pub(crate) fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::adaptive()
        .with_max_attempts(5)
        .with_max_backoff(Duration::from_secs(8))
}

/// The SDK configuration for `region` (or the profile's own when `None`).
pub async fn sdk_config(
    opts: &GatherOptions,
    region: Option<&str>,
) -> Result<aws_types::SdkConfig, EnvironmentError> {
    let named = opts
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    if let Some(p) = &named {
        credentials::require_profile(p)?;
    }
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(opts.call_timeout.unwrap_or(Duration::from_secs(15)))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    let mfa = mfa_profile(opts.profile.as_deref());
    if let Some(profile) = &mfa {
        loader = loader.credentials_provider(cli_credentials(profile).await?);
    }
    if let Some(r) = region {
        loader = loader.region(aws_types::region::Region::new(r.to_string()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(EnvironmentError(
            "no region: pass --region or set AWS_REGION (or a region in your profile)".into(),
        ));
    }
    // `--profile` wins over keys in the environment, as in the aws CLI (which drops its environment provider
    // when a profile is given): the default chain would read the environment's keys first and check another
    // principal than the session will run as.
    let provider = match (&opts.profile, &mfa) {
        (Some(p), None) => Some(SharedCredentialsProvider::new(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(
                    &aws_config::provider_config::ProviderConfig::without_region()
                        .with_region(config.region().cloned()),
                )
                .profile_name(p)
                .build(),
        )),
        _ => config.credentials_provider(),
    };
    let mut builder = config.to_builder();
    builder.set_credentials_provider(
        provider.map(|p| SharedCredentialsProvider::new(credentials::Explained::new(&p, named))),
    );
    Ok(builder.build())
}

/// The profile in use when it assumes a role with an MFA device (`role_arn` and `mfa_serial`): the SDK cannot ask
/// for the code. Keys in the environment win over `AWS_PROFILE` (not over `--profile`), as in the AWS CLI.
fn mfa_profile(flag: Option<&str>) -> Option<String> {
    let profile = match flag {
        Some(p) => p.to_string(),
        None if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() => return None,
        None => std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into()),
    };
    let settings = super::local::profile_settings(&profile)?;
    (settings.get("role_arn").is_some() && settings.get("mfa_serial").is_some()).then_some(profile)
}

/// A call to an endpoint that cannot be reached at all (refused, unreachable, no such host, no answer to connect)
/// is not retried: that is no throttling, and retrying only makes ssh (through `proxy`) wait. Throttling and
/// server errors are still retried by the standard classifiers.
#[derive(Debug, Default)]
pub(crate) struct FailFast;

impl ClassifyRetry for FailFast {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(connector) = err.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        if connector.is_timeout() || never_connected(connector) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "ssm-check: unreachable endpoints fail fast"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether the connection was never made: refused, unreachable, or a name that does not resolve.
fn never_connected(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::AddrNotAvailable
            ) {
                return true;
            }
        }
        if e.to_string().contains("dns error") {
            return true;
        }
        source = e.source();
    }
    false
}

/// What `aws configure export-credentials --format process` prints.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
}

/// The profile's credentials through the AWS CLI, which asks for the MFA code on the terminal and caches the
/// session — so ssm-check works wherever `aws ssm start-session` does. Its output holds secrets: it is never
/// shown, not even in an error.
async fn cli_credentials(
    profile: &str,
) -> Result<aws_credential_types::Credentials, EnvironmentError> {
    let command = format!("aws configure export-credentials --profile {profile} --format process");
    let needs = |why: String, help: String| {
        credentials::CredentialsHint {
            message: format!(
                "profile {profile} asks for an MFA code, which ssm-check gets through the AWS CLI v2 \
                 (`{command}`): {why}"
            ),
            help,
        }
        .environment_error()
    };
    let install = "install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html";
    // v1 has no `configure export-credentials`: say so rather than pass on its exit status.
    if let Some(v1) = aws_cli_v1().await {
        return Err(credentials::CredentialsHint {
            message: format!("MFA profiles need AWS CLI v2, found {v1}: profile {profile} asks for an MFA code, which ssm-check gets through `aws configure export-credentials`"),
            help: install.into(),
        }
        .environment_error());
    }
    let out = tokio::process::Command::new("aws")
        .args(["configure", "export-credentials", "--profile", profile])
        .args(["--format", "process"])
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .map_err(|e| needs(format!("cannot run aws ({e})"), install.into()))?;
    if !out.status.success() {
        let why = format!("it exited with {}", out.status);
        return Err(needs(why, format!("run `{command}` to see why")));
    }
    let c: ProcessCredentials = serde_json::from_slice(&out.stdout).map_err(|_| {
        let why = "its output is not process credentials".to_string();
        needs(why, format!("run `{command}` to see what it prints"))
    })?;
    let expiry = c
        .expiration
        .and_then(|e| e.parse::<jiff::Timestamp>().ok())
        .map(std::time::SystemTime::from);
    Ok(aws_credential_types::Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        c.session_token,
        expiry,
        "aws-cli-export-credentials",
    ))
}

/// The version word of an AWS CLI v1 (`aws-cli/1.x.y`), when that is the `aws` on PATH.
async fn aws_cli_v1() -> Option<String> {
    let out = tokio::process::Command::new("aws")
        .arg("--version")
        .output()
        .await
        .ok()?;
    // v1 prints its version on stderr (older Pythons), v2 on stdout.
    let text = [out.stdout, out.stderr].concat();
    let word = String::from_utf8_lossy(&text)
        .split_whitespace()
        .next()?
        .to_string();
    word.starts_with("aws-cli/1.").then_some(word)
}

/// The account-wide clients (IAM, STS) and the configuration regions derive theirs from.
pub struct Session {
    pub config: aws_types::SdkConfig,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    counter: Counter,
}

/// One region's clients.
pub struct RegionClients {
    pub name: String,
    pub ec2: aws_sdk_ec2::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub trail: aws_sdk_cloudtrail::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub s3: aws_sdk_s3::Client,
    pub kms: aws_sdk_kms::Client,
}

impl Session {
    pub async fn new(
        opts: &GatherOptions,
        progress: Arc<Progress>,
    ) -> Result<Session, EnvironmentError> {
        let config = sdk_config(opts, opts.regions.first().map(String::as_str)).await?;
        Ok(Session::from_config(config, progress))
    }

    /// The clients of `config`, each counting its attempts and failing fast on an unreachable endpoint.
    pub(crate) fn from_config(config: aws_types::SdkConfig, progress: Arc<Progress>) -> Session {
        let counter = Counter(progress);
        Session {
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .interceptor(counter.clone())
                    .retry_classifier(FailFast)
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config)
                    .interceptor(counter.clone())
                    .retry_classifier(FailFast)
                    .build(),
            ),
            config,
            counter,
        }
    }

    /// The region the configuration names (from --region, AWS_REGION or the profile).
    pub fn default_region(&self) -> String {
        self.config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    pub fn region(&self, name: &str) -> RegionClients {
        let region = aws_types::region::Region::new(name.to_string());
        let counter = || self.counter.clone();
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&self.config)
                        .region(region.clone())
                        .interceptor(counter())
                        .retry_classifier(FailFast)
                        .build(),
                )
            };
        }
        RegionClients {
            name: name.to_string(),
            ec2: client!(aws_sdk_ec2),
            ssm: client!(aws_sdk_ssm),
            trail: client!(aws_sdk_cloudtrail),
            logs: client!(aws_sdk_cloudwatchlogs),
            // An endpoint override (an emulator, a proxy) serves buckets by path, not by host name.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&self.config)
                    .region(region.clone())
                    .force_path_style(self.config.endpoint_url().is_some())
                    .interceptor(counter())
                    .retry_classifier(FailFast)
                    .build(),
            ),
            kms: client!(aws_sdk_kms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration as `sdk_config` makes it, with keys and an endpoint of the test's own.
    fn config_at(endpoint: &str) -> aws_types::SdkConfig {
        let keys = aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test");
        aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(keys))
            .endpoint_url(endpoint)
            .retry_config(retry_config().with_max_backoff(Duration::from_millis(10)))
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .build()
    }

    #[tokio::test]
    async fn a_refused_endpoint_is_asked_once() {
        // A port that was just free: nothing listens there, so every connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let progress = Arc::new(Progress::default());
        let session = Session::from_config(
            config_at(&format!("http://127.0.0.1:{port}")),
            progress.clone(),
        );
        let err = session.sts.get_caller_identity().send().await.unwrap_err();
        assert!(
            matches!(
                err,
                aws_smithy_runtime_api::client::result::SdkError::DispatchFailure(_)
            ),
            "{err:?}"
        );
        let (_, _, calls, retries) = progress.get();
        assert_eq!((calls, retries), (1, 0), "one attempt, no retry");
        let region = session.region("eu-west-1");
        assert!(region.ec2.describe_vpcs().send().await.is_err());
        assert_eq!(progress.get().2, 2, "the regional clients fail fast too");
    }
}
