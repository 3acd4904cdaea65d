//! The manual pages (roff), from the same definitions as `--help`: `ssm-check.1` and one `ssm-check-SUB.1` per
//! subcommand. `ssm-check man` prints the first; `ssm-check man --out-dir DIR` writes them all, as the release
//! archives carry them (`docs/man/`, kept current by a test).

use super::cli::Cli;
use clap::CommandFactory;

/// Every page: its file name and its text.
pub fn pages() -> Vec<(String, String)> {
    let mut cli = Cli::command();
    cli.build();
    let mut out = vec![("ssm-check.1".to_string(), render(cli.clone()))];
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("ssm-check-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .bin_name(format!("ssm-check {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        out.push((format!("{name}.1"), render(page)));
    }
    out
}

/// The main page.
pub fn page() -> String {
    pages().swap_remove(0).1
}

fn render(command: clap::Command) -> String {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut roff)
        .expect("writing to memory cannot fail");
    String::from_utf8(roff).expect("clap_mangen writes UTF-8")
}

/// Writes every page into `dir` (made when missing).
pub fn write_all(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (name, text) in pages() {
        std::fs::write(dir.join(&name), text)?;
        names.push(name);
    }
    Ok(names)
}
