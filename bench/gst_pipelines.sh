#!/bin/sh
# Speed of whole gst-launch pipelines from files (issue 7, point 4), as CPU seconds (user + sys, all
# threads) of gst-launch-1.0, so other load on the machine does not count:
#   keyword:  filesrc ! wavparse ! audioconvert ! audioresample ! liquidaudiofeatures ! liquidcell ! fakesink
#             on an hour of 16 kHz audio (pink noise written once by audiotestsrc), reported as x real time,
#             with frames-per-buffer 0 (the default: each input buffer's frames together), 1 and 32, and
#             the same pipeline without the two liquid elements (what decoding and resampling cost);
#   video:    filesrc ! decodebin ! videoconvert ! liquidvideofeatures ! liquidcell ! fakesink on VIDEO
#             (default: OpenCV's vtest.avi when ../shared has it, else the shipped 160x120 clip),
#             reported as frames per CPU second.
#   bench/gst_pipelines.sh [BUILD_DIR] [VIDEO] [KWS_MODEL] [ITS_SAMPLE_RATE]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
video=${2:-}
if [ -z "$video" ]; then
  video=$here/../shared/data/video/opencv_samples/vtest.avi
  [ -f "$video" ] || video=$here/samples/data/video/vtest_160x120_40s.avi
fi
kws=${3:-$here/samples/models/fsdd_cfc.safetensors}
model_rate=${4:-8000}  # FSDD's
video_model=$build/tests/plugins/video49.safetensors  # untrained, 49 inputs: ctest's gst_make_models writes it
[ -f "$video_model" ] || "$build/tests/plugins/gst_make_test_model" "$video_model" 49
export GST_PLUGIN_PATH=$build/plugins GST_REGISTRY=$build/plugins/registry.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CPU seconds of one gst-launch run (the pipeline's own decisions counted with -m when asked).
cpu() {
  /usr/bin/time -f "%U %S" -o "$tmp/time" gst-launch-1.0 -q "$@" >/dev/null
  awk '{ printf "%.3f", $1 + $2 }' "$tmp/time"
}

rate=16000
seconds=3600
gst-launch-1.0 -q audiotestsrc wave=pink-noise samplesperbuffer=1600 num-buffers=$((seconds * rate / 1600)) ! \
  audio/x-raw,rate=$rate,channels=1,format=S16LE ! wavenc ! filesink location="$tmp/hour.wav"
t=$(cpu filesrc location="$tmp/hour.wav" ! wavparse ! audioconvert ! audioresample ! audio/x-raw,rate=$model_rate ! fakesink)
echo "the same pipeline without the liquid elements: $t CPU s"
for per_buffer in 0 1 32; do
  t=$(cpu filesrc location="$tmp/hour.wav" ! wavparse ! audioconvert ! audioresample ! audio/x-raw,rate=$model_rate ! \
      liquidaudiofeatures kind=log-mel bands=40 frames-per-buffer=$per_buffer ! \
      liquidcell model="$kws" post-messages=false ! fakesink)
  echo "keyword pipeline, $seconds s of audio at $model_rate Hz, frames-per-buffer=$per_buffer: $t CPU s," \
       "$(awk -v s=$seconds -v t="$t" 'BEGIN { printf "%.0f", s / t }')x real time"
done

# The frame count: one decision per frame, counted on a run of its own.
frames=$(gst-launch-1.0 -m filesrc location="$video" ! decodebin ! videoconvert ! liquidvideofeatures grid-cols=4 grid-rows=6 ! \
  liquidcell model="$video_model" ! fakesink 2>/dev/null | grep -c liquid-decision)
t=$(cpu filesrc location="$video" ! decodebin ! videoconvert ! liquidvideofeatures grid-cols=4 grid-rows=6 ! \
    liquidcell model="$video_model" post-messages=false ! fakesink)
echo "video pipeline, $(basename "$video") ($frames frames): $t CPU s," \
     "$(awk -v f="$frames" -v t="$t" 'BEGIN { printf "%.0f", f / t }') frames per CPU second"
