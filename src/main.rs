//! `ssm-check`: the command line around the library. Every error — the tool's own and the argument parser's — is
//! one `error:` line, often followed by one `help:` line, and a documented exit code.

mod cmd;

use clap::{CommandFactory, Parser};
use cmd::cli::{CatalogFormat, Cli, Command, FailOn};
use cmd::{output, CommandError, READY};
use ssm_check::render::text::printable;
use ssm_check::{render, rules};
use std::process::ExitCode;

fn main() -> ExitCode {
    let result = Cli::try_parse()
        .map_err(cmd::cli::usage_error)
        .and_then(run);
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::eprint(&error_lines(&e));
            ExitCode::from(e.code)
        }
    }
}

/// `error: …` and `help: …`, one line each whatever a library put in them, control characters shown, not obeyed.
fn error_lines(e: &CommandError) -> String {
    let line =
        |s: &str| printable(&s.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned();
    let mut text = format!("error: {}\n", line(&e.message));
    if let Some(help) = &e.help {
        text.push_str(&format!("help: {}\n", line(help)));
    }
    text
}

fn run(cli: Cli) -> Result<u8, CommandError> {
    match &cli.command {
        None => cmd::readiness::run(&cli),
        Some(Command::Gather {
            select,
            remote_host,
            aws,
        }) => cmd::readiness::gather(select, remote_host.clone(), aws),
        Some(Command::Proxy {
            host,
            port,
            cache_ttl,
            wait,
            aws,
        }) => cmd::entry_points::proxy(host, *port, *cache_ttl, *wait, aws),
        Some(Command::Connect {
            target,
            mode,
            port,
            local_port,
            remote_host,
            fail_on,
            wait,
            aws,
        }) => cmd::entry_points::connect(
            target.as_deref(),
            cmd::entry_points::Connect {
                mode: (*mode).into(),
                port: *port,
                local_port: *local_port,
                remote_host: remote_host.clone(),
                gate: FailOn::gate(fail_on),
                wait: *wait,
            },
            aws,
        ),
        Some(Command::Why {
            message,
            target,
            mode,
            port,
            remote_host,
            facts,
            aws,
        }) => cmd::why::run(
            &cli,
            cmd::why::Why {
                message: message.clone(),
                target: target.clone(),
                mode: *mode,
                port: *port,
                remote_host: remote_host.clone(),
                facts: facts.clone(),
            },
            aws,
        ),
        Some(
            reference @ (Command::Rules { .. }
            | Command::Explain { .. }
            | Command::Completions { .. }
            | Command::Man { .. }),
        ) => print_reference(reference),
    }
}

/// The commands that print what the tool knows (rules, completions, the manual) and ask AWS nothing.
fn print_reference(command: &Command) -> Result<u8, CommandError> {
    let text = match command {
        Command::Rules { format } => match format {
            CatalogFormat::Table => render::catalog::table(),
            CatalogFormat::Json => render::catalog::json() + "\n",
            CatalogFormat::Markdown => render::catalog::markdown(),
        },
        Command::Explain { rule } => {
            render::catalog::explain(rules::find(rule).ok_or_else(|| unknown_rule(rule))?)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "ssm-check", &mut script);
            String::from_utf8_lossy(&script).into_owned()
        }
        Command::Man { out_dir: None } => cmd::manual::page(),
        Command::Man { out_dir: Some(dir) } => {
            let names = cmd::manual::write_all(dir).map_err(|e| {
                CommandError::environment(format!(
                    "cannot write the manual pages into {}: {e}",
                    dir.display()
                ))
            })?;
            format!("wrote {} pages into {}\n", names.len(), dir.display())
        }
        _ => unreachable!("run() sends only the reference commands here"),
    };
    output::print(&text)?;
    Ok(READY)
}

/// An unknown rule id, with the closest one when a typo is likely.
fn unknown_rule(rule: &str) -> CommandError {
    let closest = rules::all()
        .iter()
        .map(|r| (strsim::jaro_winkler(rule, r.id()), r.id()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8);
    let error = CommandError::input(format!("no rule `{rule}`"));
    match closest {
        Some((_, id)) => error.help(format!("did you mean `{id}`? (`ssm-check explain {id}`)")),
        None => error.help("`ssm-check rules` lists them"),
    }
}
