#!/usr/bin/env bash
# bench/run.sh — speed and memory of the release binary, measured, not asserted (issue 8's table).
#
# Prints, with medians of RUNS runs (default 5) unless a row says "one run":
#   --plan time and peak RSS; first sound (exec → first sample above −60 dBFS recorded from the
#   sound card's monitor); peak RSS of render and live, 2 × 90 s and 5 × 600 s; live CPU against
#   `aplay` playing the render of the same session on the same card at the same time (LIVE_RUNS
#   rounds, default RUNS: each is a 2:50 session); render speed of 5 × 600 s; render against
#   `sox -m` mixing the same clips at the same offsets (one run). CPU figures are user+sys, wall
#   figures are elapsed (they suffer when the machine is shared; the CPU ones much less).
#   Peers in the same run (issue 23): each round runs ours and then the peer, so a busy moment
#   falls on both; the ratio is of the two medians. The WAV render against `dd conv=fsync` copying
#   that WAV, FLAC against `flac -5` and Ogg against `oggenc -q4` encoding the 2 × 90 s WAV.
#
# Live rows need a sound card: a private virtual one is started for this script only, in
# $BALASANA_AUDIO_DIR (default /run/balasana-perf), and stopped at the end; nothing is exported
# outside this script. Needs /usr/bin/time, and for the live and sox rows pulseaudio (the card
# script installs it), aplay (alsa-utils) and sox. Rows whose tool is missing say so.
# Usage: bench/run.sh [RUNS]   (LIVE_RUNS=N bench/run.sh for fewer 2:50 live rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-5}
live_runs=${LIVE_RUNS:-$runs}
cargo build --release -q
bin=$root/target/release/balasana-audio
work=$(mktemp -d)
card_dir=${BALASANA_AUDIO_DIR:-/run/balasana-perf}
card_started=
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  [ -n "$card_started" ] && BALASANA_AUDIO_DIR=$card_dir bash "$root/scripts/virtual-sound-card.sh" stop
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"   # no script/ or audio/ here: the built-in script and pack are measured

SHORT=(--hold 90 --sets 2)
LONG=(--hold 600 --sets 5)
# shellcheck source=bench/first-sound.sh
. "$root/bench/first-sound.sh"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
# measure CMD... -> "wall_s user_s sys_s maxrss_kb" of one run
measure() { /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true; cat "$work/t" | tail -1; }
# med FIELD CMD... -> median over $runs of one field of measure (1 wall, 2 user, 3 sys, 4 rss,
# 5 user+sys)
med() {
  local f=$1; shift
  for _ in $(seq "$runs"); do
    measure "$@" | awk -v f="$f" '{print (f == 5 ? $2 + $3 : $f)}'
  done | median
}

row() { printf '| %-46s | %-32s | %-12s |\n' "$1" "$2" "$3"; }
printf '| %-46s | %-32s | %-12s |\n' figure measured target
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..34})" "$(printf -- '-%.0s' {1..14})"

