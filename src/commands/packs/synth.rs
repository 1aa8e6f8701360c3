//! `packs synth`: every line spoken by a speech engine, made into a pack.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::PacksError;
use super::fit::{raw_clips, take_path};
use super::make::{Defaults, make_pack, scratch_dir, target};
use crate::cli::{Engine, PackInfo};
use crate::pace::{TEMPOS, sentences};
use crate::script::Lines;

// Each engine's setting at tempo 1 (`docs/pace.md`, section 5): the tempos of [`TEMPOS`] move
// around it, and the fit keeps the take that puts each line at its session's pace.
/// flite's `duration_stretch` (> 1 is slower; divided by the tempo): centres slt on the day pace.
const FLITE_DURATION_STRETCH: f64 = 1.33;
/// espeak-ng words per minute (times the tempo; its default, 175, is brisk for a guided session).
const ESPEAK_SPEED: f64 = 150.0;
/// Piper's `--length-scale` (> 1 is slower; divided by the tempo): centres joe on the day pace.
const PIPER_LENGTH_SCALE: f64 = 1.70;

/// An engine ready to speak: which one, which voice, and for `command` the argument template.
#[derive(Debug)]
pub struct Speaker {
    engine: Engine,
    voice: String,
    template: Vec<String>,
}

impl Speaker {
    /// Checks the options the engine needs: a voice for piper, a command with `{out}` for
    /// `command`.
    pub fn new(
        engine: Engine,
        voice: Option<&str>,
        command: Option<&str>,
    ) -> Result<Self, PacksError> {
        let usage = |m: &str| PacksError::Usage(m.to_owned());
        let template = match (engine, command) {
            (Engine::Command, None) => {
                return Err(usage(
                    "--engine command needs --command 'PROGRAM ARGS…' with {out} (and {text}, else the line goes to its stdin)",
                ));
            }
            (Engine::Command, Some(c)) => {
                let words = shlex::split(c)
                    .filter(|w| !w.is_empty())
                    .ok_or_else(|| usage(&format!("--command {c:?}: unbalanced quotes")))?;
                if !words.iter().any(|w| w.contains("{out}")) {
                    return Err(usage(&format!(
                        "--command {c:?} has no {{out}} (where the WAV file goes)"
                    )));
                }
                words
            }
            (_, Some(_)) => return Err(usage("--command is only for --engine command")),
            (_, None) => Vec::new(),
        };
        let voice = match (engine, voice) {
            (_, Some(v)) => v.to_owned(),
            (Engine::Piper, None) => {
                return Err(usage(
                    "--engine piper needs --voice MODEL.onnx (a Piper voice model; its .onnx.json beside it)",
                ));
            }
            (Engine::Espeak, None) => "en-us".into(),
            (Engine::Flite, None) => "slt".into(),
            (Engine::Command, None) => String::new(),
        };
        Ok(Speaker {
            engine,
            voice,
            template,
        })
    }

    fn program(&self) -> String {
        match self.engine {
            Engine::Piper => "piper".into(),
            Engine::Espeak => "espeak-ng".into(),
            Engine::Flite => "flite".into(),
            Engine::Command => self.template[0].clone(),
        }
    }

