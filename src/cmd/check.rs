//! `ssm-check [TARGETS | --filters … | --all | --facts FILE]` and `ssm-check gather`.

use super::{live, Failure, INPUT_ERROR, NOT_READY, READY};
use ssm_check::cli::{AwsArgs, Cli, ColorChoice, Format, SelectArgs};
use ssm_check::facts::{self, Document};
use ssm_check::options::{Mode, Options};
use ssm_check::render::{self, ci::Gate};
use ssm_check::rules;
use ssm_check::selection::Selection;
use std::io::{IsTerminal, Write};

const NO_TARGET: &str =
    "no target: the filters select no instance (terminated ones are left out) in the regions";

pub fn gather(
    select: &SelectArgs,
    remote_host: Option<String>,
    aws: &AwsArgs,
) -> Result<u8, Failure> {
    let selection = select.selection().map_err(|e| (INPUT_ERROR, e))?.ok_or((
        INPUT_ERROR,
        "nothing to gather: give instance ids, --filters or --all".to_string(),
    ))?;
    let doc = live::gather(&selection, remote_host, aws, false)?;
    if doc.is_empty() {
        return Err((INPUT_ERROR, NO_TARGET.into()));
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

pub fn run(cli: &Cli) -> Result<u8, Failure> {
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
            if picked.is_empty() {
                // A gate over nothing must not pass.
                return Err((INPUT_ERROR, format!("{} holds no target", path.display())));
            }
            (doc, picked)
        }
        (None, Some(selection)) => {
            let doc = live::gather(selection, cli.remote_host.clone(), &cli.aws, cli.quiet)?;
            if doc.is_empty() {
                return Err((INPUT_ERROR, NO_TARGET.into()));
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
    let gate = Gate::new(&cli.fail_on.iter().map(|g| g.status()).collect::<Vec<_>>());
    // One target asked by id (or one saved target) reads as its full report; a fleet as one row per target.
    let fleet =
        picked.len() != 1 || matches!(selection, Some(Selection::Filters(_) | Selection::All));
    let mut reports = Vec::with_capacity(picked.len());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for facts in doc.views(&picked) {
        let report = rules::evaluate(&facts, &options);
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
            Format::Json if fleet => {
                let _ = render::write_fleet_json(&mut out, &reports, &options);
                String::new()
            }
            Format::Json => render::json(&reports[0]) + "\n",
            Format::Junit => render::junit::render(&reports, &gate),
            Format::Github => render::github::render(&reports, &gate),
            Format::Markdown => render::markdown::render(&reports, &gate),
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
    }
    let failing = reports.iter().any(|r| gate.fails_report(r));
    Ok(if cli.exit_zero || !failing {
        READY
    } else {
        NOT_READY
    })
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
