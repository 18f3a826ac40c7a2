#!/usr/bin/env bash
# The Beijing PM2.5 demo (samples/pm25/README.md): the shipped CfC and hybrid backbone forecast
# PM2.5 1 to 24 hours ahead from every hour of the test period (the last 15 % of 2010-2014), beside
# persistence, the same hour yesterday and the hour-of-day climatology; MAE per horizon in µg/m³,
# and out/pm25/pm25_forecast.png (MAE against horizon, forecasts against the measured values).
# Then the CfC trained on the irregular series (the NA rows dropped, each step's real gap given to
# the cell) on its own test origins, and all models on the origins both series score.
#
#   samples/pm25/run.sh [BUILD_DIR]     # default build/; builds what is missing
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/samples/pm25/pm25_report"
if [[ ! -x "$bin" ]]; then
  LIQUID_TARGETS="pm25_report" scripts/build.sh "$build"
fi
"$bin" samples/data/series/weather/PRSA_data_2010.1.1-2014.12.31.csv \
  --cfc samples/models/pm25_cfc.safetensors --hybrid samples/models/pm25_hybrid.safetensors \
  --irregular samples/models/pm25_cfc_irregular.safetensors \
  --png out/pm25/pm25_forecast.png
