//! `ssm-check why MESSAGE`: what an error message means and, with a target, which of its causes holds there.

use super::cli::{check_mode_flags, AwsArgs, Cli, ModeArg};
use super::output;
use super::readiness::{facts_error, table_style};
use super::{live, CommandError, CANNOT_TELL, NOT_READY, READY};
use ssm_check::facts::{self, Facts};
use ssm_check::messages::{mode_in, recognise, target_in};
use ssm_check::options::{Mode, Options};
use ssm_check::render::{self, text::wrap_width};
use ssm_check::rules::{self, Answer, Report};
use ssm_check::selection::{validate_target, Selection};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

/// A pasted transcript can be long; past this it is not a message.
const MAX_MESSAGE: u64 = 1024 * 1024;

pub struct Why {
    pub message: Vec<String>,
    pub target: Option<String>,
    pub mode: Option<ModeArg>,
    pub port: Option<u16>,
    pub remote_host: Option<String>,
    pub facts: Option<PathBuf>,
}

pub fn run(cli: &Cli, why: Why, aws: &AwsArgs) -> Result<u8, CommandError> {
    let text = message(&why.message)?;
    let known = recognise(&text);
    let target = why.target.clone().or_else(|| target_in(&text));
    let mode = why
        .mode
        .map(Mode::from)
        .or_else(|| mode_in(&text))
        .unwrap_or(Mode::Shell);
    check_mode_flags(mode, why.port, why.remote_host.as_deref())?;
    let options = Options {
        mode,
        port: why.port,
        remote_host: why.remote_host.clone(),
    };
    let report = match (&why.facts, &target) {
        (None, None) => None,
        (facts, _) => Some(check(
            facts.as_ref(),
            target.as_deref(),
            &options,
            aws,
            cli.quiet,
        )?),
    };
    if known.is_empty() && report.is_none() {
        return Err(CommandError::input("not a message ssm-check knows").help(
            "docs/errors.md lists the ones it knows; give --target to check the instance anyway",
        ));
    }
    let style = table_style(cli.color, cli.verbose);
    let mut out = String::new();
    if known.is_empty() {
        out.push_str(
            "Not a message ssm-check knows (docs/errors.md lists them): the full check follows.\n",
        );
    } else {
        let width = wrap_width(style.fit_terminal);
        out.push_str(&render::why::explain(
            &known,
            report.as_ref(),
            width,
            style.color,
        ));
    }
    if let Some(r) = &report {
        out.push('\n');
        out.push_str(&render::table::render(r, &style));
    }
    if !cli.quiet {
        output::print(&out)?;
    }
    Ok(match report.map(|r| r.verdict.answer) {
        Some(Answer::No) => NOT_READY,
        Some(Answer::CannotTell) => CANNOT_TELL,
        _ => READY,
    })
}

/// The message: the words given, else standard input (when it is not a terminal), bounded.
fn message(words: &[String]) -> Result<String, CommandError> {
    if !words.is_empty() {
        return Ok(words.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CommandError::input("no message").help(
            "paste it in quotes: ssm-check why \"…\", or pipe it: aws ssm start-session … 2>&1 | ssm-check why",
        ));
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(MAX_MESSAGE)
        .read_to_string(&mut text)
        .map_err(|e| CommandError::input(format!("cannot read the message: {e}")))?;
    Ok(text)
}

/// The target's report: from saved facts, or gathered live.
fn check(
    facts_file: Option<&PathBuf>,
    target: Option<&str>,
    options: &Options,
    aws: &AwsArgs,
    quiet: bool,
) -> Result<Report, CommandError> {
    let facts: Facts = match (facts_file, target) {
        (Some(path), _) => {
            let doc = facts::load_document(path).map_err(facts_error)?;
            let all: Vec<usize> = (0..doc.len()).collect();
            let mut views = doc.views(&all);
            let found = match target {
                Some(id) => views.find(|f| f.target.id == id),
                None if doc.len() == 1 => views.next(),
                None => None,
            };
            found.ok_or_else(|| {
                CommandError::input(format!(
                    "{} does not hold one target the message names",
                    path.display()
                ))
                .help("name it with --target")
            })?
        }
        (None, Some(id)) => {
            validate_target(id).map_err(CommandError::input)?;
            let doc = live::gather(&Selection::Ids(vec![id.to_string()]), options, aws, quiet)?;
            let first = [0];
            let found = doc.views(if doc.is_empty() { &[] } else { &first }).next();
            found.ok_or_else(|| CommandError::input(format!("{id} was not found")))?
        }
        (None, None) => {
            return Err(CommandError::input(
                "nothing to check: give --target or --facts",
            ))
        }
    };
    Ok(rules::evaluate(&facts, options))
}
