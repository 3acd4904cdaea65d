//! `ssm-check`: the command line around the library. Every error is one line and a documented exit code.

use clap::Parser;
use ssm_check::cli::{AwsArgs, CatalogFormat, Cli, ColorChoice, Command, Format};
use ssm_check::facts::Document;
use ssm_check::options::{Mode, Options};
use ssm_check::rules::{self, Report, Status};
use ssm_check::selection::Selection;
use ssm_check::{facts, render};
use std::io::{IsTerminal, Write};
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

fn run(cli: Cli) -> Result<u8, Failure> {
    match &cli.command {
        Some(Command::Gather {
            select,
            remote_host,
            aws,
        }) => {
            let selection = select.selection().map_err(|e| (INPUT_ERROR, e))?.ok_or((
                INPUT_ERROR,
                "nothing to gather: give instance ids, --filters or --all".to_string(),
            ))?;
            let doc = live(&selection, remote_host.clone(), aws, false)?;
            // One id: the single-target document (version 1) every example uses; else the fleet's (version 2).
            let json = match (&selection, doc) {
                (Selection::Ids(ids), Document::Fleet(f)) if ids.len() == 1 => {
                    serde_json::to_string_pretty(&f.view(0))
                }
                (_, Document::Fleet(f)) => serde_json::to_string_pretty(&f),
                (_, Document::Single(f)) => serde_json::to_string_pretty(&f),
            };
            println!("{}", json.expect("facts serialise"));
            return Ok(READY);
        }
        Some(command) => return catalog(command),
        None => {}
    }
    let selection = cli.select.selection().map_err(|e| (INPUT_ERROR, e))?;
    let mode = Mode::from(cli.mode);
    if cli.remote_host.is_some() && !matches!(mode, Mode::RemotePort | Mode::Port) {
        return Err((
            INPUT_ERROR,
            "--remote-host goes with --mode remote-port (or --mode port, to see why port forwarding alone cannot reach another host)".into(),
        ));
    }
    let (doc, picked) = match (&cli.facts, &selection) {
        (Some(path), _) => {
            let doc = facts::load_document(path).map_err(|e| (INPUT_ERROR, e.to_string()))?;
            let ids = match &selection {
                Some(Selection::Ids(ids)) => ids.clone(),
                _ => Vec::new(),
            };
            let picked = pick(&doc, &ids, &path.display().to_string())?;
            (doc, picked)
        }
        (None, Some(selection)) => {
            let doc = live(selection, cli.remote_host.clone(), &cli.aws, cli.quiet)?;
            if doc.is_empty() {
                return Err((
                    INPUT_ERROR,
                    "no target: the filters select no instance (terminated ones are left out) in the region".into(),
                ));
            }
            let all = (0..doc.len()).collect();
            (doc, all)
        }
        (None, None) => return Err((
            INPUT_ERROR,
            "nothing to check: give instance ids, --filters, --all, or --facts FILE (see --help)"
                .into(),
        )),
    };
    let options = Options {
        mode,
        port: cli.port,
        remote_host: cli.remote_host.clone(),
    };
    // One target asked by id (or one saved target) reads as its full report; a fleet as one row per target.
    let fleet =
        picked.len() != 1 || matches!(selection, Some(Selection::Filters(_) | Selection::All));
    let mut reports = Vec::with_capacity(picked.len());
    let mut out = std::io::stdout().lock();
    for i in picked {
        let report = rules::evaluate(&doc.view(i), &options);
        if !cli.quiet && cli.format == Format::Ndjson {
            // As each target is evaluated, so a consumer can start on the first before the last.
            let _ = writeln!(out, "{}", render::json_line(&report));
            let _ = out.flush();
        }
        reports.push(report);
    }
    if !cli.quiet {
        let text = match cli.format {
            Format::Ndjson => String::new(),
            Format::Json if fleet => render::fleet_json(&reports, &options) + "\n",
            Format::Json => render::json(&reports[0]) + "\n",
            Format::Table => {
                let style = table_style(&cli);
                if fleet {
                    render::fleet::table(&reports, &style)
                } else {
                    render::table::render(&reports[0], &style)
                }
            }
        };
        let _ = out.write_all(text.as_bytes());
    }
    Ok(exit_code(&cli, &reports))
}

