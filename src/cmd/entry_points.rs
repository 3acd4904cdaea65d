//! The pre-session entry points: `proxy` (ssh's ProxyCommand) and `connect`. Both check first and then hand over
//! to `aws ssm start-session`, run without a shell: ssm-check itself stays read-only, starting the session is the
//! aws CLI's job. Their input comes from other programs, so the target is validated before anything else.

use super::cli::{check_mode_flags, suggest, AwsArgs, ColorChoice};
use super::handover;
use super::output::{self, eprint};
use super::session_command::{start_session, SessionTarget};
use super::{live, picker, CommandError, NOT_READY, PICKED_NOTHING};
use ssm_check::facts::Facts;
use ssm_check::options::{Mode, Options};
use ssm_check::render::text::{printable, printable_lines};
use ssm_check::rules;
use ssm_check::rules::{Answer, Gate, Report};
use ssm_check::selection::{name_filter, valid_target, Selection};
use std::time::Duration;

/// `connect`'s session.
pub struct Connect {
    pub mode: Mode,
    pub port: Option<u16>,
    pub local_port: Option<u16>,
    pub remote_host: Option<String>,
    pub gate: Gate,
    /// `--wait`: check until ready for this long.
    pub wait: Option<Duration>,
}

/// The one region a session goes to.
fn region(aws: &AwsArgs) -> Result<Option<&str>, CommandError> {
    match aws.region.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        _ => Err(CommandError::input(
            "a session goes to one region: give one --region",
        )),
    }
}

pub fn proxy(
    host: &str,
    port: u16,
    cache_ttl: u64,
    wait: Option<Duration>,
    aws: &AwsArgs,
) -> Result<u8, CommandError> {
    let region = region(aws)?;
    let options = Options {
        port: Some(port),
        ..Options::new(Mode::Ssh)
    };
    // An id is checked (or its cached verdict reused); a name is looked up and checked in the same run.
    let named = if valid_target(host) {
        None
    } else {
        Some(by_name(host, &options, aws)?)
    };
    let id = named
        .as_ref()
        .map_or_else(|| host.to_string(), |r| r.target.id.clone());
    let id = id.as_str();
    let to = SessionTarget {
        target: id,
        local_port: None,
        profile: aws.profile.as_deref(),
        region,
    };
    let args = start_session(&to, &options).map_err(CommandError::input)?;
    let cached = cached::lookup(id, &options, aws, region, cache_ttl);
    if cached.hit && named.is_none() {
        handing_over(aws, region, id, None, &options, "a verdict from the cache");
        return run_session(&args, None, &cached);
    }
    let report = match named {
        Some(report) => report,
        None => checked(id, &options, aws, wait)?,
    };
    let report = until_ready(report, &options, aws, wait)?;
    cached.store(&report);
    if !report.verdict.ready {
        // stdout belongs to ssh's protocol: everything for the person goes to stderr, shown, not obeyed.
        let waited = report
            .waited
            .as_ref()
            .map(|w| {
                format!(
                    "ssm-check: {}\n",
                    ssm_check::render::table::waited(w, report.verdict.answer)
                )
            })
            .unwrap_or_default();
        eprint(&format!(
            "ssm-check: {}\n{waited}{}",
            printable(&report.verdict.summary),
            printable_lines(&ssm_check::render::table::fixes(&report, false))
        ));
        return Ok(NOT_READY);
    }
    note_undecided(&report);
    handing_over(
        aws,
        region.or(Some(&report.target.region)),
        id,
        report.name.as_deref(),
        &options,
        "checked now",
    );
    run_session(&args, Some(&report), &cached)
}

/// The target's report: checked once, or with `--wait` until it is ready (quietly but for the status line).
fn checked(
    id: &str,
    options: &Options,
    aws: &AwsArgs,
    wait: Option<Duration>,
) -> Result<Report, CommandError> {
    match wait {
        None => live::check(id, options, aws),
        Some(deadline) => {
            let selection = Selection::Ids(vec![id.to_string()]);
            let mut reports = live::wait(&selection, options, aws, deadline, false)?;
            Ok(reports.remove(0))
        }
    }
}

/// A target found by name that is not ready yet only for what ends by itself, waited on by its id; any other
/// report as it is.
fn until_ready(
    report: Report,
    options: &Options,
    aws: &AwsArgs,
    wait: Option<Duration>,
) -> Result<Report, CommandError> {
    match wait {
        Some(deadline) if report.waited.is_none() && !report.waiting_for().is_empty() => {
            checked(&report.target.id, options, aws, Some(deadline))
        }
        _ => Ok(report),
    }
}