# Wall time in ms (GNU time's %e has 10 ms steps).
time_ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
# pair OURS PEER -> "ours_ms peer_ms": medians over $runs rounds of the wall time of two commands
# (shell functions), ours then the peer's in every round.
pair() {
  local a=() b=()
  for _ in $(seq "$runs"); do
    a+=("$(time_ms "$1")")
    b+=("$(time_ms "$2")")
  done
  echo "$(printf '%s\n' "${a[@]}" | median) $(printf '%s\n' "${b[@]}" | median)"
}
# load: the 1-minute load average now (printed beside every peer figure: the machine may be shared).
load() { cut -d' ' -f1 /proc/loadavg; }
# The issue 23 table, printed again at the end: one line per goal, its ratio and whether it is met.
issue23=()
# goal LINE RATIO LIMIT le|ge: adds a line to that table ("met" when RATIO <= LIMIT, or >= for ge).
goal() {
  local met
  met=$(awk -v r="$2" -v l="$3" -v op="$4" 'BEGIN { print ((op == "le" ? r <= l : r >= l) ? "met" : "MISSED") }')
  issue23+=("$(printf '%-52s %10s  (goal %s %s)  %s   load %s' "$1" "$2" "$([ "$4" = le ] && echo '<=' || echo '>=')" "$3" "$met" "$(load)")")
}
# peer_row FIGURE "OURS PEER" PEER_NAME TARGET: a row of two medians in seconds and their ratio.
peer_row() {
  local ours=${2% *} theirs=${2#* }
  row "$1" "ours $(calc "$ours / 1000" 2) s, $3 $(calc "$theirs / 1000" 2) s: $(calc "$ours / $theirs" 2) × (load $(load))" "$4"
}
plan_ms=$(for _ in $(seq "$runs"); do time_ms "$bin" "${SHORT[@]}" --plan; done | median)
plan_rss=$(med 4 "$bin" "${SHORT[@]}" --plan)
row '`--plan`, 2 × 90 s, whole process' "${plan_ms} ms (wall), $(calc "$plan_rss / 1024") MB RSS" '≤ 30 ms'

# Renders first (no card needed).
rs=$(med 4 "$bin" "${SHORT[@]}" --render s.wav -q)
rl=$(med 4 "$bin" "${LONG[@]}" --render l.wav -q)
audio_long=$("$bin" "${LONG[@]}" --plan --json 2>/dev/null | awk -F': ' '/"duration"/ {gsub(",","",$2); print $2; exit}')
wall_long=$(med 1 "$bin" "${LONG[@]}" --render l.wav -q)
cpu_long=$(med 5 "$bin" "${LONG[@]}" --render l.wav -q)

# sox -m mixing the same voice clips at the same offsets (chimes are synthesized, not files).
sox_row='sox not installed'
if command -v sox >/dev/null; then
  "$bin" "${SHORT[@]}" --plan --json 2>/dev/null > plan.json
  inputs=()
  while read -r start cue; do
    f=$root/audio/heart/$cue.ogg
    [ -f "$f" ] && inputs+=("|sox $f -p rate 48000 channels 2 pad $start")
  done < <(python3 -c 'import json,sys; [print(e["start"], e["cue"]) for e in json.load(open("plan.json"))["events"] if e["layer"]=="voice"]')
  t0=$(date +%s%N); sox -m "${inputs[@]}" -b 16 sox.wav 2>/dev/null; t1=$(date +%s%N)
  ours_ms=$(for _ in $(seq "$runs"); do time_ms "$bin" "${SHORT[@]}" --render s.wav -q; done | median)
  ours=$(calc "$ours_ms / 1000" 3)
  sox_s=$(calc "($t1 - $t0) / 1e9" 2)
  sox_row="sox ${sox_s} s (one run), ours ${ours} s (median): $(calc "$sox_s / $ours") × faster"
fi

# Live rows: a private virtual card.
live=
if eval "$(BALASANA_AUDIO_DIR=$card_dir bash "$root/scripts/virtual-sound-card.sh" 2>/dev/null)"; then
  card_started=1
  live=1
fi
if [ -n "$live" ] && command -v parec >/dev/null; then
  # First sound: exec → the first sample above −60 dBFS on the card's monitor.
  for _ in $(seq "$runs"); do
    first_sound_ms "$bin" -q --no-log
  done | median > first.txt
  first_ms=$(calc "$(cat first.txt)" 0)
  row 'first sound (exec → first sample > −60 dBFS)' "${first_ms} ms" '≤ 150 ms'
else
  row 'first sound (exec → first sample > −60 dBFS)' 'no sound card (parec missing)' '≤ 150 ms'
fi
row 'peak RSS, render 2 × 90 s / 5 × 600 s' "$(calc "$rs / 1024") / $(calc "$rl / 1024") MB (long/short $(calc "$rl / $rs" 2))" '≤ 24 MB, ≤ 1.1'
if [ -n "$live" ]; then
  # Peak RSS of live playback: 15 s of each session (memory is flat after the first clips).
  ls_=$(med 4 timeout -s TERM 15 "$bin" "${SHORT[@]}" -q --no-log)
  ll=$(med 4 timeout -s TERM 15 "$bin" "${LONG[@]}" -q --no-log)
  row 'peak RSS, live 2 × 90 s / 5 × 600 s (15 s)' "$(calc "$ls_ / 1024") / $(calc "$ll / 1024") MB (long/short $(calc "$ll / $ls_" 2))" '≤ 24 MB, ≤ 1.1'
  if command -v aplay >/dev/null; then
    # Live CPU over a 2:50 session against aplay playing its render, side by side, LIVE_RUNS
    # rounds; the ratio is of the medians.
    SESSION=(--hold 20 --sets 1)
    "$bin" "${SESSION[@]}" --render session.wav -q 2>/dev/null
    for _ in $(seq "$live_runs"); do
      /usr/bin/time -o aplay.t -f '%U %S' aplay -q session.wav &
      ap=$!
      /usr/bin/time -o live.t -f '%U %S %M' "$bin" "${SESSION[@]}" -q --no-log >/dev/null 2>&1 || true
      wait "$ap" || true
      echo "$(awk '{print $1 + $2}' live.t) $(awk '{print $1 + $2}' aplay.t) $(awk '{print $3}' live.t)"
    done > live.txt
    ours=$(cut -d' ' -f1 live.txt | median)
    theirs=$(cut -d' ' -f2 live.txt | median)
    row "live CPU (user+sys), 2:50 session, ${live_runs} rounds" "${ours} s vs aplay ${theirs} s: $(calc "$ours / $theirs" 2) ×" '≤ 1.5 × aplay'
    goal 'live 2:50 session, CPU (user+sys) / aplay beside it' "$(calc "$ours / $theirs" 2)" 1.5 le
    row 'peak RSS, live, that whole 2:50 session' "$(calc "$(cut -d' ' -f3 live.txt | median) / 1024") MB" '≤ 24 MB'
  else
    row 'live CPU against aplay' 'aplay missing (alsa-utils)' '≤ 3 × aplay'
  fi
else
  row 'peak RSS, live' 'no sound card' '≤ 24 MB, ≤ 1.1'
fi
row "render 5 × 600 s ($(calc "$audio_long / 60" 0) min), WAV on local disk" "wall ${wall_long} s ($(calc "$audio_long / $wall_long" 0) ×), CPU ${cpu_long} s ($(calc "$audio_long / $cpu_long" 0) ×)" '≥ 2000 ×'
long_wav() { "$bin" "${LONG[@]}" --render l.wav -q; }
dd_wav() { dd if=l.wav of=dd.wav bs=1M conv=fsync status=none; }
wav_pair=$(pair long_wav dd_wav)
peer_row 'render 5 × 600 s to WAV, against `dd conv=fsync` of it' "$wav_pair" dd '≤ 1.15 × dd'
goal 'render 5 x 600 s to WAV (fsync) / dd conv=fsync' "$(calc "${wav_pair% *} / ${wav_pair#* }" 2)" 1.15 le
rm -f dd.wav
stdout_ms=$(for _ in $(seq "$runs"); do time_ms "$bin" "${LONG[@]}" --render - -q; done | median)
row 'render 5 × 600 s to `-` (stdout to /dev/null)' "$(calc "$stdout_ms / 1000" 2) s ($(calc "$audio_long * 1000 / $stdout_ms" 0) ×, load $(load))" '≥ 4000 ×'
goal 'render 5 x 600 s to - (stdout), x real time' "$(calc "$audio_long * 1000 / $stdout_ms" 0)" 4000 ge
row 'render 2 × 90 s against `sox -m`, one run' "$sox_row" '≥ 50 ×'

# Render formats (issue 12): speed and size of the 2 × 90 s session as FLAC and Ogg Vorbis.
audio_short=$("$bin" "${SHORT[@]}" --plan --json 2>/dev/null | awk -F': ' '/"duration"/ {gsub(",","",$2); print $2; exit}')
"$bin" "${SHORT[@]}" --render s.wav -q
short_flac() { "$bin" "${SHORT[@]}" --render s.flac -q; }
peer_flac() { flac -5 -f -s -o peer.flac s.wav; }
short_ogg() { "$bin" "${SHORT[@]}" --render s.ogg -q; }
peer_ogg() { oggenc -Q -q4 -o peer.ogg s.wav; }
flac_pair=$(pair short_flac peer_flac)
ogg_pair=$(pair short_ogg peer_ogg)
if command -v flac >/dev/null; then
  peer_row 'render 2 × 90 s to FLAC, against `flac -5` of its WAV' "$flac_pair" 'flac -5' '≤ 1 × flac'
  goal 'render 2 x 90 s to FLAC / flac -5 of its WAV' "$(calc "${flac_pair% *} / ${flac_pair#* }" 2)" 1 le
  row 'FLAC size, ours against `flac -5`' "$(calc "$(stat -c %s s.flac) / 1048576" 2) MB / $(calc "$(stat -c %s peer.flac) / 1048576" 2) MB: $(calc "$(stat -c %s s.flac) / $(stat -c %s peer.flac)" 3) ×" '—'
else
  row 'render 2 × 90 s to FLAC, against `flac -5`' 'flac not installed' '≤ 1 × flac'
fi
if command -v oggenc >/dev/null; then
  peer_row 'render 2 × 90 s to Ogg, against `oggenc -q4` of its WAV' "$ogg_pair" 'oggenc -q4' '≤ 1 × oggenc'
  goal 'render 2 x 90 s to Ogg / oggenc -q4 of its WAV' "$(calc "${ogg_pair% *} / ${ogg_pair#* }" 2)" 1 le
else
  row 'render 2 × 90 s to Ogg, against `oggenc -q4`' 'oggenc not installed (vorbis-tools)' '≤ 1 × oggenc'
fi
for fmt in flac ogg; do
  [ "$fmt" = flac ] && ms=${flac_pair% *} || ms=${ogg_pair% *}
  printf '%s render 2 x 90 s: %s ms (%s x real time), %s MB\n' "$fmt" "$ms" \
    "$(calc "$audio_short * 1000 / $ms" 0)" "$(calc "$(stat -c %s "s.$fmt") / 1048576")"
done
printf '\nissue 23, ratios of medians (ours / the peer in the same rounds; load = 1-minute load average):\n'
printf '  %s\n' "${issue23[@]}"
printf '\nruns per median: %s · machine: %s, %s cores, load average %s\n' "$runs" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'release binary %s MB (default script and pack embedded)\n' "$(calc "$(stat -c %s "$bin") / 1048576")"
