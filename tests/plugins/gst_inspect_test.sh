#!/bin/sh
# gst-inspect-1.0 finds the liquid plugin in the build tree and shows every element with its
# properties' blurbs (GST_PLUGIN_PATH and GST_REGISTRY come from ctest).
set -eu
out=$(gst-inspect-1.0 liquid)
echo "$out"
for element in liquidaudiofeatures liquidcell liquidfusion liquidoverlay liquidseriessrc liquidvideofeatures; do
  echo "$out" | grep -q "$element" || { echo "FAIL: $element missing from gst-inspect-1.0 liquid"; exit 1; }
done
cell=$(gst-inspect-1.0 liquidcell)
echo "$cell" | grep -q "Path of a liquid model file" || { echo "FAIL: liquidcell model blurb"; exit 1; }
echo "$cell" | grep -q "trace-location" || { echo "FAIL: liquidcell trace-location"; exit 1; }
gst-inspect-1.0 liquidaudiofeatures | grep -q "Analysis window in seconds" || { echo "FAIL: window blurb"; exit 1; }
gst-inspect-1.0 liquidseriessrc | grep -q "is-live" || { echo "FAIL: is-live"; exit 1; }
gst-inspect-1.0 liquidfusion | grep -q "fusion-location" || { echo "FAIL: liquidfusion fusion-location"; exit 1; }
gst-inspect-1.0 liquidfusion | grep -q "GstLiquidFusionPad" || { echo "FAIL: liquidfusion pad type"; exit 1; }
fusion=$(gst-inspect-1.0 liquidfusion)
for property in "config  " "decisions-location" "stream  " "time-offset"; do
  echo "$fusion" | grep -q "^ *$property *:" || { echo "FAIL: liquidfusion property $property"; exit 1; }
done
gst-inspect-1.0 liquidseriessrc | grep -q "absolute-times" || { echo "FAIL: liquidseriessrc absolute-times"; exit 1; }
gst-inspect-1.0 liquidoverlay | grep -q "decision_sink" || { echo "FAIL: liquidoverlay decision_sink"; exit 1; }
echo OK
