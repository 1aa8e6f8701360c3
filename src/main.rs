//! The `balasana-audio` command: parse arguments, run, turn the outcome into an exit code.

use std::process::ExitCode;

use balasana_audio::app;
use balasana_audio::config::{self, Either};
use balasana_audio::output::live::Ending;

fn main() -> ExitCode {
    let settings = match config::parse(std::env::args_os().collect()) {
        Ok(settings) => settings,
        Err(Either::Clap(e)) => e.exit(),
        Err(Either::Layer(e)) => {
            eprintln!("balasana-audio: error: {e}");
            return ExitCode::from(2);
        }
    };
    // Relative, so messages show short paths like ./audio/joe/pack.toml.
    let base = std::path::Path::new(".");
    match app::run(&settings, base) {
        Ok(Ending::Finished | Ending::Quit) => ExitCode::SUCCESS,
        Ok(Ending::Interrupted) => ExitCode::from(130),
        Ok(Ending::Terminated) => ExitCode::from(143),
        Err(e) => {
            eprintln!("balasana-audio: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
