//! `ssm-check`: the command line around the library. Every error is one line and a documented exit code.

mod cmd;

use clap::Parser;
use cmd::cli::{CatalogFormat, Cli, Command, FailOn};
use cmd::{CommandError, READY};
use ssm_check::{render, rules};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CommandError { code, message }) => {
            // One line, whatever a library put in the message.
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("ssm-check: {message}");
            ExitCode::from(code)
        }
    }
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
            aws,
        }) => cmd::entry_points::proxy(host, *port, *cache_ttl, aws),
        Some(Command::Connect {
            target,
            mode,
            port,
            local_port,
            remote_host,
            fail_on,
            aws,
        }) => cmd::entry_points::connect(
            target,
            cmd::entry_points::Connect {
                mode: (*mode).into(),
                port: *port,
                local_port: *local_port,
                remote_host: remote_host.clone(),
                gate: FailOn::gate(fail_on),
            },
            aws,
        ),
        Some(Command::Rules { format }) => {
            let text = match format {
                CatalogFormat::Table => render::catalog::table(),
                CatalogFormat::Json => render::catalog::json() + "\n",
                CatalogFormat::Markdown => render::catalog::markdown(),
            };
            print!("{text}");
            Ok(READY)
        }
        Some(Command::Explain { rule }) => {
            let found = rules::find(rule).ok_or_else(|| {
                CommandError::input(format!("no rule `{rule}` (`ssm-check rules` lists them)"))
            })?;
            print!("{}", render::catalog::explain(found));
            Ok(READY)
        }
    }
}
