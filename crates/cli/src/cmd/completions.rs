//! `tether completions`: shell completions from the clap definition.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Prints completions for the chosen shell on stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "tether", &mut std::io::stdout());
    Ok(())
}