/// The one instance `name` (a Name tag, an address, a DNS name) stands for, checked: several that run is an error
/// that lists them, since a session goes to one.
fn by_name(name: &str, options: &Options, aws: &AwsArgs) -> Result<Report, CommandError> {
    let filter = name_filter(name).map_err(CommandError::input)?;
    let doc = live::gather(&Selection::Filters(vec![filter]), options, aws, true)?;
    let all: Vec<usize> = (0..doc.len()).collect();
    let found: Vec<Facts> = doc.views(&all).collect();
    let running: Vec<&Facts> = found
        .iter()
        .filter(|f| f.instance.value().is_some_and(|i| i.state == "running"))
        .collect();
    let chosen = match (found.as_slice(), running.as_slice()) {
        ([], _) => {
            return Err(CommandError::input(format!(
                "no instance (not terminated) is named or addressed `{}`",
                printable(name)
            ))
            .help("check the region (--region) and the name; a Name tag takes * wildcards: web-*"))
        }
        ([one], _) => one,
        (_, [one]) => *one,
        (_, _) => return Err(several(name, &found)),
    };
    Ok(rules::evaluate(chosen, options))
}

/// The error for a name several instances answer to: each with its id, Name, state and zone.
fn several(name: &str, found: &[Facts]) -> CommandError {
    let rows: Vec<String> = found
        .iter()
        .map(|f| match f.instance.value() {
            Some(i) => format!(
                "{} ({}, {}, {})",
                i.instance_id,
                printable(i.name.as_deref().unwrap_or("no Name")),
                i.state,
                i.availability_zone.as_deref().unwrap_or("?")
            ),
            None => f.target.id.clone(),
        })
        .collect();
    CommandError::input(format!(
        "`{}` names {} instances: {}",
        printable(name),
        found.len(),
        rows.join("; ")
    ))
    .help("give the id of the one you mean")
}

/// One line on stderr before the session: as whom, where, to what, and whether the verdict is fresh.
fn handing_over(
    aws: &AwsArgs,
    region: Option<&str>,
    id: &str,
    name: Option<&str>,
    options: &Options,
    verdict: &str,
) {
    let profile = aws.profile.as_deref().unwrap_or("the default credentials");
    let region = region.unwrap_or("the profile's region");
    let name = name
        .map(|n| format!(" ({})", printable(n)))
        .unwrap_or_default();
    eprint(&format!(
        "ssm-check: {} to {id}{name} in {region} as {profile}; {verdict}\n",
        options.mode.noun()
    ));
}

/// Cannot tell: nothing fails, so the session may well open; go ahead, but say first what could not be checked.
fn note_undecided(report: &Report) {
    if report.verdict.answer != Answer::CannotTell {
        return;
    }
    let rules: Vec<&str> = report
        .verdict
        .undecided
        .iter()
        .flat_map(|u| u.rules.iter().copied())
        .fold(Vec::new(), |mut all, r| {
            if !all.contains(&r) {
                all.push(r);
            }
            all
        });
    let needs: Vec<&str> = report
        .verdict
        .undecided
        .iter()
        .filter_map(|u| u.action.as_deref())
        .collect();
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!(" (seeing them needs {})", needs.join(", "))
    };
    eprint(&format!(
        "ssm-check: cannot tell, starting the session anyway: could not check {}{}\n",
        rules.join(", "),
        printable(&needs)
    ));
}

