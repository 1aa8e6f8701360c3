//! The `balasana-audio` command: parse arguments, run, turn the outcome into an exit code.

use std::process::ExitCode;

use balasana_audio::app;
use balasana_audio::cli::Cli;
use balasana_audio::output::live::Ending;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Relative, so messages show short paths like ./audio/heart/pack.toml.
    let base = std::path::Path::new(".");
    match app::run(&cli, base) {
        Ok(Ending::Finished | Ending::Quit) => ExitCode::SUCCESS,
        Ok(Ending::Interrupted) => ExitCode::from(130),
        Ok(Ending::Terminated) => ExitCode::from(143),
        Err(e) => {
            eprintln!("balasana-audio: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
