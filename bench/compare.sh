#!/usr/bin/env bash
# bench/compare.sh — two or more builds of the binary side by side (e.g. before and after a change
# of the release profile): file size, and medians of RUNS runs (default 5) taken in turn, so that a
# machine's changing load falls on every build alike: `--plan` of 2 × 90 s (wall ms), a 5 × 600 s
# render to WAV (CPU user+sys and wall seconds, peak RSS). No sound card needed.
# Usage: bench/compare.sh BIN BIN... (copy each build aside first: cargo overwrites target/release)
set -euo pipefail
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The heart pack as a system data folder, as the Debian package ships it, so that a build
# without the embedded-voice feature runs too (one with it reads the same folder: the search path
# puts data folders before the built-in pack). The built-in script is measured.
mkdir -p "$work/system/balasana-audio/audio"
cp -r "$(dirname "$0")/../audio/heart" "$work/system/balasana-audio/audio/"
cd "$work"   # no script/ or audio/ here
export XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config \
  XDG_DATA_DIRS=$work/system
SHORT=(--hold 90 --sets 2)
LONG=(--hold 600 --sets 5)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
n=0
for bin in "$@"; do
  n=$((n + 1))
  "$bin" "${LONG[@]}" --render l.wav -q 2>/dev/null   # the lengths and levels cache, once
  : >"plan.$n"; : >"cpu.$n"; : >"wall.$n"; : >"rss.$n"
done
for _ in $(seq "$runs"); do
  n=0
  for bin in "$@"; do
    n=$((n + 1))
    t0=$(date +%s%N); "$bin" "${SHORT[@]}" --plan >/dev/null; t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000)) >>"plan.$n"
    /usr/bin/time -o t -f '%e %U %S %M' "$bin" "${LONG[@]}" --render l.wav -q 2>/dev/null
    read -r wall user sys rss <t
    awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}' >>"cpu.$n"
    echo "$wall" >>"wall.$n"
    awk -v r="$rss" 'BEGIN {printf "%.1f\n", r / 1024}' >>"rss.$n"
  done
done
n=0
for bin in "$@"; do
  n=$((n + 1))
  printf '%s: %s bytes; --plan %s ms; render 5 × 600 s CPU %s s, wall %s s, peak RSS %s MB\n' \
    "$bin" "$(stat -c %s "$bin")" "$(median <"plan.$n")" "$(median <"cpu.$n")" \
    "$(median <"wall.$n")" "$(median <"rss.$n")"
done
printf 'runs per median: %s · %s cores, load average %s\n' "$runs" "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