pub fn connect(target: Option<&str>, session: Connect, aws: &AwsArgs) -> Result<u8, CommandError> {
    if let Some(name) = target.filter(|t| !valid_target(t)) {
        name_filter(name).map_err(CommandError::input)?;
    }
    if target.is_none() && !picker::on_terminal() {
        return Err(picker::usage_error());
    }
    let region = region(aws)?;
    if session.mode == Mode::Ssh {
        return Err(CommandError::input(
            "connect opens shells and port forwarding; SSH goes through ssh, with ssm-check as its ProxyCommand",
        )
        .help(format!(
            "ssh -o ProxyCommand='ssm-check proxy %h %p' ec2-user@{} (or put it in ~/.ssh/config: `ssm-check proxy --help`)",
            target.unwrap_or("INSTANCE_ID")
        )));
    }
    check_mode_flags(session.mode, session.port, session.remote_host.as_deref())?;
    if let Some(local) = session
        .local_port
        .filter(|_| !matches!(session.mode, Mode::Port | Mode::RemotePort))
    {
        return Err(CommandError::input(format!(
            "--local-port {local} does not apply to --mode {}: only port forwarding opens a local port",
            session.mode.id()
        ))
        .help(format!("to forward a port: {}", suggest(&["--mode", "port"]))));
    }
    let options = Options {
        mode: session.mode,
        port: session.port,
        remote_host: session.remote_host.clone(),
    };
    options
        .validate_for_session()
        .map_err(CommandError::input)?;
    let args_for = |id: &str| {
        let to = SessionTarget {
            target: id,
            local_port: session.local_port,
            profile: aws.profile.as_deref(),
            region,
        };
        start_session(&to, &options).map_err(CommandError::input)
    };
    // The session's arguments are validated before anything is asked of AWS.
    args_for("i-00000000")?;
    let now = || "checked now".to_string();
    let (report, how) = match target {
        Some(id) if valid_target(id) => (checked(id, &options, aws, session.wait)?, now()),
        Some(name) => (by_name(name, &options, aws)?, now()),
        None => match picked(&options, aws, session.wait)? {
            Some(picked) => picked,
            None => return Ok(PICKED_NOTHING),
        },
    };
    let report = until_ready(report, &options, aws, session.wait)?;
    let args = args_for(&report.target.id)?;
    if session.gate.fails_report(&report) {
        let style = super::readiness::table_style(ColorChoice::Auto, false);
        output::print(&ssm_check::render::table::render(&report, &style))?;
        eprint("ssm-check: not starting the session\n");
        return Ok(NOT_READY);
    }
    if report.verdict.answer == Answer::CannotTell {
        note_undecided(&report);
    }
    // The region the check found the target in, when no --region named it.
    handing_over(
        aws,
        region.or(Some(&report.target.region)),
        &report.target.id,
        report.name.as_deref(),
        &options,
        &how,
    );
    run_session(&args, Some(&report), &cached::Lookup::none())
}

/// The target chosen in the picker, checked (by the picker's background check, else now), and when; `None`:
/// nothing chosen.
fn picked(
    options: &Options,
    aws: &AwsArgs,
    wait: Option<Duration>,
) -> Result<Option<(Report, String)>, CommandError> {
    let port = match options.mode {
        Mode::Port | Mode::RemotePort => format!(" ({})", options.port_or_default()),
        _ => String::new(),
    };
    let title = format!("connect · {}{port}", options.mode.noun());
    match picker::pick(options, aws, title)? {
        picker::Picked::Checked(report, age) => Ok(Some((
            *report,
            format!("checked {} s ago in the list", age.as_secs()),
        ))),
        picker::Picked::Unchecked(id) => {
            checked(&id, options, aws, wait).map(|r| Some((r, "checked now".into())))
        }
        picker::Picked::Quit => Ok(None),
    }
}

/// Runs `aws ARGS`; a failed session (any exit but 0) is explained, and a verdict cached for it forgotten: the
/// next try checks.
fn run_session(
    args: &[String],
    report: Option<&Report>,
    cached: &cached::Lookup,
) -> Result<u8, CommandError> {
    let code = handover::run(args, report)?;
    if code != 0 {
        cached.forget();
    }
    Ok(code)
}

/// The verdict cache of `proxy`, when it can be used (the `live` feature, a cache directory, a ttl above 0).
mod cached {
    use super::*;

    pub struct Lookup {
        pub hit: bool,
        #[cfg(feature = "live")]
        slot: Option<(
            crate::cmd::verdict_cache::Cache,
            crate::cmd::verdict_cache::Key,
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
        use crate::cmd::verdict_cache::{Cache, Key};
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
        Lookup::none()
    }

    impl Lookup {
        /// No cache (`connect`).
        pub fn none() -> Lookup {
            Lookup {
                hit: false,
                #[cfg(feature = "live")]
                slot: None,
            }
        }

        /// Forgets the verdict on this key, if one was kept.
        pub fn forget(&self) {
            #[cfg(feature = "live")]
            if let Some((cache, key)) = &self.slot {
                cache.store(key, false, "");
            }
        }

        pub fn store(&self, report: &Report) {
            #[cfg(feature = "live")]
            if let Some((cache, key)) = &self.slot {
                // Only a verdict that could be told is kept as ready: "cannot tell" is checked again each time.
                let ready = report.verdict.answer == Answer::Yes;
                cache.store(key, ready, &report.verdict.summary);
            }
            #[cfg(not(feature = "live"))]
            let _ = report;
        }
    }
}
