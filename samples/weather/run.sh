#!/usr/bin/env bash
# The Seattle weather demo (samples/weather/README.md): the shipped CfC classifies every day of 2015
# (drizzle, fog, rain, snow, sun) from the last 14 days; figures beside the majority class and
# persistence (yesterday's type), and the confusion matrix in out/weather/seattle_confusion.png.
#
#   samples/weather/run.sh [BUILD_DIR]     # default build/; builds what is missing
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/samples/weather/weather_report"
if [[ ! -x "$bin" ]]; then
  LIQUID_TARGETS="liquid weather_report" scripts/build.sh "$build"
fi
"$bin" --model samples/models/seattle_weather_cfc.safetensors samples/data/series/weather/seattle-weather.csv \
  --png out/weather/seattle_confusion.png
