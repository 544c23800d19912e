//! The `tether` command line tool.

mod cli;
mod cmd;
mod output;

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::error::ErrorKind as ClapKind;
use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Listen(args) => cmd::listen::run(args),
        Command::Send(args) => cmd::send::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Bridge(args) => cmd::bridge::run(args),
        Command::Balls(args) => cmd::balls::run(args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Copy(args) => cmd::copy::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tether: {err:#}");
            cmd::copy::exit_code(&err).unwrap_or(ExitCode::FAILURE)
        }
    }
}

/// A closed stdout (as in `tether listen ... | head -3`) ends the program
/// quietly, as ripgrep does.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}

/// Help and version go to stdout as clap prints them; a usage error is one
/// `tether: ...` line on stderr (clap's first line, without its `error: `),
/// exit status 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ClapKind::DisplayHelp | ClapKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ClapKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // Clap's first paragraph (a list of missing arguments is
            // indented below its line), as one line.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .skip_while(|l| l.is_empty())
                .take_while(|l| !l.is_empty())
                .collect();
            eprintln!("tether: {}", first.join(" ").trim_start_matches("error: "));
            ExitCode::from(2)
        }
    }
}
