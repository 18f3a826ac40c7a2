#!/usr/bin/env bash
# Retrains the shipped Seattle weather model (samples/models/seattle_weather_cfc.safetensors): task
# "seattle_weather", train 2012-2013, validation 2014, test 2015 (tasks/seattle_weather.h).
# Run from the repository root after cmake --build build --target liquid.
set -euo pipefail
build="${1:-build}"
"$build/apps/liquid" train samples/train/seattle_weather_cfc.json --out out/seattle_weather_cfc
cp out/seattle_weather_cfc/model.safetensors samples/models/seattle_weather_cfc.safetensors
