//! `completions SHELL`: a completion script for the shell.

use clap_complete::Shell;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::cli::command(),
        "balasana-audio",
        &mut out,
    );
    out
}
