#!/bin/sh
# A CSV time series (irregular rows, missing values masked) through a liquid cell, printing every
# decision. Each row's features are its values, 1/0 observed masks and seconds since each column
# was last observed, so 6 columns give 18 inputs.
#   samples/gst/series_cell.sh tests/data/series/occupancy_datatest_head.txt model.safetensors
# Add is-live=true speed=60 to replay a minute of recording a second.
set -eu
csv=${1:?usage: series_cell.sh FILE.csv MODEL.safetensors}
model=${2:?usage: series_cell.sh FILE.csv MODEL.safetensors}
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
exec gst-launch-1.0 -m liquidseriessrc location="$csv" ! liquidcell model="$model" ! fakesink
