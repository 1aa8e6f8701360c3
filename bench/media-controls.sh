#!/usr/bin/env bash
# bench/media-controls.sh — what the media controls (MPRIS, issue 19) cost at start: first sound
# (exec → first sample above −60 dBFS on the card's monitor, as bench/run.sh measures it), median
# of RUNS runs (default 5), for four session buses:
#   off        --no-media-controls (the feature not running at all)
#   no bus     no address and no socket in $XDG_RUNTIME_DIR (SSH, a text console, CI)
#   private    a dbus-daemon of this script's own, the player taking its name there
#   silent     a socket that accepts the connection and never answers
# Uses a private virtual sound card in $BALASANA_AUDIO_DIR (default /run/balasana-perf), stopped
# at the end. Needs parec (pulseaudio-utils), dbus-daemon (dbus) and python3.
# Usage: bench/media-controls.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-5}
cargo build --release -q
bin=$root/target/release/balasana-audio
work=$(mktemp -d)
card_dir=${BALASANA_AUDIO_DIR:-/run/balasana-perf}
daemon=
silent=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  [ -n "$silent" ] && kill "$silent" 2>/dev/null || true
  BALASANA_AUDIO_DIR=$card_dir bash "$root/scripts/virtual-sound-card.sh" stop
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
eval "$(BALASANA_AUDIO_DIR=$card_dir bash "$root/scripts/virtual-sound-card.sh")"
mkdir runtime
# shellcheck source=bench/first-sound.sh
. "$root/bench/first-sound.sh"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

dbus-daemon --session --nofork --address="unix:path=$work/bus" --print-address=1 > address 2>/dev/null &
daemon=$!
until [ -s address ]; do sleep 0.05; done
# A listening socket nobody accepts on: the kernel completes the connection, nothing answers.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16); time.sleep(1e6)' "$work/silent" &
silent=$!
until [ -S silent ]; do sleep 0.05; done

# The four buses take turns in every round, so a change in the machine's load falls on all alike.
buses=(off none private silent)
declare -A label=(
  [off]='off (`--no-media-controls`)' [none]='no session bus'
  [private]='a private session bus (dbus-daemon)' [silent]='a bus socket that never answers'
)
once() {
  local no_bus=(-u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$work/runtime") extra=()
  case $1 in
    off) set -- "${no_bus[@]}"; extra=(--no-media-controls) ;;
    none) set -- "${no_bus[@]}" ;;
    private) set -- DBUS_SESSION_BUS_ADDRESS="$(head -1 address)" ;;
    silent) set -- DBUS_SESSION_BUS_ADDRESS="unix:path=$work/silent" ;;
  esac
  first_sound_ms env "$@" XDG_DATA_HOME="$work/data" "$bin" -q --no-log "${extra[@]}"
}
for _ in $(seq "$runs"); do
  for bus in "${buses[@]}"; do once "$bus" >> "ms.$bus"; done
done
printf '| %-52s | %9s |\n' "first sound (exec → first sample > −60 dBFS), median" measured
printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "$(printf -- '-%.0s' {1..11})"
for bus in "${buses[@]}"; do
  printf '| %-52s | %6.0f ms |\n' "${label[$bus]}" "$(median < "ms.$bus")"
done
printf '| %-52s | %6.2f MB |\n' 'release binary, as built' "$(awk "BEGIN {print $(stat -c %s "$bin") / 1048576}")"