    fn hint(&self) -> &'static str {
        match self.engine {
            Engine::Piper => "pip install piper-tts",
            Engine::Espeak => "apt-get install espeak-ng",
            Engine::Flite => "apt-get install flite",
            Engine::Command => "check the program in --command",
        }
    }

    fn licence(&self) -> &'static str {
        match self.engine {
            Engine::Piper => "the Piper voice model's licence applies (see its model card)",
            Engine::Espeak => "espeak-ng output: GPL-3.0-or-later engine, output free to use",
            Engine::Flite => "flite voice licence (BSD-style, /usr/share/doc/flite/copyright)",
            Engine::Command => "the licence of the command's voice applies",
        }
    }

    /// The tempos to speak at: the ladder, or 1 alone for a command without `{tempo}` (its
    /// lines then get only their pauses fitted).
    fn tempos(&self) -> Vec<f64> {
        if self.engine == Engine::Command && !self.template.iter().any(|w| w.contains("{tempo}")) {
            vec![1.0]
        } else {
            TEMPOS.to_vec()
        }
    }

    /// The arguments that speak `text` at `tempo` into `wav`, and whether the text goes to stdin.
    fn args(&self, text: &str, tempo: f64, wav: &str) -> (Vec<String>, bool) {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self.engine {
            Engine::Piper => {
                let scale = format!("{:.4}", PIPER_LENGTH_SCALE / tempo);
                (
                    owned(&["-m", &self.voice, "--length-scale", &scale, "-f", wav]),
                    true,
                )
            }
            Engine::Espeak => {
                // A line starting with '-' would read as an option.
                let text = if text.starts_with('-') {
                    format!(" {text}")
                } else {
                    text.to_owned()
                };
                let speed = format!("{:.0}", ESPEAK_SPEED * tempo);
                let mut a = owned(&["-v", &self.voice, "-s", &speed, "-w", wav]);
                a.push(text);
                (a, false)
            }
            Engine::Flite => {
                let stretch = format!("duration_stretch={:.4}", FLITE_DURATION_STRETCH / tempo);
                let a = owned(&[
                    "-voice",
                    &self.voice,
                    "--setf",
                    &stretch,
                    "-t",
                    text,
                    "-o",
                    wav,
                ]);
                (a, false)
            }
            Engine::Command => {
                let stdin = !self.template.iter().any(|w| w.contains("{text}"));
                let a = self.template[1..]
                    .iter()
                    .map(|w| {
                        w.replace("{out}", wav)
                            .replace("{text}", text)
                            .replace("{tempo}", &format!("{tempo:.2}"))
                    })
                    .collect();
                (a, stdin)
            }
        }
    }

    /// The command line for the record, with TEXT, OUT.wav and tempo 1 in place of each take's.
    fn describe(&self) -> String {
        let (args, stdin) = self.args("TEXT", 1.0, "OUT.wav");
        let line = shlex::try_join(
            std::iter::once(self.program().as_str()).chain(args.iter().map(String::as_str)),
        )
        .unwrap_or_default();
        if stdin {
            format!("echo TEXT | {line}")
        } else {
            line
        }
    }

    /// The engine's version line, or an error when it cannot be run.
    fn version(&self) -> Result<String, PacksError> {
        let missing = || PacksError::EngineMissing {
            engine: match self.engine {
                Engine::Piper => "piper",
                Engine::Espeak => "espeak-ng",
                Engine::Flite => "flite",
                Engine::Command => "the --command program",
            },
            hint: self.hint(),
        };
        if self.engine == Engine::Command {
            return which(&self.program())
                .then(|| self.program())
                .ok_or_else(missing);
        }
        let arg = if self.engine == Engine::Piper {
            "--help"
        } else {
            "--version"
        };
        let output = Command::new(self.program())
            .arg(arg)
            .stdin(Stdio::null())
            .output()
            .map_err(|_| missing())?;
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(match self.engine {
            Engine::Piper => "piper".to_owned(),
            _ => text
                .lines()
                .find(|l| l.to_lowercase().contains("version") || l.contains(':'))
                .or(text.lines().next())
                .unwrap_or("")
                .trim()
                .to_owned(),
        })
    }

    /// Speaks one sentence of a line at `tempo` into `wav`.
    fn speak(&self, cue: &str, text: &str, tempo: f64, wav: &Path) -> Result<(), PacksError> {
        let failed = |message: String| PacksError::EngineFailed {
            engine: match self.engine {
                Engine::Piper => "piper",
                Engine::Espeak => "espeak-ng",
                Engine::Flite => "flite",
                Engine::Command => "the --command program",
            },
            cue: cue.to_owned(),
            message,
        };
        let (args, stdin) = self.args(text, tempo, &wav.display().to_string());
        let mut child = Command::new(self.program())
            .args(&args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(e.to_string()))?;
        if let Some(mut pipe) = child.stdin.take() {
            use std::io::Write as _;
            // A program that does not read its input closes the pipe: that is its choice.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(failed(e.to_string()));
                }
                _ => {}
            }
        }
        let status = child
            .wait_with_output()
            .map_err(|e| failed(e.to_string()))?;
        if !status.status.success() {
            let stderr = String::from_utf8_lossy(&status.stderr);
            return Err(failed(
                stderr
                    .lines()
                    .last()
                    .unwrap_or("no output")
                    .trim()
                    .to_owned(),
            ));
        }
        if wav.is_file() {
            Ok(())
        } else {
            Err(failed(format!("it wrote no {}", wav.display())))
        }
    }
}

/// Whether `program` can be run: a path to a file, or a name found on `PATH`.
fn which(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Synthesizes every line of the script with `speaker` and makes the pack from it.
pub fn synth(
    name: &str,
    speaker: &Speaker,
    force: bool,
    info: &PackInfo,
    script: &Lines,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    let dir = target(name, force, base)?;
    let version = speaker.version()?;
    let scratch = scratch_dir()?;
    for line in script.lines() {
        let folder = scratch.path().join(line.cue.as_str());
        std::fs::create_dir_all(&folder).map_err(|e| PacksError::Write {
            path: folder.clone(),
            message: e.to_string(),
        })?;
        for (i, sentence) in sentences(&line.text).iter().enumerate() {
            for tempo in speaker.tempos() {
                let wav = take_path(&folder, i, tempo);
                speaker.speak(&line.cue, &sentence.text, tempo, &wav)?;
            }
        }
    }
    let clips = raw_clips(scratch.path(), script, &info.language, out)?;
    let mut command = format!(
        "balasana-audio packs synth {name} --engine {}",
        clap::ValueEnum::to_possible_value(&speaker.engine)
            .map_or(String::new(), |v| v.get_name().to_owned())
    );
    if speaker.engine == Engine::Command {
        let template =
            shlex::try_join(speaker.template.iter().map(String::as_str)).unwrap_or_default();
        let _ = write!(
            command,
            " --command {}",
            shlex::try_quote(&template).unwrap_or_default()
        );
    } else {
        let _ = write!(
            command,
            " --voice {}",
            shlex::try_quote(&speaker.voice).unwrap_or_default()
        );
    }
    let defaults = Defaults {
        voice: if speaker.engine == Engine::Command {
            format!("{} voice", speaker.program())
        } else {
            format!("{} voice {}", speaker.program(), speaker.voice)
        },
        licence: speaker.licence().to_owned(),
        credits: format!("synthesized with {version}"),
        generated_by: command,
        synthesis: format!(
            "{version}, one call per sentence at each tempo of the fit (tempo 1: {})",
            speaker.describe()
        ),
    };
    make_pack(name, &dir, clips, info, defaults, script, out)
}
