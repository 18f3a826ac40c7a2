#!/bin/sh
# Two modalities of one scene into liquidfusion: the audio clip through liquid's log-mel features
# (sink_0, 40 inputs) and the video clip through its grid/motion features (sink_1, 49 inputs). Each
# pad runs its own cell across its own timestamps; the decisions (one per feature frame of either
# pad, in running-time order) come from the fusion head, or from the mean of both cells' outputs
# when no head file is given; `gst-launch-1.0 -m` prints them with the fresh and stale pads.
#   samples/gst/fusion.sh tests/data/audio/0_george_0.wav tests/data/video/vtest_20.avi \
#     audio.safetensors video.safetensors [head.safetensors]
set -eu
usage="usage: fusion.sh FILE.wav VIDEO AUDIO_MODEL VIDEO_MODEL [HEAD]"
wav=${1:?$usage}
video=${2:?$usage}
audio_model=${3:?$usage}
video_model=${4:?$usage}
head=${5:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
exec gst-launch-1.0 -m liquidfusion name=f model="$audio_model" sink_1::model="$video_model" timeout=500000000 \
  ${head:+fusion-location="$head"} ! fakesink \
  filesrc location="$wav" ! decodebin ! audioconvert ! audioresample ! audio/x-raw,rate=16000 ! \
    liquidaudiofeatures kind=log-mel bands=40 window=0.025 hop=0.010 ! queue ! f.sink_0 \
  filesrc location="$video" ! decodebin ! videoconvert ! \
    liquidvideofeatures grid-cols=4 grid-rows=6 working-width=160 ! queue ! f.sink_1
