#!/bin/sh
# A video file through liquid's video features (8x6 grey grid, 8x6 motion grid, motion mean: 97
# values; here a 4x6 grid: 24 + 24 + 1 = 49) and a liquid cell, printing every decision.
#   samples/gst/video_cell.sh tests/data/video/vtest_20.avi model.safetensors
set -eu
video=${1:?usage: video_cell.sh FILE MODEL.safetensors}
model=${2:?usage: video_cell.sh FILE MODEL.safetensors}
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
exec gst-launch-1.0 -m filesrc location="$video" ! decodebin ! videoconvert ! \
  liquidvideofeatures grid-cols=4 grid-rows=6 working-width=160 ! liquidcell model="$model" ! fakesink
