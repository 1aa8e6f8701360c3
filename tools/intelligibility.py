#!/usr/bin/env python3
"""Measure voice packs the same way: size, speech length, loudness spread, intelligibility.

    .venv-voice/bin/python tools/intelligibility.py heart joe slt
    .venv-voice/bin/python tools/intelligibility.py path/to/pack --per-clip

For each pack (a name under audio/ or a folder path), over every line of the session script:

  size        bytes of all files in the pack folder (and of the voice clips alone)
  speech      total seconds of the script's clips
  spread      max - min integrated loudness (LUFS) across the clips, as `balasana-audio packs
              check` measures it (EBU R128, the player's own meter)
  recogniser  an offline recogniser, pocketsphinx (PyPI `pocketsphinx`, its bundled US English
              acoustic model, language model and dictionary, default settings), transcribes each
              clip resampled to 16 kHz. "words correct" = reference words matched in a minimum
              edit-distance alignment / reference words; "accuracy" = 1 - WER (insertions count
              against it). Text is lowercased and reduced to letters, digits and apostrophes.

The cue list and texts come from the binary (`balasana-audio packs cues`), as in make_pack.py.
The binary is --binary, else $BALASANA_AUDIO, else target/release/balasana-audio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import soundfile as sf
from pocketsphinx import Decoder
from scipy.signal import resample_poly

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(exe: str, args: list[str]) -> str:
    r = subprocess.run([exe, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"balasana-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9']+", " ", text.lower().replace("’", "'")).split()


def align(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    """(hits, edit distance) of a minimum edit-distance word alignment."""
    # cost, -hits: ties in cost are broken towards more hits
    prev = [(j, 0) for j in range(len(hyp) + 1)]
    for i in range(1, len(ref) + 1):
        cur = [(i, 0)]
        for j in range(1, len(hyp) + 1):
            match = ref[i - 1] == hyp[j - 1]
            diag = (prev[j - 1][0] + (0 if match else 1), prev[j - 1][1] - (1 if match else 0))
            cur.append(min(diag, (prev[j][0] + 1, prev[j][1]), (cur[j - 1][0] + 1, cur[j - 1][1])))
        prev = cur
    cost, neg_hits = prev[-1]
    return -neg_hits, cost


def transcribe(decoder: Decoder, path: Path) -> str:
    audio, rate = sf.read(path, dtype="float64", always_2d=True)
    mono = audio.mean(axis=1)
    if rate != 16000:
        g = np.gcd(int(rate), 16000)
        mono = resample_poly(mono, 16000 // g, int(rate) // g)
    pcm = (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def loudness(exe: str, folder: Path) -> dict[str, float]:
    out = run(exe, ["packs", "check", str(folder.resolve())])
    found = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\S+)\s+\S+\s+[\d.]+s\s+(-?[\d.]+)\s", line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def measure(exe: str, folder: Path, cues: list[dict], decoder: Decoder, per_clip: bool) -> dict:
    with open(folder / "pack.toml", "rb") as f:
        clips = tomllib.load(f)["clips"]
    lufs = loudness(exe, folder)
    total_words = hits = errors = 0
    seconds = 0.0
    clip_bytes = 0
    for c in cues:
        path = folder / clips[c["cue"]]
        clip_bytes += path.stat().st_size
        seconds += sf.info(path).duration
        ref, hyp = words(c["text"]), words(transcribe(decoder, path))
        h, e = align(ref, hyp)
        total_words, hits, errors = total_words + len(ref), hits + h, errors + e
        if per_clip:
            print(f"  {c['cue']:20} {h:3}/{len(ref):3}  {' '.join(hyp)}")
    spread = [lufs[c["cue"]] for c in cues]
    return {
        "pack": folder.name,
        "size_bytes": sum(p.stat().st_size for p in folder.iterdir() if p.is_file()),
        "clip_bytes": clip_bytes,
        "speech_seconds": round(seconds, 1),
        "lufs_spread": round(max(spread) - min(spread), 1),
        "words": total_words,
        "words_correct": round(hits / total_words, 3),
        "accuracy": round(1 - errors / total_words, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packs", nargs="+", help="pack names (under audio/) or folders")
    ap.add_argument("--binary", help="the balasana-audio binary")
    ap.add_argument("--per-clip", action="store_true", help="print each clip's transcript")
    ap.add_argument("--json", action="store_true", help="one JSON object per pack")
    args = ap.parse_args()
    exe = args.binary or os.environ.get("BALASANA_AUDIO") or str(
        REPO_ROOT / "target/release/balasana-audio")
    cues = json.loads(run(exe, ["packs", "cues"]))
    decoder = Decoder(logfn=os.devnull)
    if not args.json:
        print(f"{'pack':10} {'size MB':>8} {'clips MB':>8} {'speech s':>8} {'spread LU':>9} "
              f"{'words correct':>13} {'accuracy':>8}")
    for name in args.packs:
        folder = Path(name) if ("/" in name or name.startswith(".")) else REPO_ROOT / "audio" / name
        r = measure(exe, folder, cues, decoder, args.per_clip)
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['pack']:10} {r['size_bytes'] / 1e6:8.2f} {r['clip_bytes'] / 1e6:8.2f} "
                  f"{r['speech_seconds']:8.1f} {r['lufs_spread']:9.1f} "
                  f"{100 * r['words_correct']:12.1f}% {100 * r['accuracy']:7.1f}%")


if __name__ == "__main__":
    main()
