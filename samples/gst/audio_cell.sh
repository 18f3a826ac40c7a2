#!/bin/sh
# A WAV file through liquid's audio features and a liquid cell, printing every decision
# (gst-launch-1.0 -m shows the liquid-decision element messages: time, classes, probabilities).
#   samples/gst/audio_cell.sh tests/data/audio/0_george_0.wav model.safetensors
# The model takes 40 log-mel bands per frame (the element's default); GST_PLUGIN_PATH defaults to
# the build tree's plugins/ folder.
set -eu
wav=${1:?usage: audio_cell.sh FILE.wav MODEL.safetensors [RATE]}
model=${2:?usage: audio_cell.sh FILE.wav MODEL.safetensors [RATE]}
rate=${3:-16000}  # the sample rate the model was trained at (FSDD: 8000)
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
exec gst-launch-1.0 -m filesrc location="$wav" ! decodebin ! audioconvert ! audioresample ! audio/x-raw,rate="$rate" ! \
  liquidaudiofeatures kind=log-mel bands=40 window=0.025 hop=0.010 ! liquidcell model="$model" ! fakesink
