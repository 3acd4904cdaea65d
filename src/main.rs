//! `ssm-check`: the command line around the library. Every error is one line and a documented exit code.

use clap::Parser;
use ssm_check::cli::{CatalogFormat, Cli, ColorChoice, Command, Format};
use ssm_check::rules::{self, Options, Status};
use ssm_check::{facts, render};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Documented in README.md and docs/exit-codes.md.
const READY: u8 = 0;
const NOT_READY: u8 = 1;
const INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            eprintln!("ssm-check: {message}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, (u8, String)> {
    if let Some(command) = &cli.command {
        return catalog(command);
    }
    if let Some(target) = &cli.target {
        if !ssm_check::cli::valid_target(target) {
            return Err((INPUT_ERROR, format!("`{target}` is not an instance id (i-0123456789abcdef0) or a hybrid node id (mi-0123456789abcdef0)")));
        }
    }
    let Some(path) = &cli.facts else {
        return Err((
            INPUT_ERROR,
            match &cli.target {
                Some(_) => "live gathering from AWS is not part of this build yet: evaluate a saved facts document with --facts FILE".into(),
                None => "nothing to check: give --facts FILE (see --help)".into(),
            },
        ));
    };
    let facts = facts::load_file(path).map_err(|e| (INPUT_ERROR, e.to_string()))?;
    if let Some(target) = &cli.target {
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
    if cli.remote_host.is_some() && cli.mode == rules::Mode::Shell {
        return Err((INPUT_ERROR, "--remote-host needs --mode remote-port".into()));
    }
    let options = Options {
        mode: cli.mode,
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

fn catalog(command: &Command) -> Result<u8, (u8, String)> {
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
    }
    Ok(READY)
}
