#!/usr/bin/env bash
# The smart-home demo as ONE gst-launch pipeline: the three streams fused by liquidfusion running
# samples/smart-home/config.json (the file `liquid stream` runs: its models, dt_scale, timeouts,
# reset_after, heads, lights rule and reasons), on one timeline (Unix seconds):
#   room    liquidseriessrc on the room log, each row stamped with its own time (absolute-times),
#           normalised per channel by the model file as the config's series encoder does   -> sink_0
#   camera  vtest (160x120, 40 s) ! liquidvideofeatures (1 x 1 motion grid + mean), placed at the
#           config's camera time_offset (sink_1::time-offset)                                -> sink_1
#   voice   each command clip of commands.csv on its own pad, at its scheduled time
#           (sink_N::time-offset); between clips the voice stream has no frames, like a
#           voice-gated microphone, and the cell restarts from zero at each (reset_after)   -> sink_2...
# liquidfusion z-scores the log-mels by the FSDD model's normalisation (the config's "model").
# Every decision is printed as a liquid-decision bus message (-m; `explanation` holds the reasons)
# and written to OUT/decisions_gst.jsonl (OUT default out/smart-home) as JSON lines in `liquid
# stream`'s format, which smart_home_report reads:
#
#   samples/smart-home/gst.sh [BUILD_DIR] [CLIPS] [ROWS]   # default build/, all 35 clips, all 2,665 rows
#   build/samples/smart-home/smart_home_report --decisions out/smart-home/decisions_gst.jsonl
#
# CLIPS / ROWS run the first clips / room readings only (ROWS: pass the same slice to the report
# with --room; CLIPS: a schedule of the first clips with --commands). QUIET=1 leaves out -m.
# GST_FILE=out/smart-home/smart_home.gst writes the pipeline description to that file instead of
# running it, for liquid-dashboard (heads, rules and reasons, neurons of each stream, the camera).
# What differs from `liquid stream` (figures in README.md, "GStreamer"): the pipeline decodes audio
# and video with GStreamer (flacdec, jpegdec) rather than libsndfile and OpenCV, and its frame times
# are running time + offset in nanoseconds, so a few features and times differ in the last digits.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
clips="${2:-0}"
rows="${3:-0}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$build/plugins}"
here=samples/smart-home
config=$here/config.json
out="${OUT:-out/smart-home}"
mkdir -p "$out"
decisions="$out/decisions_gst.jsonl"

# The room log with the model's channel names in its header (liquidseriessrc matches columns to the
# model's normalisation by name; the config renames them with "channels"), first ROWS rows or all.
room="$out/datatest_gst.csv"
{
  echo '"date","temperature","humidity","light","co2","humidity_ratio","occupancy"'
  if [ "$rows" -gt 0 ]; then sed -n "2,$((rows + 1))p"; else tail -n +2; fi
} < samples/data/series/occupancy/datatest.txt > "$room"

# The camera's place on the timeline: the config's streams[camera].source.time_offset.
camera_at=$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
print(next(s["source"]["time_offset"] for s in c["streams"] if s["name"] == "camera"))' "$config")

# One branch and one fusion pad per clip, at the clip's time (the pads' properties go on liquidfusion).
pads=()
voice=()
pad=2
while IFS=, read -r at path _; do
  pads+=(sink_$pad::stream=voice sink_$pad::time-offset="$at")
  voice+=(filesrc location="$here/$path" ! flacparse ! flacdec ! audioconvert ! audio/x-raw,channels=1 !
          liquidaudiofeatures kind=log-mel bands=40 ! f.sink_$pad)
  pad=$((pad + 1))
  if [ "$clips" -gt 0 ] && [ $((pad - 2)) -ge "$clips" ]; then break; fi
done < <(tail -n +2 "$here/commands.csv")

launch=(
  liquidfusion name=f config="$config" decisions-location="$decisions" \
    sink_0::stream=room sink_1::stream=camera sink_1::time-offset="$camera_at" "${pads[@]}" ! fakesink \
  liquidseriessrc location="$room" time-column=date absolute-times=true \
    columns=temperature,humidity,light,co2,humidity_ratio masks=false time-since=false \
    normalization=samples/models/occupancy_cfc.safetensors ! f.sink_0 \
  filesrc location=samples/data/video/vtest_160x120_40s.avi ! decodebin ! videoconvert ! \
    liquidvideofeatures grid-cols=1 grid-rows=1 grey=false motion=true working-width=160 ! f.sink_1 \
  "${voice[@]}")
if [ -n "${GST_FILE:-}" ]; then  # the description for liquid-dashboard, not run here
  printf '%s ' "${launch[@]}" > "$GST_FILE"
  echo "wrote $GST_FILE: build/gui/liquid-dashboard $GST_FILE"
  exit 0
fi
messages=-m
[ -n "${QUIET:-}" ] && messages=
exec gst-launch-1.0 $messages "${launch[@]}"
