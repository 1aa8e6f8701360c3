#!/usr/bin/env bash
# virtual-sound-card.sh — a sound card for machines that have none (CI, containers), so the live
# playback tests can play through the real binary and record what was played.
#
# Starts a headless PulseAudio server whose only device is a null sink "harness" (48 kHz stereo),
# routes ALSA's default device to it (so cpal/rodio reach it) and prints the export lines:
#     eval "$(scripts/virtual-sound-card.sh)"        start (idempotent)
#     scripts/virtual-sound-card.sh stop             stop the daemon this script started
# Record what is played:  parec -d harness.monitor --rate 48000 --channels 1 --format s16le
# Installs pulseaudio, pulseaudio-utils and libasound2-plugins with apt-get when missing (root).
# norewinds=1 keeps the sink at most ~50 ms ahead of real time, so recordings start promptly.
set -euo pipefail
# A private BALASANA_AUDIO_DIR (e.g. the soak's) keeps its daemon config there and leaves the
# machine-wide client default alone, so two cards can run side by side without clobbering.
RUN=${BALASANA_AUDIO_DIR:-/run/balasana-sound}
PA=${BALASANA_AUDIO_DIR:+$RUN/null.pa}
PA=${PA:-/etc/pulse/balasana-null.pa}
export PULSE_RUNTIME_PATH=$RUN PULSE_SERVER=unix:$RUN/native

print_env() {
  echo "export PULSE_RUNTIME_PATH=$RUN"
  echo "export PULSE_SERVER=unix:$RUN/native"
}

case "${1:-start}" in
  stop)
    [ -f "$RUN/pid" ] && kill "$(cat "$RUN/pid")" 2>/dev/null || true
    rm -f "$RUN/pid"
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

missing=()
for p in pulseaudio pulseaudio-utils libasound2-plugins; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { echo "virtual-sound-card: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

mkdir -p "$(dirname "$PA")" /etc/pulse/client.conf.d "$RUN"
cat > "$PA" <<PA
load-module module-null-sink sink_name=harness rate=48000 channels=2 norewinds=1 sink_properties=device.description=harness
load-module module-native-protocol-unix auth-anonymous=1 auth-cookie-enabled=0 socket=$RUN/native
set-default-sink harness
PA
[ -n "${BALASANA_AUDIO_DIR:-}" ] \
  || printf 'default-server = unix:%s/native\nautospawn = no\n' "$RUN" > /etc/pulse/client.conf.d/60-balasana.conf
if ! grep -qs 'type pulse' /etc/asound.conf; then
  [ -e /etc/asound.conf ] && cp -n /etc/asound.conf /etc/asound.conf.pre-balasana
  printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' > /etc/asound.conf
fi

if ! pactl info >/dev/null 2>&1; then
  mkdir -p "$RUN" && chmod 700 "$RUN"
  rm -f "$RUN/native" "$RUN/pid"
  pulseaudio -D -n -F "$PA" --exit-idle-time=-1 --disallow-exit=yes --realtime=no \
    --high-priority=no --use-pid-file=yes --system=no --log-target="file:$RUN/daemon.log" \
    </dev/null >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do pactl info >/dev/null 2>&1 && break; sleep 0.05; done
  pactl info >/dev/null 2>&1 || { echo "virtual-sound-card: PulseAudio did not start; see $RUN/daemon.log" >&2; exit 1; }
fi
pactl list short sinks | grep -q $'\tharness\t' \
  || pactl load-module module-null-sink sink_name=harness rate=48000 channels=2 norewinds=1 >/dev/null
pactl set-default-sink harness
print_env
