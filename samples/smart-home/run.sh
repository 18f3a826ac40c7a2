#!/usr/bin/env bash
# The smart-home demo, whole (samples/smart-home/README.md): room sensors, spoken commands and a
# camera fused on one timeline by `liquid stream samples/smart-home/config.json`; then the figures
# against the truths (occupancy labels, the digits said) and baselines, the lights timeline and a
# picture (out/smart-home/timeline.png); then the room readings again, this time published to a
# local mosquitto broker the script starts, and decided from MQTT.
#
#   samples/smart-home/run.sh [BUILD_DIR]       # default build/; builds what is missing
#   SKIP_MQTT=1 samples/smart-home/run.sh       # without the MQTT part
#   OCCUPANCY_MODEL=FILE samples/smart-home/run.sh   # another room model (default: the config's
#                                                    # samples/models/occupancy_cfc.safetensors)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/apps/liquid"
report="$build/samples/smart-home/smart_home_report"
if [[ ! -x "$bin" || ! -x "$report" ]]; then
  LIQUID_TARGETS="liquid smart_home_report" scripts/build.sh "$build"
fi
out=out/smart-home
mkdir -p "$out"

model_args=()
model="${OCCUPANCY_MODEL:-samples/models/occupancy_cfc.safetensors}"
if [[ -n "${OCCUPANCY_MODEL:-}" ]]; then model_args=(--model "occupancy=$model"); fi
echo "== room model: $model"
"$bin" info "$model" | sed -n 2p

echo "== liquid stream samples/smart-home/config.json ${model_args[*]}"
start=$EPOCHREALTIME
"$bin" stream samples/smart-home/config.json "${model_args[@]}" --decisions "$out/decisions.jsonl" --trace "$out/trace.lqtrace"
end=$EPOCHREALTIME
echo "   wall time $(awk "BEGIN {printf \"%.2f\", $end - $start}") s for 44.4 h of room readings, 35 spoken commands and 40 s of video"
"$report" --decisions "$out/decisions.jsonl" --png "$out/timeline.png"
echo "   one decision with its reasons (the first command heard):"
grep -m1 '"heard":true' "$out/decisions.jsonl" | cut -c1-900
echo "   neuron trace for the dashboard: $build/gui/liquid-dashboard $out/trace.lqtrace"

if [[ -n "${SKIP_MQTT:-}" ]] || ! command -v mosquitto >/dev/null || ! command -v mosquitto_pub >/dev/null ||
   ! command -v python3 >/dev/null; then
  echo "== MQTT part skipped (SKIP_MQTT set, or mosquitto, mosquitto_pub or python3 missing: apt-get install mosquitto mosquitto-clients python3)"
  exit 0
fi
echo "== the room readings over MQTT"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mosquitto -p "$port" > "$out/mosquitto.log" 2>&1 &  # no configuration file: loopback only (mosquitto 2)
broker=$!
liquid_pid=""
cleanup() {
  [[ -n "$liquid_pid" ]] && kill "$liquid_pid" 2>/dev/null || true
  kill "$broker" 2>/dev/null || true
}
trap cleanup EXIT
rm -f "$out/decisions_mqtt.jsonl"
sleep 0.5
"$bin" stream samples/smart-home/config_mqtt.json "${model_args[@]}" --mqtt-port "$port" --decisions "$out/decisions_mqtt.jsonl" &
liquid_pid=$!
sleep 1  # the subscription (the session is persistent, but the broker must know it first)
# One JSON message a reading, with its own time (Unix seconds, UTC): {"time": ..., "temperature": ...}.
python3 - samples/data/series/occupancy/datatest.txt <<'EOF' | mosquitto_pub -p "$port" -t home/room -q 2 -l
import csv, datetime, json, sys
with open(sys.argv[1], newline="") as f:
    for row in list(csv.reader(f))[1:]:
        t = datetime.datetime.strptime(row[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
        v = [float(x) for x in row[2:7]]
        print(json.dumps({"time": t, "temperature": v[0], "humidity": v[1], "light": v[2], "co2": v[3], "humidity_ratio": v[4]}))
EOF
readings=$(($(wc -l < samples/data/series/occupancy/datatest.txt) - 1))
for _ in $(seq 1 300); do
  [[ -f "$out/decisions_mqtt.jsonl" && $(wc -l < "$out/decisions_mqtt.jsonl") -ge $readings ]] && break
  sleep 0.2
done
kill -INT "$liquid_pid"
wait "$liquid_pid" || true
liquid_pid=""
echo "   $(wc -l < "$out/decisions_mqtt.jsonl") decisions from $readings published readings (broker 127.0.0.1:$port)"
"$report" --decisions "$out/decisions_mqtt.jsonl" | head -n 3
