//! The `balasana-audio` command: parse arguments, run, turn the outcome into an exit code.

use std::process::ExitCode;

use balasana_audio::app;
use balasana_audio::config::{self, Either};
use balasana_audio::exit::Exit;
use balasana_audio::output::live::Ending;
use clap::error::ErrorKind;

/// Allocations at least this large get their own pages from the system, returned when freed.
/// Prepared clips (hundreds of KiB each) come and go all session long; glibc otherwise raises
/// this threshold as they are freed and serves the next ones from its heaps, which then hold the
/// freed memory: peak RSS was 27 MB instead of 19 (bench/run.sh).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_PAGES_FROM: libc::c_int = 128 * 1024;

fn main() -> ExitCode {
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread exists.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM);
    }
    let settings = match config::parse(std::env::args_os().collect()) {
        Ok(settings) => settings,
        Err(Either::Clap(e))
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) =>
        {
            e.exit()
        }
        Err(Either::Clap(e)) => {
            eprintln!("balasana-audio: {}", one_line(&e.render().to_string()));
            return Exit::Usage.into();
        }
        Err(Either::Layer(e)) => {
            eprintln!("balasana-audio: error: {e}");
            return Exit::Usage.into();
        }
    };
    // Relative, so messages show short paths like ./audio/heart/pack.toml.
    let base = std::path::Path::new(".");
    match app::run(&settings, base) {
        Ok(Ending::Finished | Ending::Quit) => Exit::Done.into(),
        Ok(Ending::Interrupted) => Exit::Interrupted.into(),
        Ok(Ending::Terminated) => Exit::Terminated.into(),
        Err(e) => {
            eprintln!("balasana-audio: error: {e}");
            e.exit_code().into()
        }
    }
}

/// A clap message as one line: its first paragraph (the error and any list it introduces),
/// without the usage and the `--help` hint that follow.
fn one_line(message: &str) -> String {
    let first = message.split("\n\n").next().unwrap_or(message);
    let words: Vec<&str> = first.split_whitespace().collect();
    format!("{} (see --help)", words.join(" "))
}
