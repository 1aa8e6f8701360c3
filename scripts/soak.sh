#!/usr/bin/env bash
# soak.sh — play a long session on a private virtual sound card, record it, restart the audio
# server once in the middle, and report dropouts, every event's timing, memory and CPU.
#
#   scripts/soak.sh                              the 5 × 600 s session (≈ 57 min)
#   scripts/soak.sh --hold 30 --sets 1           a short trial (any player options pass through)
#
# Environment: SOAK_OUT (default /tmp/soak-<time>) for the logs and recordings,
# BALASANA_AUDIO_DIR (default /run/balasana-soak) for the private PulseAudio server,
# SOAK_RESTART_AT (seconds into the session; default the middle), SOAK_OUTAGE (seconds the
# server stays down; default 1), SOAK_EVERY (seconds between RSS/CPU samples; default 5).
#
# Steps: build the release binary; `--plan --json` and `--render` the same options (the reference);
# start the card (scripts/virtual-sound-card.sh with a private BALASANA_AUDIO_DIR, so another card
# is not disturbed); record its monitor with parec; play; sample the player's RSS and CPU from
# /proc every few seconds; at the restart time SIGKILL the card's own PulseAudio (by its pid
# file), start it again after the outage and record again; when the player exits, analyse with
# `examples/soak_report.rs` (report.txt in SOAK_OUT). Needs root (the card installs PulseAudio).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--hold 600 --sets 5)
out=${SOAK_OUT:-/tmp/soak-$(date -u +%Y%m%dT%H%M%S)}
export BALASANA_AUDIO_DIR=${BALASANA_AUDIO_DIR:-/run/balasana-soak}
every=${SOAK_EVERY:-5}
outage=${SOAK_OUTAGE:-1}
mkdir -p "$out"
log() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$out/soak.log" >&2; }
now() { date +%s.%N; }

cargo build --release -q --bin balasana-audio --example soak_report
bin=$repo/target/release/balasana-audio
log "options: ${args[*]}; output in $out"
"$bin" "${args[@]}" --plan --json > "$out/plan.json"
"$bin" "${args[@]}" --render "$out/render.wav" -q
length=$(grep -m1 -o '"duration": *[0-9.]*' "$out/plan.json" | grep -o '[0-9.]*$')
restart_at=${SOAK_RESTART_AT:-$(awk -v l="$length" 'BEGIN { printf "%d", l / 2 }')}
log "session ${length} s; audio server restart at ${restart_at} s"

eval "$(scripts/virtual-sound-card.sh)"   # exports PULSE_SERVER / PULSE_RUNTIME_PATH (private)
server_pid() { cat "$BALASANA_AUDIO_DIR/pid"; }

parec_pid=
record() { # record N: parec into rec-N.raw, mono 16-bit 48 kHz
  parec -d harness.monitor --rate 48000 --channels 1 --format s16le --latency-msec 10 --raw \
    > "$out/rec-$1.raw" 2>> "$out/parec.log" &
  parec_pid=$!
  echo "rec-$1 $(now)" >> "$out/times"
}
# Stops a process this script started, after checking it is still that program.
stop_own() { # stop_own PID NAME SIGNAL
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q "$2" \
    && kill "-$3" "$1" 2>/dev/null || true
}
player_pid=
cleanup() {
  stop_own "$player_pid" balasana-audio TERM
  stop_own "$parec_pid" parec TERM
  scripts/virtual-sound-card.sh stop
}
trap cleanup EXIT

: > "$out/times"
record 1
sleep 0.5
"$bin" "${args[@]}" > "$out/player.log" 2>&1 &
player_pid=$!
start=$(now)
echo "player $start" >> "$out/times"
log "player pid $player_pid, audio server pid $(server_pid)"

ticks=$(getconf CLK_TCK)
printf 't\trss_kb\tcpu_s\tload1\n' > "$out/samples.tsv"
sample() { # elapsed seconds, VmRSS (kB), utime+stime (s) of the player, 1-minute load average
  local rss cpu
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$player_pid/status" 2>/dev/null) || return 0
  cpu=$(awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' \
    "/proc/$player_pid/stat" 2>/dev/null) || return 0
  [ -n "$rss" ] && printf '%.1f\t%s\t%s\t%s\n' \
    "$(awk -v a="$(now)" -v b="$start" 'BEGIN{print a-b}')" "$rss" "$cpu" \
    "$(cut -d' ' -f1 /proc/loadavg)" >> "$out/samples.tsv"
}

restarted=no
tick=0
while kill -0 "$player_pid" 2>/dev/null; do
  [ $((tick % every)) -eq 0 ] && { sample || true; }
  tick=$((tick + 1))
  elapsed=$(awk -v a="$(now)" -v b="$start" 'BEGIN { printf "%d", a - b }')
  if [ "$restarted" = no ] && [ "$elapsed" -ge "$restart_at" ]; then
    pid=$(server_pid)
    if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "pulseaudio"; then
      kill -KILL "$pid"
      echo "kill $(now)" >> "$out/times"
      log "killed audio server $pid at ${elapsed} s"
      wait "$parec_pid" 2>/dev/null || true
      sleep "$outage"
      scripts/virtual-sound-card.sh > /dev/null
      record 2
      echo "restart $(now)" >> "$out/times"
      log "audio server back: pid $(server_pid)"
    else
      log "pid $pid is not our PulseAudio; no restart"
    fi
    restarted=yes
  fi
  sleep 1
done
set +e
wait "$player_pid"
code=$?
set -e
player_pid=
echo "end $(now)" >> "$out/times"
log "player exited with $code"
sleep 1
stop_own "$parec_pid" parec TERM
wait "$parec_pid" 2>/dev/null || true
parec_pid=

recs=()
for r in "$out"/rec-*.raw; do recs+=(--rec "$r"); done
"$repo/target/release/examples/soak_report" --plan "$out/plan.json" --render "$out/render.wav" \
  --times "$out/times" --samples "$out/samples.tsv" --exit-code "$code" \
  --events "$out/events.tsv" "${recs[@]}" \
  | tee "$out/report.txt"
