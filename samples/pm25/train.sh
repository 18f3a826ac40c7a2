#!/usr/bin/env bash
# Retrains the shipped Beijing PM2.5 models (samples/models/pm25_cfc.safetensors,
# pm25_hybrid.safetensors and pm25_cfc_irregular.safetensors): task "weather" on
# samples/data/series/weather/PRSA_data_2010.1.1-2014.12.31.csv, 256-step windows, chronological
# 70 / 15 / 15 % split (lfm/datasets/weather.h), 16 epochs each; the irregular CfC on the series
# with the NA rows dropped (task option drop_missing). Training is deterministic on any thread
# count: this writes the same bytes again. Under 4 minutes on two cores (samples/pm25/README.md).
#
#   samples/pm25/train.sh [BUILD_DIR] [THREADS]     # run from anywhere; default build/, 2 threads
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
threads="${2:-2}"
for model in pm25_cfc pm25_hybrid pm25_cfc_irregular; do
  "$build/apps/liquid" train "samples/train/$model.json" --out "out/$model" --threads "$threads"
  cp "out/$model/model.safetensors" "samples/models/$model.safetensors"
done
