//! The SDK configuration and clients: made as the AWS CLI makes them (profile, region, `AWS_ENDPOINT_URL*`, SSO,
//! roles), with adaptive retries — throttling is normal across a fleet, never an error — a timeout per call, and
//! an interceptor that counts calls and retries for the progress line.

use super::errors::EnvironmentError;
use super::options::GatherOptions;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
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

/// The SDK configuration for `region` (or the profile's own when `None`).
pub async fn sdk_config(
    opts: &GatherOptions,
    region: Option<&str>,
) -> Result<aws_types::SdkConfig, EnvironmentError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        // Adaptive: the client slows itself down when throttled, which a fleet's burst of calls will be. Five
        // attempts with backoff capped at 8 s ride out throttling without stalling long on a broken endpoint.
        .retry_config(
            aws_config::retry::RetryConfig::adaptive()
                .with_max_attempts(5)
                .with_max_backoff(Duration::from_secs(8)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(opts.call_timeout.unwrap_or(Duration::from_secs(15)))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(profile) = mfa_profile(opts.profile.as_deref()) {
        loader = loader.credentials_provider(cli_credentials(&profile).await?);
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
    Ok(config)
}

/// The profile in use when it assumes a role with an MFA device (`role_arn` and `mfa_serial`): the SDK cannot ask
/// for the code. Keys in the environment win over any profile, as in the AWS CLI.
fn mfa_profile(flag: Option<&str>) -> Option<String> {
    let profile = match flag {
        Some(p) => p.to_string(),
        None if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() => return None,
        None => std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into()),
    };
    let settings = super::local::profile_settings(&profile)?;
    (settings.get("role_arn").is_some() && settings.get("mfa_serial").is_some()).then_some(profile)
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
    let needs = |why: String| {
        EnvironmentError(format!(
            "profile {profile} asks for an MFA code, which ssm-check gets through the AWS CLI v2 \
             (`aws configure export-credentials --profile {profile} --format process`): {why}"
        ))
    };
    let out = tokio::process::Command::new("aws")
        .args(["configure", "export-credentials", "--profile", profile])
        .args(["--format", "process"])
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .map_err(|e| needs(format!("cannot run aws ({e})")))?;
    if !out.status.success() {
        return Err(needs(format!("it exited with {}", out.status)));
    }
    let c: ProcessCredentials = serde_json::from_slice(&out.stdout)
        .map_err(|_| needs("its output is not process credentials".into()))?;
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
        let counter = Counter(progress);
        Ok(Session {
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            config,
            counter,
        })
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
                    .build(),
            ),
            kms: client!(aws_sdk_kms),
        }
    }
}
