//! `ssm-check [TARGETS | --filters … | --all | --facts FILE]` (is each target ready?) and `ssm-check gather` (the
//! facts such a run evaluates).

use super::cli::{AwsArgs, Cli, ColorChoice, FailOn, Format, SelectArgs};
use super::{live, CommandError, CANNOT_TELL, NOT_READY, READY};
use ssm_check::facts::{self, Document};
use ssm_check::options::{Mode, Options};
use ssm_check::render;
use ssm_check::rules::{self, Gate, Judgement, Report};
use ssm_check::selection::Selection;
use std::io::{IsTerminal, Write};

const NO_TARGET: &str =
    "no target: the filters select no instance (terminated ones are left out) in the regions";

pub fn gather(
    select: &SelectArgs,
    remote_host: Option<String>,
    aws: &AwsArgs,
) -> Result<u8, CommandError> {
    let selection = select
        .selection()
        .map_err(CommandError::input)?
        .ok_or_else(|| {
            CommandError::input("nothing to gather: give instance ids, --filters or --all")
        })?;
    // Gathering reads no mode, only the remote host, which is remote-port's.
    let options = Options {
        remote_host,
        ..Options::new(Mode::RemotePort)
    };
    let doc = live::gather(&selection, &options, aws, false)?;
    if doc.is_empty() {
        return Err(CommandError::input(NO_TARGET));
    }
    // One id: the single-target document (version 1) every example uses; else the fleet's (version 2).
    let json = match (&selection, doc) {
        (Selection::Ids(ids), Document::Fleet(f)) if ids.len() == 1 => {
            serde_json::to_string_pretty(&f.view(0))
        }
        (_, Document::Fleet(f)) => serde_json::to_string_pretty(&f),
        (_, Document::Single(f)) => serde_json::to_string_pretty(&f),
    };
    println!("{}", json.expect("facts serialise"));
    Ok(READY)
}

pub fn run(cli: &Cli) -> Result<u8, CommandError> {
    let selection = cli.select.selection().map_err(CommandError::input)?;
    let options = Options {
        mode: Mode::from(cli.mode),
        port: cli.port,
        remote_host: cli.remote_host.clone(),
    };
    options.validate().map_err(CommandError::input)?;
    let (doc, picked) = targets(cli, selection.as_ref(), &options)?;
    let gate = FailOn::gate(&cli.fail_on);
    // One target asked by id (or one saved target) reads as its full report; a fleet as one row per target.
    let fleet =
        picked.len() != 1 || matches!(selection, Some(Selection::Filters(_) | Selection::All));
    let reports = evaluate_and_print(cli, doc.views(&picked), &options, &gate, fleet);
    let worst = reports.iter().map(|r| gate.judge(r)).min();
    Ok(match worst {
        _ if cli.exit_zero => READY,
        Some(Judgement::Fails) => NOT_READY,
        Some(Judgement::CannotTell) => CANNOT_TELL,
        _ => READY,
    })
}

/// The document to evaluate, saved or gathered, and which of its targets; never none, as a gate over nothing must
/// not pass.
fn targets(
    cli: &Cli,
    selection: Option<&Selection>,
    options: &Options,
) -> Result<(Document, Vec<usize>), CommandError> {
    match (&cli.facts, selection) {
        (Some(path), _) => {
            let doc = facts::load_document(path).map_err(|e| CommandError::input(e.to_string()))?;
            let ids = match selection {
                Some(Selection::Ids(ids)) => ids.clone(),
                _ => Vec::new(),
            };
            let picked = pick(&doc, &ids, &path.display().to_string())?;
            if picked.is_empty() {
                return Err(CommandError::input(format!(
                    "{} holds no target",
                    path.display()
                )));
            }
            Ok((doc, picked))
        }
        (None, Some(selection)) => {
            let doc = live::gather(selection, options, &cli.aws, cli.quiet)?;
            if doc.is_empty() {
                return Err(CommandError::input(NO_TARGET));
            }
            let all = (0..doc.len()).collect();
            Ok((doc, all))
        }
        (None, None) => Err(CommandError::input(
            "nothing to check: give instance ids, --filters, --all, or --facts FILE (see --help)",
        )),
    }
}

/// Evaluates each target and prints the reports in the chosen format (nothing with `--quiet`).
fn evaluate_and_print(
    cli: &Cli,
    targets: impl Iterator<Item = facts::Facts>,
    options: &Options,
    gate: &Gate,
    fleet: bool,
) -> Vec<Report> {
    let mut reports = Vec::new();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for facts in targets {
        let report = rules::evaluate(&facts, options);
        if !cli.quiet && cli.format == Format::Ndjson {
            // As each target is evaluated, so a consumer can start on the first before the last.
            let _ = writeln!(out, "{}", render::json_line(&report));
            let _ = out.flush();
        }
        reports.push(report);
    }
    if cli.quiet {
        return reports;
    }
    let text = match cli.format {
        Format::Ndjson => String::new(),
        Format::Json if fleet => {
            let _ = render::write_fleet_json(&mut out, &reports, options);
            String::new()
        }
        Format::Json => render::json(&reports[0]) + "\n",
        Format::Junit => render::junit::render(&reports, gate),
        Format::Github => render::github::render(&reports, gate),
        Format::Markdown => render::markdown::render(&reports, gate),
        Format::Table => {
            let style = table_style(cli.color, cli.verbose);
            if fleet {
                render::fleet::table(&reports, &style)
            } else {
                render::table::render(&reports[0], &style)
            }
        }
    };
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    reports
}

/// The targets of a saved document to evaluate: those named (each must be in it), else all.
fn pick(doc: &Document, ids: &[String], path: &str) -> Result<Vec<usize>, CommandError> {
    let have = doc.target_ids();
    if ids.is_empty() {
        return Ok((0..have.len()).collect());
    }
    ids.iter()
        .map(|id| {
            have.iter().position(|h| h == id).ok_or_else(|| {
                CommandError::input(format!(
                    "{path} holds facts about {}, not {id}",
                    have.join(", ")
                ))
            })
        })
        .collect()
}

pub fn table_style(choice: ColorChoice, verbose: bool) -> render::table::Style {
    let terminal = std::io::stdout().is_terminal();
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    render::table::Style {
        color,
        fit_terminal: terminal,
        verbose,
    }
}
