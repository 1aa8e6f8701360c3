#!/usr/bin/env python3
"""Make a seamless, gentle ocean ambience bed for a voice pack.

    .venv-voice/bin/python tools/make_ambience.py --out audio/joe/ambience-ocean.ogg

Brown noise (white noise integrated with a slight leak, so it stays centred), band-limited to a
soft rumble with a little hiss on the wave crests, shaped by slow "waves": a sum of sinusoidal
swells whose periods divide the loop length exactly, so the envelope loops without a seam. The
noise's own seam is hidden by an equal-power crossfade of the tail into the head. The result is
normalized to -30 LUFS (the player matches every bed to its own ambience target at load anyway)
and written as mono Ogg Vorbis. Deterministic: a fixed seed.
"""
import argparse

import numpy as np
import pyloudnorm
import soundfile
from scipy.signal import butter, sosfiltfilt

RATE = 22050
SECONDS = 48.0        # loop length
CROSSFADE = 4.0       # seconds of tail blended into the head
SEED = 7


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    n = int(SECONDS * RATE)
    fade = int(CROSSFADE * RATE)
    white = rng.standard_normal(n + fade)
    # Leaky integration: brown noise without drift.
    brown = np.empty_like(white)
    acc = 0.0
    for i, w in enumerate(white):
        acc = 0.998 * acc + w
        brown[i] = acc
    rumble = sosfiltfilt(butter(4, [40, 700], btype="band", fs=RATE, output="sos"), brown)
    hiss = sosfiltfilt(butter(2, [900, 4000], btype="band", fs=RATE, output="sos"), white)
    rumble /= np.max(np.abs(rumble))
    hiss /= np.max(np.abs(hiss))

    # Seamless noise: blend the extra tail into the head with an equal-power crossfade.
    def loop(x):
        head, tail = x[:fade], x[n:n + fade]
        t = np.linspace(0.0, np.pi / 2, fade)
        out = x[:n].copy()
        out[:fade] = head * np.sin(t) + tail * np.cos(t)
        return out

    rumble, hiss = loop(rumble), loop(hiss)
    t = np.arange(n) / RATE
    # Waves: periods of 48/5, 48/4 and 48/7 s, so the swell pattern repeats exactly each loop.
    swell = (0.55 + 0.25 * np.sin(2 * np.pi * 5 * t / SECONDS)
             + 0.12 * np.sin(2 * np.pi * 4 * t / SECONDS + 1.3)
             + 0.08 * np.sin(2 * np.pi * 7 * t / SECONDS + 2.1))
    crest = np.clip(swell - 0.6, 0.0, None) * 2.0
    bed = rumble * swell + 0.15 * hiss * crest

    meter = pyloudnorm.Meter(RATE)
    bed *= 10 ** ((-30.0 - meter.integrated_loudness(bed)) / 20)
    assert np.max(np.abs(bed)) < 0.9, "unexpected peak"
    soundfile.write(args.out, bed.astype(np.float32), RATE, format="OGG", subtype="VORBIS")
    print(f"{args.out}: {SECONDS:.0f} s loop, {meter.integrated_loudness(bed):.1f} LUFS, "
          f"peak {20 * np.log10(np.max(np.abs(bed))):.1f} dBFS")


if __name__ == "__main__":
    main()
