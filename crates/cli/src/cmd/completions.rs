//! `tether completions`: shell completions from the clap definition.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Prints completions for the chosen shell on stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics when its own write fails, and
    // a closed stdout (`| head`) must end the program quietly instead.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tether", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}
