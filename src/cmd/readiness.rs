//! `ssm-check [TARGETS | --filters … | --all | --facts FILE]` (is each target ready?) and `ssm-check gather` (the
//! facts such a run evaluates).

use super::cli::{check_mode_flags, AwsArgs, Cli, ColorChoice, FailOn, Format, SelectArgs};
use super::output::{self, Stdout};
use super::{live, CommandError, CANNOT_TELL, NOT_READY, READY};
use ssm_check::facts::{self, Document};
use ssm_check::options::{Mode, Options};
use ssm_check::render;
use ssm_check::render::text::ndjson_safe;
use ssm_check::rules::{self, Gate, Judgement, Report};
use ssm_check::selection::Selection;
use std::io::IsTerminal;

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
    output::print(&(json.expect("facts serialise") + "\n"))?;
    Ok(READY)
}

pub fn run(cli: &Cli) -> Result<u8, CommandError> {
    let selection = cli.select.selection().map_err(CommandError::input)?;
    if let Some(port) = &cli.local_port {
        let target = cli.select.targets.first().map_or("TARGET", String::as_str);
        let remote = cli.port.map_or("N".to_string(), |p| p.to_string());
        return Err(CommandError::input(
            "--local-port is for starting a session: a check opens no port on this machine",
        )
        .help(format!(
            "to check, then forward local port {port}: ssm-check connect {target} --mode port --port {remote} --local-port {port}"
        )));
    }
    let mode = Mode::from(cli.mode);
    check_mode_flags(mode, cli.port, cli.remote_host.as_deref())?;
    let options = Options {
        mode,
        port: cli.port,
        remote_host: cli.remote_host.clone(),
    };
    options.validate().map_err(CommandError::input)?;
    let gate = FailOn::gate(&cli.fail_on);
    // One target asked by id (or one saved target) reads as its full report; a fleet as one row per target.
    let named = cli.select.by_name().ok().flatten().is_some();
    let as_fleet = |count: usize| {
        count != 1 || (matches!(selection, Some(Selection::Filters(_) | Selection::All)) && !named)
    };
    let reports = match cli.wait {
        Some(deadline) => {
            let reports = wait(cli, selection.as_ref(), &options, deadline)?;
            let mut out = Stdout::new();
            print(
                cli,
                &reports,
                &options,
                &gate,
                as_fleet(reports.len()),
                &mut out,
            )?;
            reports
        }
        None => {
            let (doc, picked) = targets(cli, selection.as_ref(), &options)?;
            let fleet = as_fleet(picked.len());
            evaluate_and_print(cli, doc.views(&picked), &options, &gate, fleet)?
        }
    };
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
            let doc = facts::load_document(path).map_err(facts_error)?;
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
                return Err(match cli.select.targets.as_slice() {
                    [name] if cli.select.by_name().ok().flatten().is_some() => CommandError::input(
                        format!("no instance (not terminated) is named or addressed `{name}` in the regions"),
                    )
                    .help("check the region (--region) and the name; a Name tag takes * wildcards: web-*"),
                    _ => CommandError::input(NO_TARGET),
                });
            }
            let all = (0..doc.len()).collect();
            Ok((doc, all))
        }
        (None, None) => Err(CommandError::input(
            "nothing to check: give instance ids, --filters, --all, or --facts FILE (see --help)",
        )),
    }
}

/// The reports at the end of `--wait`: live only, since saved facts do not change.
fn wait(
    cli: &Cli,
    selection: Option<&Selection>,
    options: &Options,
    deadline: std::time::Duration,
) -> Result<Vec<Report>, CommandError> {
    if cli.facts.is_some() {
        return Err(CommandError::input(
            "--wait checks again what AWS shows: it needs targets to check live, not --facts",
        )
        .help("ssm-check i-0123456789abcdef0 --wait 10m"));
    }
    let Some(selection) = selection else {
        return Err(CommandError::input(
            "nothing to wait for: give instance ids, --filters or --all (see --help)",
        ));
    };
    let reports = live::wait(selection, options, &cli.aws, deadline, cli.quiet)?;
    if reports.is_empty() {
        return Err(CommandError::input(NO_TARGET));
    }
    Ok(reports)
}

/// A facts file that cannot be read, with what to do when the fix is not in the message.
pub fn facts_error(e: facts::LoadError) -> CommandError {
    let error = CommandError::input(e.to_string());
    match e {
        facts::LoadError::NotAFile { .. } => {
            error.help("save the facts to a file first (`ssm-check gather … > facts.json`), or pass - to read standard input")
        }
        facts::LoadError::TooLarge { .. } => {
            error.help("split the fleet: `ssm-check gather` with fewer targets or one region at a time")
        }
        _ => error,
    }
}

/// Evaluates each target and prints the reports in the chosen format (nothing with `--quiet`). A reader that
/// goes away ends the printing, not the verdict; any other write failure is an error.
fn evaluate_and_print(
    cli: &Cli,
    targets: impl Iterator<Item = facts::Facts>,
    options: &Options,
    gate: &Gate,
    fleet: bool,
) -> Result<Vec<Report>, CommandError> {
    let mut reports = Vec::new();
    let mut out = Stdout::new();
    for facts in targets {
        let report = rules::evaluate(&facts, options);
        if !cli.quiet && cli.format == Format::Ndjson {
            // As each target is evaluated, so a consumer can start on the first before the last; a line that
            // line-splitting readers keep whole.
            let line = render::json_line(&report);
            out.write_str(&format!("{}\n", ndjson_safe(&line)))?;
        }
        reports.push(report);
    }
    print(cli, &reports, options, gate, fleet, &mut out)?;
    Ok(reports)
}

/// The reports in the chosen format (NDJSON's lines are written as each target is evaluated, or here after a
/// wait); nothing with `--quiet`.
fn print(
    cli: &Cli,
    reports: &[Report],
    options: &Options,
    gate: &Gate,
    fleet: bool,
    out: &mut Stdout,
) -> Result<(), CommandError> {
    if cli.quiet {
        return Ok(());
    }
    let text = match cli.format {
        Format::Ndjson if cli.wait.is_some() => reports
            .iter()
            .map(|r| format!("{}\n", ndjson_safe(&render::json_line(r))))
            .collect(),
        Format::Ndjson => String::new(),
        Format::Json if fleet => {
            out.write_with(|mut w| render::write_fleet_json(&mut w, reports, options))?;
            String::new()
        }
        Format::Json => render::json(&reports[0]) + "\n",
        Format::Junit => render::junit::render(reports, gate),
        Format::Github => render::github::render(reports, gate),
        Format::Markdown => render::markdown::render(reports, gate),
        Format::Table => {
            let style = table_style(cli.color, cli.verbose);
            if fleet {
                render::fleet::table(reports, &style)
            } else {
                render::table::render(&reports[0], &style)
            }
        }
    };
    out.write_str(&text)
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
