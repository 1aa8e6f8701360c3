# bench/first-sound.sh — sourced by bench/run.sh and bench/media-controls.sh.
# first_sound_ms CMD... -> ms from exec of CMD to its first sample above −60 dBFS (|s| > 33),
# one run: parec records the card's monitor all along, and the recording's size just before exec
# marks exec time. CMD is stopped after 1.5 s. Writes rec.raw in the current folder.
first_sound_ms() {
  parec -d harness.monitor --rate 48000 --channels 1 --format s16le --latency-msec 5 > rec.raw &
  local rec=$! before
  sleep 0.5
  before=$(stat -c %s rec.raw)
  timeout -s TERM 1.5 "$@" >/dev/null 2>&1 || true
  kill "$rec"; wait "$rec" 2>/dev/null || true
  python3 - "$before" <<'PY'
import struct, sys
before = int(sys.argv[1]) // 2
data = open("rec.raw", "rb").read()
n = len(data) // 2
samples = struct.unpack("<%dh" % n, data[: 2 * n])
first = next((i for i in range(before, n) if abs(samples[i]) > 33), None)
print(1e9 if first is None else (first - before) / 48.0)
PY
}
