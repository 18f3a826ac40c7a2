#!/bin/sh
# A video file with its liquid decisions drawn on it: a tee sends the frames to liquid's video
# features and a cell, whose decision buffers go to liquidoverlay's decision_sink, while the frames
# themselves go through the overlay (wait=true: each frame waits for the decision made on it) into
# PNG files, one a frame.
#   samples/gst/overlay.sh tests/data/video/vtest_20.avi video.safetensors out/overlay_%03d.png
set -eu
usage="usage: overlay.sh VIDEO MODEL OUT_%03d.png"
video=${1:?$usage}
model=${2:?$usage}
out=${3:?$usage}
here=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-$here/build/plugins}
mkdir -p "$(dirname "$out")"
exec gst-launch-1.0 -m filesrc location="$video" ! decodebin ! videoconvert ! tee name=t \
  t. ! queue ! liquidvideofeatures grid-cols=4 grid-rows=6 working-width=160 ! liquidcell model="$model" ! o.decision_sink \
  t. ! queue ! videoconvert ! video/x-raw,format=BGRx ! liquidoverlay name=o wait=true neurons=0,1,2,3 ! \
    videoconvert ! pngenc ! multifilesink location="$out"
