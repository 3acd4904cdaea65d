//! The pre-session entry points: `proxy` (ssh's ProxyCommand) and `connect`. Both check first and then hand over
//! to `aws ssm start-session`, run without a shell: ssm-check itself stays read-only, starting the session is the
//! aws CLI's job. Their input comes from other programs, so the target is validated before anything else.

use super::{live, Failure, INPUT_ERROR, NOT_READY};
use ssm_check::cli::AwsArgs;
use ssm_check::options::{Mode, Options};
use ssm_check::render::ci::Gate;
use ssm_check::rules::{self, Report, Status};
use ssm_check::selection::{valid_target, Selection};
use ssm_check::session_command::{start_session, SessionTarget};

/// `connect`'s session.
pub struct Connect {
    pub mode: Mode,
    pub port: Option<u16>,
    pub local_port: Option<u16>,
    pub remote_host: Option<String>,
    pub fail_on: Vec<Status>,
}

fn validate(target: &str) -> Result<(), Failure> {
    if valid_target(target) {
        Ok(())
    } else {
        Err((
            INPUT_ERROR,
            format!("`{target}` is not an instance id (i-0123456789abcdef0) or a hybrid node id (mi-0123456789abcdef0)"),
        ))
    }
}

/// The one region a session goes to.
fn region(aws: &AwsArgs) -> Result<Option<&str>, Failure> {
    match aws.region.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        _ => Err((
            INPUT_ERROR,
            "a session goes to one region: give one --region".into(),
        )),
    }
}

fn check(target: &str, options: &Options, aws: &AwsArgs) -> Result<Report, Failure> {
    let doc = live::gather(
        &Selection::Ids(vec![target.to_string()]),
        options.remote_host.clone(),
        aws,
        true,
    )?;
    Ok(rules::evaluate(&doc.view(0), options))
}

pub fn proxy(host: &str, port: u16, cache_ttl: u64, aws: &AwsArgs) -> Result<u8, Failure> {
    validate(host)?;
    let region = region(aws)?;
    let options = Options {
        port: Some(port),
        ..Options::new(Mode::Ssh)
    };
    let to = SessionTarget {
        target: host,
        local_port: None,
        profile: aws.profile.as_deref(),
        region,
    };
    let args = start_session(&to, &options).map_err(|e| (INPUT_ERROR, e))?;
    let cached = cached::lookup(host, &options, aws, region, cache_ttl);
    if cached.hit {
        return hand_over(&args);
    }
    let report = check(host, &options, aws)?;
    cached.store(&report);
    if !report.verdict.ready {
        // stdout belongs to ssh's protocol: everything for the person goes to stderr.
        eprintln!("ssm-check: {}", report.verdict.summary);
        eprint!("{}", ssm_check::render::table::fixes(&report, false));
        return Ok(NOT_READY);
    }
    hand_over(&args)
}

pub fn connect(target: &str, session: Connect, aws: &AwsArgs) -> Result<u8, Failure> {
    validate(target)?;
    let region = region(aws)?;
    match (session.mode, &session.remote_host) {
        (Mode::Ssh, _) => {
            return Err((
                INPUT_ERROR,
                "connect opens shells and port forwarding; for SSH, put `ssm-check proxy %h %p` in ssh's ProxyCommand (see `ssm-check proxy --help`)".into(),
            ))
        }
        (Mode::RemotePort, None) => {
            return Err((INPUT_ERROR, "--mode remote-port needs --remote-host".into()))
        }
        (Mode::Shell | Mode::Port, Some(_)) => {
            return Err((INPUT_ERROR, "--remote-host goes with --mode remote-port".into()))
        }
        _ => {}
    }
    if session.local_port.is_some() && !matches!(session.mode, Mode::Port | Mode::RemotePort) {
        return Err((INPUT_ERROR, "--local-port goes with the port modes".into()));
    }
    let options = Options {
        mode: session.mode,
        port: session.port,
        remote_host: session.remote_host.clone(),
    };
    let to = SessionTarget {
        target,
        local_port: session.local_port,
        profile: aws.profile.as_deref(),
        region,
    };
    let args = start_session(&to, &options).map_err(|e| (INPUT_ERROR, e))?;
    let report = check(target, &options, aws)?;
    if Gate::new(&session.fail_on).fails_report(&report) {
        let style = super::check::table_style(ssm_check::cli::ColorChoice::Auto, false);
        print!("{}", ssm_check::render::table::render(&report, &style));
        eprintln!("ssm-check: not starting the session");
        return Ok(NOT_READY);
    }
    eprintln!(
        "ssm-check: {}; starting the session",
        report.verdict.summary
    );
    hand_over(&args)
}

/// Becomes `aws ARGS` (on Windows, runs it and passes its exit code on).
fn hand_over(args: &[String]) -> Result<u8, Failure> {
    let mut aws = std::process::Command::new("aws");
    aws.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = aws.exec();
        Err((
            super::ENVIRONMENT_ERROR,
            format!("cannot run the aws CLI: {e}"),
        ))
    }
    #[cfg(not(unix))]
    {
        let status = aws.status().map_err(|e| {
            (
                super::ENVIRONMENT_ERROR,
                format!("cannot run the aws CLI: {e}"),
            )
        })?;
        Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
    }
}

/// The verdict cache of `proxy`, when it can be used (the `live` feature, a cache directory, a ttl above 0).
mod cached {
    use super::*;

    pub struct Lookup {
        pub hit: bool,
        #[cfg(feature = "live")]
        slot: Option<(
            ssm_check::verdict_cache::Cache,
            ssm_check::verdict_cache::Key,
        )>,
    }

    #[cfg(feature = "live")]
    pub fn lookup(
        host: &str,
        options: &Options,
        aws: &AwsArgs,
        region: Option<&str>,
        ttl: u64,
    ) -> Lookup {
        use ssm_check::verdict_cache::{Cache, Key};
        // Keys in the environment name no profile: two identities would share one entry, so no cache for them.
        let env_keys = aws.profile.is_none() && std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
        let cache = if ttl > 0 && !env_keys {
            Cache::open()
        } else {
            None
        };
        let Some(cache) = cache else {
            return Lookup {
                hit: false,
                slot: None,
            };
        };
        // The profile and region as the AWS CLI would pick them, so a changed AWS_PROFILE is another key.
        let profile = aws
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok());
        let region = region
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
        let key = Key::new(host, profile.as_deref(), region.as_deref(), options);
        let hit = cache
            .fresh(&key, std::time::Duration::from_secs(ttl))
            .is_some();
        Lookup {
            hit,
            slot: Some((cache, key)),
        }
    }

    #[cfg(not(feature = "live"))]
    pub fn lookup(_: &str, _: &Options, _: &AwsArgs, _: Option<&str>, _: u64) -> Lookup {
        Lookup { hit: false }
    }

    impl Lookup {
        pub fn store(&self, report: &Report) {
            #[cfg(feature = "live")]
            if let Some((cache, key)) = &self.slot {
                cache.store(key, report.verdict.ready, &report.verdict.summary);
            }
            #[cfg(not(feature = "live"))]
            let _ = report;
        }
    }
}
