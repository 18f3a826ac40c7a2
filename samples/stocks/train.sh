#!/usr/bin/env bash
# Retrains the shipped S&P 500 model (samples/models/sp500_cfc.safetensors): task "stocks" on
# samples/data/series/stocks/sp500-2000.csv, chronological 70 / 15 / 15 % split (tasks/stocks.h).
# Run from the repository root after cmake --build build --target liquid.
set -euo pipefail
build="${1:-build}"
"$build/apps/liquid" train samples/train/sp500_cfc.json --out out/sp500_cfc
cp out/sp500_cfc/model.safetensors samples/models/sp500_cfc.safetensors
