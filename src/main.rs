//! `ssm-check`: the command line around the library. Every error is one line and a documented exit code.

use clap::Parser;
use ssm_check::cli::{AwsArgs, CatalogFormat, Cli, ColorChoice, Command, Format};
use ssm_check::facts::Facts;
use ssm_check::options::{Mode, Options};
use ssm_check::rules::{self, Status};
use ssm_check::{facts, render};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Documented in README.md.
const READY: u8 = 0;
const NOT_READY: u8 = 1;
const INPUT_ERROR: u8 = 2;
#[cfg_attr(not(feature = "live"), allow(dead_code))]
const ENVIRONMENT_ERROR: u8 = 3;

type Failure = (u8, String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            // One line, whatever a library put in the message.
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("ssm-check: {message}");
            ExitCode::from(code)
        }
    }
}

fn check_target(target: &str) -> Result<(), Failure> {
    if ssm_check::cli::valid_target(target) {
        Ok(())
    } else {
        Err((
            INPUT_ERROR,
            format!("`{target}` is not an instance id (i-0123456789abcdef0) or a hybrid node id (mi-0123456789abcdef0)"),
        ))
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match &cli.command {
        Some(Command::Gather {
            target,
            remote_host,
            aws,
        }) => {
            check_target(target)?;
            let facts = live(target, remote_host.clone(), aws, false)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&facts).expect("facts serialise")
            );
            return Ok(READY);
        }
        Some(command) => return catalog(command),
        None => {}
    }
    if let Some(target) = &cli.target {
        check_target(target)?;
    }
    let mode = Mode::from(cli.mode);
    if cli.remote_host.is_some() && !matches!(mode, Mode::RemotePort | Mode::Port) {
        return Err((
            INPUT_ERROR,
            "--remote-host goes with --mode remote-port (or --mode port, to see why port forwarding alone cannot reach another host)".into(),
        ));
    }
    let facts = match (&cli.facts, &cli.target) {
        (Some(path), target) => {
            let facts = facts::load_file(path).map_err(|e| (INPUT_ERROR, e.to_string()))?;
            if let Some(target) = target {
                if target != &facts.target.id {
                    return Err((
                        INPUT_ERROR,
                        format!(
                            "{} holds facts about {}, not {target}",
                            path.display(),
                            facts.target.id
                        ),
                    ));
                }
            }
            facts
        }
        (None, Some(target)) => live(target, cli.remote_host.clone(), &cli.aws, cli.quiet)?,
        (None, None) => {
            return Err((
                INPUT_ERROR,
                "nothing to check: give an instance id, or --facts FILE (see --help)".into(),
            ))
        }
    };
    let options = Options {
        mode,
        port: cli.port,
        remote_host: cli.remote_host.clone(),
    };
    let report = rules::evaluate(&facts, &options);
    if !cli.quiet {
        match cli.format {
            Format::Json => println!("{}", render::json(&report)),
            Format::Table => {
                let terminal = std::io::stdout().is_terminal();
                let color = match cli.color {
                    ColorChoice::Always => true,
                    ColorChoice::Never => false,
                    ColorChoice::Auto => {
                        terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    }
                };
                let style = render::table::Style {
                    color,
                    fit_terminal: terminal,
                    verbose: cli.verbose,
                };
                print!("{}", render::table::render(&report, &style));
            }
        }
    }
    let mut gate = vec![Status::Fail];
    gate.extend(cli.fail_on.iter().map(|g| g.status()));
    Ok(if cli.exit_zero || !report.has_any(&gate) {
        READY
    } else {
        NOT_READY
    })
}

/// Without the `live` feature there is nothing to gather with: say so, and how to evaluate saved facts instead.
#[cfg(not(feature = "live"))]
fn live(
    _target: &str,
    _remote_host: Option<String>,
    _aws: &AwsArgs,
    _quiet: bool,
) -> Result<Facts, Failure> {
    Err((
        INPUT_ERROR,
        "this ssm-check was built without live gathering (the `live` feature): evaluate saved facts with --facts FILE"
            .into(),
    ))
}

/// Gathers from AWS within the run's time bound, with a spinner on stderr when it is a terminal.
#[cfg(feature = "live")]
fn live(
    target: &str,
    remote_host: Option<String>,
    aws: &AwsArgs,
    quiet: bool,
) -> Result<Facts, Failure> {
    use ssm_check::gather::{self, GatherOptions};
    use std::time::Duration;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (ENVIRONMENT_ERROR, format!("cannot start: {e}")))?;
    let opts = GatherOptions {
        profile: aws.profile.clone(),
        region: aws.region.clone(),
        remote_host,
        call_timeout: None,
    };
    let limit = Duration::from_secs(aws.timeout);
    let spinner = !quiet && std::io::stderr().is_terminal();
    runtime.block_on(async {
        let work = tokio::time::timeout(limit, gather::gather(target, &opts));
        let result = if spinner {
            with_spinner(work, target).await
        } else {
            work.await
        };
        match result {
            Ok(Ok(facts)) => Ok(facts),
            Ok(Err(e)) => Err((ENVIRONMENT_ERROR, e.to_string())),
            Err(_) => Err((
                ENVIRONMENT_ERROR,
                format!(
                    "gathering did not finish within {}s (--timeout)",
                    aws.timeout
                ),
            )),
        }
    })
}

#[cfg(feature = "live")]
async fn with_spinner<F: std::future::Future>(work: F, target: &str) -> F::Output {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    let mut frame = 0;
    loop {
        tokio::select! {
            out = &mut work => {
                eprint!("\r\x1b[2K");
                return out;
            }
            _ = tick.tick() => {
                eprint!("\r{} gathering facts about {target}: instance, network, IAM, agent, this machine…", FRAMES[frame % FRAMES.len()]);
                frame += 1;
            }
        }
    }
}

fn catalog(command: &Command) -> Result<u8, Failure> {
    match command {
        Command::Rules { format } => {
            let text = match format {
                CatalogFormat::Table => render::catalog::table(),
                CatalogFormat::Json => render::catalog::json() + "\n",
                CatalogFormat::Markdown => render::catalog::markdown(),
            };
            print!("{text}");
        }
        Command::Explain { rule } => {
            let found = rules::find(rule).ok_or_else(|| {
                (
                    INPUT_ERROR,
                    format!("no rule `{rule}` (`ssm-check rules` lists them)"),
                )
            })?;
            print!("{}", render::catalog::explain(found));
        }
        Command::Gather { .. } => unreachable!("handled by run"),
    }
    Ok(READY)
}
