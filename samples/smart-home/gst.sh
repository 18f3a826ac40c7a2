#!/usr/bin/env bash
# The smart-home demo's three streams as one gst-launch pipeline: three parallel branches, each a
# liquid cell on its own stream, printing liquid-decision messages (-m):
#   room    liquidseriessrc (datatest.txt, normalised by the model file) ! liquidcell occupancy CfC
#   voice   the command clips of commands.csv, one after the other (concat), ! liquidaudiofeatures
#           (40 log-mel bands) ! liquidcell FSDD CfC, reset at each clip's DISCONT
#   camera  vtest (160x120, 40 s) ! liquidvideofeatures (1 x 1 motion grid) ! liquidcell motion LTC
#
#   samples/smart-home/gst.sh [BUILD_DIR] [CLIPS]     # default build/, all 35 clips
#
# Not the same as `liquid stream samples/smart-home/config.json` (whose figures the README gives):
# the branches are not fused (no heads, rules or reasons: that needs the liquidfusion aggregator,
# which is being written), each branch keeps its own clock from 0 (the clips play back to back
# instead of at their scheduled times), and liquidcell steps the room model in seconds where it was
# trained in minutes (liquidcell has no dt-scale yet; the stream config's "dt_scale": 1/60).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
clips="${2:-35}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$PWD/$build/plugins}"
here=samples/smart-home
room_model=samples/models/occupancy_cfc.safetensors
# liquidseriessrc matches columns to the model's normalisation by name, and has no renaming: a copy
# of the room log with the model's channel names in its header.
mkdir -p out/smart-home
room=out/smart-home/datatest_gst.csv
sed '1s/.*/"date","temperature","humidity","light","co2","humidity_ratio","occupancy"/' \
  samples/data/series/occupancy/datatest.txt > "$room"
voice=()
while IFS=, read -r _ path _; do
  voice+=(filesrc location="$here/$path" ! flacparse ! flacdec ! audioconvert ! voice.)
done < <(tail -n +2 "$here/commands.csv" | head -n "$clips")
exec gst-launch-1.0 -m \
  liquidseriessrc location="$room" time-column=date \
    columns=temperature,humidity,light,co2,humidity_ratio normalization="$room_model" masks=false time-since=false ! \
    liquidcell name=room model="$room_model" ! fakesink \
  concat name=voice ! audioconvert ! audio/x-raw,format=F32LE,channels=1 ! liquidaudiofeatures kind=log-mel bands=40 ! \
    liquidcell name=voice_cell model=samples/models/fsdd_cfc.safetensors reset-on-discont=true ! fakesink \
  "${voice[@]}" \
  filesrc location=samples/data/video/vtest_160x120_40s.avi ! decodebin ! videoconvert ! \
    liquidvideofeatures grid-cols=1 grid-rows=1 grey=false motion=true working-width=160 ! \
    liquidcell name=camera model="$here/models/motion_ltc.safetensors" ! fakesink
