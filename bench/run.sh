#!/usr/bin/env bash
# bench/run.sh — speed and memory of the release binary, measured, not asserted.
# Prints: pack load + plan time, render time for the default 2 × 90 s session (and its speed as
# a multiple of real time) as WAV, FLAC and Ogg Vorbis with their sizes, peak memory of a render,
# binary size, default pack size.
# Usage: bench/run.sh [RUNS]   (default 5 runs each; medians reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q
bin=target/release/balasana-audio
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"   # no script/ or audio/ here: the built-in script and pack are measured

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_ms() { # time_ms CMD... -> wall milliseconds
  local t0 t1
  t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

plan=$(for _ in $(seq "$runs"); do time_ms "$OLDPWD/$bin" --hold 90 --sets 2 --plan; done | median)
render=$(for _ in $(seq "$runs"); do time_ms "$OLDPWD/$bin" --hold 90 --sets 2 --render s.wav -q; done | median)
audio=$("$OLDPWD/$bin" --hold 90 --sets 2 --plan --json | awk -F': ' '/"duration"/ {gsub(",","",$2); print $2; exit}')
if [ -x /usr/bin/time ]; then
  rss=$( { /usr/bin/time -f %M "$OLDPWD/$bin" --hold 90 --sets 2 --render s.wav -q; } 2>&1 | tail -1 )
else
  rss=0   # GNU time (Debian package "time") is not installed
fi
size=$(stat -c %s "$OLDPWD/$bin")
pack=$(du -sk "$OLDPWD/audio/heart" | cut -f1)
wav=$(stat -c %s s.wav)
flac=$(for _ in $(seq "$runs"); do time_ms "$OLDPWD/$bin" --hold 90 --sets 2 --render s.flac -q; done | median)
ogg=$(for _ in $(seq "$runs"); do time_ms "$OLDPWD/$bin" --hold 90 --sets 2 --render s.ogg -q; done | median)
if [ -x /usr/bin/time ]; then
  rss_flac=$( { /usr/bin/time -f %M "$OLDPWD/$bin" --hold 90 --sets 2 --render s.flac -q; } 2>&1 | tail -1 )
  rss_ogg=$( { /usr/bin/time -f %M "$OLDPWD/$bin" --hold 90 --sets 2 --render s.ogg -q; } 2>&1 | tail -1 )
else
  rss_flac=0; rss_ogg=0
fi

printf 'runs per measurement        %s (median)\n' "$runs"
printf 'plan (load pack + timeline) %s ms\n' "$plan"
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
printf 'render 2 x 90 s session     %s ms for %s s of audio (%sx real time)\n' "$render" "$(calc "$audio")" "$(calc "$audio * 1000 / $render")"
printf 'render output               %s MB (48 kHz 16-bit stereo)\n' "$(calc "$wav / 1048576")"
printf 'render as FLAC              %s ms (%sx real time), %s MB\n' "$flac" "$(calc "$audio * 1000 / $flac")" "$(calc "$(stat -c %s s.flac) / 1048576")"
printf 'render as Ogg Vorbis q4     %s ms (%sx real time), %s MB\n' "$ogg" "$(calc "$audio * 1000 / $ogg")" "$(calc "$(stat -c %s s.ogg) / 1048576")"
printf 'peak memory of a render     %s MB (WAV), %s MB (FLAC), %s MB (Ogg)\n' "$(calc "$rss / 1024")" "$(calc "$rss_flac / 1024")" "$(calc "$rss_ogg / 1024")"
printf 'release binary              %s MB (default script and pack embedded)\n' "$(calc "$size / 1048576")"
printf 'default pack (audio/heart)  %s KB\n' "$pack"
