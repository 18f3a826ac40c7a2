#!/usr/bin/env bash
# The main job on shipped data: install what is missing, build, then carry an ncps-trained LTC
# with an NCP wiring into liquid and run it over an irregularly sampled series.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
LIQUID_TARGETS=liquid scripts/build.sh build
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
