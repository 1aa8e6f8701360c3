//! Exit codes, in one place: every error maps to one of these, `main` exits with it, and both the
//! README's table and the `--help` text are this list (a test checks the README against it).

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Played, planned or rendered to the end (or quit with `q`).
    Done,
    /// The system refused something the player cannot run without (signal handlers).
    System,
    /// A bad option: unknown, malformed, conflicting or outside the allowed range.
    Usage,
    /// A bad script.
    Script,
    /// A bad voice pack.
    Pack,
    /// No audio device, or it failed.
    Device,
    /// The output file (or a new pack folder) could not be written.
    Write,
    /// `packs synth`: the speech engine is missing or failed.
    Engine,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

impl Exit {
    /// Every exit, in code order.
    pub const ALL: [Exit; 10] = [
        Exit::Done,
        Exit::System,
        Exit::Usage,
        Exit::Script,
        Exit::Pack,
        Exit::Device,
        Exit::Write,
        Exit::Engine,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::System => 1,
            Exit::Usage => 2,
            Exit::Script => 3,
            Exit::Pack => 4,
            Exit::Device => 5,
            Exit::Write => 6,
            Exit::Engine => 7,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }

    /// What the code means, as the README's exit-code table says it.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Done => "played (or planned, or rendered) to the end",
            Exit::System => {
                "the system refused something the player needs (signal handlers); not expected"
            }
            Exit::Usage => {
                "bad option (unknown, malformed, conflicting, or outside the script's allowed range)"
            }
            Exit::Script => "bad script: `FILE:LINE:COLUMN: what is wrong`",
            Exit::Pack => {
                "bad voice pack: not found, missing cue with `--strict` (names pack, cue and \
                 expected file), a path outside the pack, undecodable or too large clip; \
                 `packs check` found problems"
            }
            Exit::Device => {
                "no audio device (suggests `--render FILE.wav`), or the device failed during playback; `packs record`: no microphone"
            }
            Exit::Write => {
                "the WAV file (or a new pack folder) could not be written; nothing half-written is \
                 left behind"
            }
            Exit::Engine => "`packs synth`: the speech engine is missing or failed",
            Exit::Interrupted => "stopped by Ctrl-C",
            Exit::Terminated => "stopped by SIGTERM",
        }
    }

    /// A few words for the `--help` list.
    pub fn brief(self) -> &'static str {
        match self {
            Exit::Done => "done",
            Exit::System => "system refused signal handlers",
            Exit::Usage => "bad option",
            Exit::Script => "bad script",
            Exit::Pack => "bad voice pack",
            Exit::Device => "no or failed audio device",
            Exit::Write => "cannot write the output file",
            Exit::Engine => "speech engine missing or failed (packs synth)",
            Exit::Interrupted => "stopped by Ctrl-C",
            Exit::Terminated => "stopped by SIGTERM",
        }
    }

    /// The `--help` paragraph: every code with its [`brief`](Exit::brief).
    pub fn help() -> String {
        let items: Vec<String> = Exit::ALL
            .iter()
            .map(|e| format!("{} {}", e.code(), e.brief()))
            .collect();
        // Wrapped by hand: clap prints `after_help` as it is.
        let mut text = String::from("Exit codes:");
        let mut width = text.len();
        for (i, item) in items.iter().enumerate() {
            let item = if i + 1 == items.len() {
                format!("{item}.")
            } else {
                format!("{item},")
            };
            if width + 1 + item.len() > 95 {
                text.push('\n');
                width = 0;
            } else {
                text.push(' ');
                width += 1;
            }
            width += item.len();
            text.push_str(&item);
        }
        text
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's exit-code table, row by row: (code, meaning).
    fn readme_table() -> Vec<(u8, String)> {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("### Exit codes").expect("an exit-code section")..];
        section
            .lines()
            .skip_while(|l| !l.starts_with("| code |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
                assert_eq!(cells.len(), 2, "{l}");
                (
                    cells[0].trim().parse().expect(l),
                    cells[1].trim().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn readme_table_is_the_enum() {
        let documented = readme_table();
        let enumerated: Vec<(u8, String)> = Exit::ALL
            .iter()
            .map(|e| (e.code(), e.meaning().to_owned()))
            .collect();
        assert_eq!(documented, enumerated);
    }

    #[test]
    fn help_lists_every_code_once_in_order() {
        let help = Exit::help();
        let mut at = 0;
        for e in Exit::ALL {
            let item = format!("{} {}", e.code(), e.brief());
            let found = help[at..]
                .find(&item)
                .unwrap_or_else(|| panic!("{item} in {help}"));
            at += found + item.len();
        }
        assert!(help.lines().all(|l| l.len() <= 95), "{help}");
    }

    #[test]
    fn codes_are_distinct_and_in_order() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    }
}
