#!/bin/sh
# Modalities of one scene into liquidfusion: the audio clip through liquid's log-mel features
# (sink_0, 40 inputs), the video clip through its grid/motion features (sink_1, 49 inputs) and,
# optionally, a CSV time series read by liquidseriessrc with its rows' own irregular times (sink_2).
# Each pad runs its own cell across its own timestamps; the decisions (one per feature frame of any
# pad, in running-time order) come from the fusion head file, or from the mean of the cells' outputs
# when no head file is given (two modalities only); `gst-launch-1.0 -m` prints them with the fresh
# and stale pads.
#   samples/gst/fusion.sh tests/data/audio/0_george_0.wav tests/data/video/vtest_20.avi \
#     audio.safetensors video.safetensors [head.safetensors [series.csv series.safetensors]]
set -eu
usage="usage: fusion.sh FILE.wav VIDEO AUDIO_MODEL VIDEO_MODEL [HEAD [SERIES.csv SERIES_MODEL]]"
wav=${1:?$usage}
video=${2:?$usage}
audio_model=${3:?$usage}
video_model=${4:?$usage}
head=${5:-}
csv=${6:-}
series_model=${7:-}
if [ -n "$csv" ] && { [ -z "$series_model" ] || [ -z "$head" ]; }; then echo "$usage" >&2; exit 2; fi
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
# The series branch, when given: the element's sink_2 and its source.
set --
if [ -n "$csv" ]; then
  set -- sink_2::model="$series_model" \
    liquidseriessrc location="$csv" ! queue ! f.sink_2
fi
if [ $# -gt 0 ]; then pad_model=$1; shift; else pad_model=; fi
exec gst-launch-1.0 -m liquidfusion name=f model="$audio_model" sink_1::model="$video_model" ${pad_model:+"$pad_model"} \
  timeout=500000000 ${head:+fusion-location="$head"} ! fakesink \
  filesrc location="$wav" ! decodebin ! audioconvert ! audioresample ! audio/x-raw,rate=16000 ! \
    liquidaudiofeatures kind=log-mel bands=40 window=0.025 hop=0.010 ! queue ! f.sink_0 \
  filesrc location="$video" ! decodebin ! videoconvert ! \
    liquidvideofeatures grid-cols=4 grid-rows=6 working-width=160 ! queue ! f.sink_1 \
  "$@"