/// The targets of a saved document to evaluate: those named (each must be in it), else all.
fn pick(doc: &Document, ids: &[String], path: &str) -> Result<Vec<usize>, Failure> {
    let have = doc.target_ids();
    if ids.is_empty() {
        return Ok((0..have.len()).collect());
    }
    ids.iter()
        .map(|id| {
            have.iter().position(|h| h == id).ok_or_else(|| {
                (
                    INPUT_ERROR,
                    format!("{path} holds facts about {}, not {id}", have.join(", ")),
                )
            })
        })
        .collect()
}

fn table_style(cli: &Cli) -> render::table::Style {
    let terminal = std::io::stdout().is_terminal();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    render::table::Style {
        color,
        fit_terminal: terminal,
        verbose: cli.verbose,
    }
}

/// 1 when any target has a failure, or a finding `--fail-on` names.
fn exit_code(cli: &Cli, reports: &[Report]) -> u8 {
    let mut gate = vec![Status::Fail];
    gate.extend(cli.fail_on.iter().map(|g| g.status()));
    if cli.exit_zero || !reports.iter().any(|r| r.has_any(&gate)) {
        READY
    } else {
        NOT_READY
    }
}

/// Without the `live` feature there is nothing to gather with: say so, and how to evaluate saved facts instead.
#[cfg(not(feature = "live"))]
fn live(
    _selection: &Selection,
    _remote_host: Option<String>,
    _aws: &AwsArgs,
    _quiet: bool,
) -> Result<Document, Failure> {
    Err((
        INPUT_ERROR,
        "this ssm-check was built without live gathering (the `live` feature): evaluate saved facts with --facts FILE"
            .into(),
    ))
}

/// Gathers from AWS within the run's time bound, with a progress bar on stderr when it is a terminal.
#[cfg(feature = "live")]
fn live(
    selection: &Selection,
    remote_host: Option<String>,
    aws: &AwsArgs,
    quiet: bool,
) -> Result<Document, Failure> {
    use ssm_check::gather::{self, GatherOptions, Progress};
    use std::sync::Arc;
    use std::time::Duration;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (ENVIRONMENT_ERROR, format!("cannot start: {e}")))?;
    let opts = GatherOptions {
        profile: aws.profile.clone(),
        regions: aws.region.clone(),
        remote_host,
        call_timeout: None,
        concurrency: usize::from(aws.concurrency),
    };
    let limit = Duration::from_secs(aws.timeout);
    let progress = Arc::new(Progress::default());
    let bar = !quiet && std::io::stderr().is_terminal();
    runtime.block_on(async {
        let work = tokio::time::timeout(limit, gather::gather(selection, &opts, progress.clone()));
        let result = if bar {
            with_progress(work, &progress).await
        } else {
            work.await
        };
        match result {
            Ok(Ok(fleet)) => Ok(Document::Fleet(Box::new(fleet))),
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

/// Targets done of those found, API calls and retries, redrawn while `work` runs; cleared at the end.
#[cfg(feature = "live")]
async fn with_progress<F: std::future::Future>(
    work: F,
    progress: &ssm_check::gather::Progress,
) -> F::Output {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} gathering {pos}/{len} targets {wide_bar} {msg}")
            .expect("a valid template"),
    );
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut work => {
                bar.finish_and_clear();
                return out;
            }
            _ = tick.tick() => {
                let (done, targets, calls, retries) = progress.get();
                bar.set_length(targets as u64);
                bar.set_position(done as u64);
                bar.set_message(format!("{calls} calls, {retries} retried"));
                bar.tick();
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
