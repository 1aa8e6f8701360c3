#!/usr/bin/env python3
"""Measure how fast voice packs speak: words per minute and syllables per second, per session.

    .venv-voice/bin/python tools/pace.py heart joe slt
    .venv-voice/bin/python tools/pace.py heart --lines            # every line, slowest first
    .venv-voice/bin/python tools/pace.py path/to/pack --language de --script path/to/balasana.toml
    .venv-voice/bin/python tools/pace.py --check-syllables    # the counter against tools/syllables.tsv

For each pack (a name under audio/ or a folder path) and each session script (default: the two
built-in sessions, script/balasana.toml and script/bedtime.toml), over the lines of the script
(every guidance level, choice, hold cue and set announcement: every line a pack must voice):

  words       whitespace-separated tokens with at least one letter or digit ("Child's" is one
              word, "wide-knee" one, a lone "—" none)
  syllables   the vowel-group count of `syllables()` below, per language (docs/pace.md says why
              not a hyphenation dictionary, and how it compares with pyphen and a hand count)
  length      the finished clip's length in seconds (its header; pauses inside the clip and the
              pipeline's 60/120 ms of padding included): what the timeline schedules
  wpm         words / length * 60;  syl/s  syllables / length

Per pack and session: the median over lines of at least 8 words (the pace rule's range applies
to them), the fastest and the slowest of those lines, and over every line together.

This is the measurement of docs/pace.md (issue 24). Sessions are read with tomllib here only to
know which lines belong to which session; the binary's `packs cues` lists every line of every
built-in session at once.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

REPO_ROOT = Path(__file__).resolve().parent.parent
LONG_LINE_WORDS = 8  # the pace range applies to lines of at least this many words

# --- words and syllables ------------------------------------------------------------------------

# Vowel letters per language; other languages use the union.
VOWELS = {
    "en": "aeiouy",
    "de": "aeiouyäöü",
    "es": "aeiouáéíóúü",
    "fr": "aeiouyàâäéèêëîïôöùûüœæ",
    "it": "aeiouàèéìíòóù",
}
# Vowels that start a new syllable after another strong vowel (hiatus): Spanish and Italian.
STRONG = {"es": "aeoáéíóú", "it": "aeoàèéòó"}


def words(text: str) -> list[str]:
    """Whitespace-separated tokens holding a letter or a digit."""
    return [t for t in text.split() if any(c.isalnum() for c in t)]


def _english(w: str, n: int) -> int:
    """English spelling rules on top of the vowel groups of one letter run."""
    if n > 1 and w.endswith("e") and not re.search(r"[^aeiouy]le$|[aeiouy]e$", w):
        n -= 1  # silent final e: "breathe", "whole", "exhale" (not "settle", "free")
    elif n > 1 and re.search(r"[^aeiouy]ed$", w) and not re.search(r"[td]ed$", w):
        n -= 1  # "relaxed", "rolled" (not "rested")
    elif n > 1 and re.search(r"[^aeiouy]es$", w) and not re.search(
            r"([sxz]|ch|sh|ce|ge|[^aeiouy]l)es$", w):
        n -= 1  # "sides", "invites" (not "places", "settles")
    if n > 1 and re.search(r"[^aeiouy]e(ment|ful|ly|ness|less)$", w):
        n -= 1  # "movement", "safely"
    # Hiatus inside one vowel group: "variation", "radio", "quiet", "heavier".
    n += len(re.findall(r"(?<![tscgxh])i[ao]|iet|[^aeiouy]ier(s|$)", w))
    return n


def _french(w: str, n: int) -> int:
    if n > 1 and re.search(r"[^aeiouyéè](e|es)$", w):
        n -= 1  # mute final e: "pose", "épaules"
    if n > 2 and w.endswith("ement"):
        n -= 1  # the e of -ement falls: "lentement", "doucement", "mouvement"
    return n + len(re.findall(r"[éè][aeiouyàâéèêîïôû]", w))  # "séance", "créer"


def _letters(word: str, lang: str) -> int:
    """Syllables of one run of letters (lowercase)."""
    w = word
    if lang == "fr":
        w = re.sub(r"qu|gu(?=[eiyéèê])", "q", w)  # the u of "que", "brique", "guide" is silent
    vowels = VOWELS.get(lang, "".join(sorted(set("".join(VOWELS.values())))))
    if lang == "es":  # y is a vowel unless a vowel follows: "y", "muy" (not "yoga")
        groups = re.findall(f"(?:[{vowels}]|y(?![{vowels}]))+", w)
    else:
        groups = re.findall(f"[{vowels}]+", w)
    n = len(groups)
    if n == 0:
        return 0
    if lang in STRONG:
        strong = STRONG[lang]
        n += sum(a in strong and b in strong for g in groups for a, b in zip(g, g[1:]))
        if lang == "it" and re.fullmatch(f"[^{vowels}][iu][aeo]", w):
            n += 1  # "mia", "tua", "suo", "via"
    elif lang == "en":
        n = _english(w, n)
    elif lang == "fr":
        n = _french(w, n)
    return max(n, 1)


def syllables(text: str, lang: str) -> int:
    """Syllables of a text: each word's runs of letters (split at apostrophes and hyphens),
    counted by vowel groups with a few rules per language (`en`, `de`, `es`, `fr`, `it`)."""
    lang = lang.split("-")[0].lower()
    return sum(_letters(run, lang) for w in words(text)
               for run in re.findall(r"[^\W\d_]+", w.lower()))


# --- scripts and packs ----------------------------------------------------------------------------


@dataclass
class Line:
    cue: str
    text: str


def script_lines(path: Path) -> list[Line]:
    """Every line a pack must voice for this session: step lines, hold cues, set announcements."""
    with open(path, "rb") as f:
        s = tomllib.load(f)
    found = [line for step in s.get("steps", []) for line in step.get("lines", [])]
    for group in s.get("hold", {}).values():
        if isinstance(group, list):
            found += group
    found += s.get("announce", {}).get("sets", [])
    return [Line(x["cue"], x["text"]) for x in found]


def clip_seconds(folder: Path) -> dict[str, float]:
    with open(folder / "pack.toml", "rb") as f:
        clips = tomllib.load(f)["clips"]
    return {cue: sf.info(folder / file).duration for cue, file in clips.items()}


@dataclass
class Measured:
    cue: str
    text: str
    words: int
    syllables: int
    seconds: float

    @property
    def wpm(self) -> float:
        return 60 * self.words / self.seconds

    @property
    def sps(self) -> float:
        return self.syllables / self.seconds


def measure(lines: list[Line], seconds: dict[str, float], lang: str) -> list[Measured]:
    missing = [x.cue for x in lines if x.cue not in seconds]
    if missing:
        sys.exit(f"the pack has no clip for {', '.join(missing)}")
    return [Measured(x.cue, x.text, len(words(x.text)), syllables(x.text, lang), seconds[x.cue])
            for x in lines]


def summary(rows: list[Measured]) -> dict:
    long = [r for r in rows if r.words >= LONG_LINE_WORDS]
    total_s = sum(r.seconds for r in rows)
    out = {"lines": len(rows), "long_lines": len(long),
           "wpm_all": round(60 * sum(r.words for r in rows) / total_s, 1),
           "sps_all": round(sum(r.syllables for r in rows) / total_s, 2)}
    if long:
        fast, slow = max(long, key=lambda r: r.wpm), min(long, key=lambda r: r.wpm)
        out |= {"wpm_median": round(statistics.median(r.wpm for r in long), 1),
                "sps_median": round(statistics.median(r.sps for r in long), 2),
                "wpm_fastest": round(fast.wpm, 1), "fastest": fast.cue,
                "wpm_slowest": round(slow.wpm, 1), "slowest": slow.cue,
                "sps_fastest": round(max(r.sps for r in long), 2),
                "sps_slowest": round(min(r.sps for r in long), 2)}
    return out


def check_syllables(path: Path) -> None:
    """The counter against reference counts: per language, words agreeing and the total's error."""
    found: dict[str, list[tuple[str, int, int]]] = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        if row.startswith("#") or not row.strip():
            continue
        lang, word, count, source = row.split("\t")
        accepted = {int(c) for c in source.split(":")[1].split("/")} if ":" in source else {int(count)}
        found.setdefault(lang, []).append((word, syllables(word, lang), accepted))
    for lang, rows in sorted(found.items()):
        wrong = [(w, got, min(ok)) for w, got, ok in rows if got not in ok]
        total, ref = sum(g for _, g, _ in rows), sum(min(ok) for _, _, ok in rows)
        print(f"{lang}: {len(rows) - len(wrong)} of {len(rows)} words agree, {total} syllables "
              f"against {ref} ({100 * (total / ref - 1):+.1f} %)"
              + (f"; counted / reference: {', '.join(f'{w} {g}/{r}' for w, g, r in wrong)}"
                 if wrong else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packs", nargs="*", help="pack names (under audio/) or folders")
    ap.add_argument("--script", action="append", type=Path,
                    help="a session script (repeat; default: the two built-in sessions)")
    ap.add_argument("--language", default="en", help="language of the text: en, de, es, fr, it")
    ap.add_argument("--lines", action="store_true", help="every line, slowest first")
    ap.add_argument("--json", action="store_true", help="one JSON object per pack and session")
    ap.add_argument("--check-syllables", action="store_true",
                    help="compare the syllable counter with tools/syllables.tsv and stop")
    args = ap.parse_args()
    if args.check_syllables:
        check_syllables(REPO_ROOT / "tools/syllables.tsv")
        return
    if not args.packs:
        ap.error("name at least one pack")
    scripts = args.script or [REPO_ROOT / "script/balasana.toml", REPO_ROOT / "script/bedtime.toml"]
    if not args.json:
        print(f"{'pack':10} {'session':10} {'lines':>5} {'>=8 w':>5} {'wpm med':>7} "
              f"{'fastest':>7} {'slowest':>7} {'wpm all':>7} {'syl/s med':>9} {'range':>11}")
    for name in args.packs:
        folder = Path(name) if ("/" in name or name.startswith(".")) else REPO_ROOT / "audio" / name
        seconds = clip_seconds(folder)
        for script in scripts:
            rows = measure(script_lines(script), seconds, args.language)
            s = summary(rows)
            if args.json:
                print(json.dumps({"pack": folder.name, "session": script.stem} | s))
            elif "wpm_median" in s:
                print(f"{folder.name:10} {script.stem:10} {s['lines']:5} {s['long_lines']:5} "
                      f"{s['wpm_median']:7.1f} {s['wpm_fastest']:7.1f} {s['wpm_slowest']:7.1f} "
                      f"{s['wpm_all']:7.1f} {s['sps_median']:9.2f} "
                      f"{s['sps_slowest']:5.2f}–{s['sps_fastest']:4.2f}")
            if args.lines:
                for r in sorted(rows, key=lambda r: r.wpm):
                    print(f"    {r.cue:20} {r.words:3} w {r.syllables:3} syl {r.seconds:6.2f} s "
                          f"{r.wpm:6.1f} wpm {r.sps:5.2f} syl/s  {r.text}")


if __name__ == "__main__":
    main()
