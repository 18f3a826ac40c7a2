#!/usr/bin/env bash
# The main job on shipped data: install what is missing, build, then run the smart-home fusion demo
# (samples/smart-home/README.md): room sensors, spoken commands and a camera fused into occupancy,
# command and lights decisions with their reasons, figures against baselines, a timeline picture,
# and the room readings again over MQTT from a local mosquitto broker.
# After it, the earlier demo: an ncps-trained LTC with an NCP wiring carried into liquid and run
# over an irregularly sampled series.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
LIQUID_TARGETS="liquid smart_home_report" scripts/build.sh build
samples/smart-home/run.sh build

echo
echo "== ncps import demo"
bin=build/apps/liquid
data=samples/data
mkdir -p out
set -x
$bin import --ncps "$data/ltc_ncp_state.safetensors" --config "$data/ltc_ncp_config.json" -o out/ltc_ncp.safetensors
$bin info out/ltc_ncp.safetensors
$bin run out/ltc_ncp.safetensors --input "$data/irregular_series.csv" --state -o out/ltc_ncp_run.csv
{ set +x; } 2>/dev/null
echo "first rows of out/ltc_ncp_run.csv:"
head -n 5 out/ltc_ncp_run.csv
