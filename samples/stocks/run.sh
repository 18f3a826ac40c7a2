#!/usr/bin/env bash
# The stock-forecasting demo, whole (samples/stocks/README.md): the S&P 500 walked forward over its
# last four years (one CfC refit a year with lfm::train, on the days before that year only) and the
# shipped model on its own test split, then the four airline stocks walked forward over their last
# year (a refit a quarter); every forecast beside a linear AR model, the random walk and persistence.
# Draws out/stocks/sp500_forecast.png and writes each series' forecasts to out/stocks/*_forecasts.csv.
#
#   samples/stocks/run.sh [BUILD_DIR]     # default build/; builds what is missing
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/samples/stocks/stocks_forecast"
if [[ ! -x "$bin" ]]; then
  LIQUID_TARGETS="liquid stocks_forecast" scripts/build.sh "$build"
fi
data=samples/data/series/stocks
echo "== S&P 500, 4 yearly folds"
"$bin" --config samples/train/sp500_cfc.json "$data/sp500-2000.csv" --png out/stocks/sp500_forecast.png \
  --model samples/models/sp500_cfc.safetensors
echo "== airline stocks, 4 quarterly folds each"
"$bin" --config samples/train/sp500_cfc.json "$data"/{AAL,DAL,LUV,UAL}.csv --folds 4 --fold-rows 63 \
  --validation-rows 63
