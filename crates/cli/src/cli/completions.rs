//! Arguments of `tether completions`.

use clap::Args;
use clap_complete::Shell;

/// `tether completions SHELL`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  tether completions bash > /etc/bash_completion.d/tether\n  tether completions zsh > \"${fpath[1]}/_tether\"\n  tether completions fish > ~/.config/fish/completions/tether.fish"
)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    pub shell: Shell,
}
