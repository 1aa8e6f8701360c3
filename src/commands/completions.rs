//! `completions SHELL`: a completion script for the shell.

use clap_complete::Shell;

/// The program's name, as the shells complete it.
const BIN: &str = "balasana-audio";

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), BIN, &mut out);
    if shell == Shell::Bash {
        out = mend_bash(&out);
    }
    out
}

/// clap_complete's bash script spells a subcommand's state two ways when the program's name has
/// a hyphen (clap-rs/clap#6421, open in 4.6.12): its loop arrives at
/// `balasana__audio__subcmd__packs`, its cases are labelled `balasana__subcmd__audio__subcmd__packs`,
/// so nothing after a subcommand completed. The cases are relabelled as the loop spells them.
fn mend_bash(script: &[u8]) -> Vec<u8> {
    let wrong = format!("{}__subcmd__", BIN.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", BIN.replace('-', "__"));
    String::from_utf8_lossy(script)
        .replace(&wrong, &right)
        .into_bytes()
}
