#!/usr/bin/env bash
# samples/smart-home/gst.sh: the demo as one fused gst-launch pipeline (liquidfusion config=...),
#   1. whole (2,665 room readings, 35 clips, the camera; measured 97.52 %, 35 / 35, 20 light changes
#      by a command): the report's figures against floors, and
#      against `liquid stream` on the same configuration (occupancy and commands must be the same);
#      the lights switched by commands; the reasons in the bus messages;
#   2. a slice (the first 600 readings, the 4 clips among them): the same report on those rows
#      (measured 96.00 %, 4 / 4, the lights on and off by a command);
#   3. errors that name the configuration file, the field and what was expected: a pad naming no
#      stream of the file, and features of the wrong width.
# GST_PLUGIN_PATH / GST_REGISTRY come from ctest.
set -euo pipefail
liquid="$1"
report="$2"
root="$3"
build="$4"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"

# 1. The whole demo.
OUT="$tmp/all" samples/smart-home/gst.sh "$build" >"$tmp/all.log" 2>&1 || { tail -20 "$tmp/all.log"; fail "gst.sh"; }
grep -q "Got EOS" "$tmp/all.log" || fail "the pipeline did not reach EOS"
d="$tmp/all/decisions_gst.jsonl"
# 4,408 frames (2,665 readings, 1,343 audio frames, 400 video frames) and 37 from the decision clock,
# as liquid stream (tests/samples/smart_home_test.sh).
[ "$(wc -l <"$d")" -eq 4445 ] || fail "decisions $(wc -l <"$d"), expected 4445"
[ "$(grep -c '"heard":true' "$d")" -eq 35 ] || fail "commits $(grep -c '"heard":true' "$d"), expected one per clip (35)"
grep -q 'liquid-decision.*explanation=(string)".*occupancy.*neurons' "$tmp/all.log" || fail "no reasons in the bus messages"
"$report" --decisions "$d" --min-occupancy 0.9463 --min-commands 0.85 >"$tmp/gst.report" ||
  { cat "$tmp/gst.report"; fail "figures under their floors"; }
by_command=$(grep -c 'by command=' "$tmp/gst.report" || true)
[ "$by_command" -ge 15 ] || fail "the lights changed $by_command times by a command, expected at least 15"
"$liquid" stream samples/smart-home/config.json --decisions "$tmp/ref.jsonl" --trace "$tmp/ref.lqtrace" 2>/dev/null ||
  fail "liquid stream"
"$report" --decisions "$tmp/ref.jsonl" >"$tmp/ref.report"
for figure in 'liquid (room' 'heard right' 'lights ('; do
  [ "$(grep "$figure" "$tmp/gst.report")" = "$(grep "$figure" "$tmp/ref.report")" ] ||
    fail "gst and liquid stream differ: $(grep "$figure" "$tmp/gst.report") / $(grep "$figure" "$tmp/ref.report")"
done

# 2. A slice: the first 600 readings (14:19 to 00:18) and the 4 clips said in them.
OUT="$tmp/slice" samples/smart-home/gst.sh "$build" 4 600 >"$tmp/slice.log" 2>&1 || { tail -20 "$tmp/slice.log"; fail "gst.sh 4 600"; }
head -n 601 samples/data/series/occupancy/datatest.txt >"$tmp/room600.txt"
head -n 5 samples/smart-home/commands.csv | sed 's#,\.\./#,'"$root"'/samples/#' >"$tmp/commands4.csv"
"$report" --decisions "$tmp/slice/decisions_gst.jsonl" --room "$tmp/room600.txt" --commands "$tmp/commands4.csv" \
  --min-occupancy 0.9463 --min-commands 0.75 >"$tmp/slice.report" || { cat "$tmp/slice.report"; fail "slice figures"; }
grep -q "(600 of 600 readings decided)" "$tmp/slice.report" || fail "slice: $(grep 'readings decided' "$tmp/slice.report")"
# On at the first "1", off at the "0" (3.2 h in), then off by "empty for 15 min" (measured: all three).
[ "$(grep -c 'by command=' "$tmp/slice.report" || true)" -ge 2 ] || fail "slice lights: $(cat "$tmp/slice.report")"

# 3. Errors name the file, the field and what was expected.
room="$tmp/slice/datatest_gst.csv"
series="liquidseriessrc location=$room time-column=date absolute-times=true columns=temperature,humidity,light,co2,humidity_ratio"
if gst-launch-1.0 liquidfusion name=f config=samples/smart-home/config.json sink_0::stream=rooms ! fakesink \
   $series masks=false time-since=false ! f.sink_0 >"$tmp/err" 2>&1; then fail "an unknown stream was accepted"; fi
grep -q 'config.json: streams\[\].name: no stream is named "rooms" (sink_0::stream); expected one of "room", "voice", "camera"' "$tmp/err" ||
  fail "unknown stream: $(cat "$tmp/err")"
# (gst-launch 1.22 does not always quit after an error while prerolling: at most 10 s.)
timeout 10 gst-launch-1.0 liquidfusion name=f config=samples/smart-home/config.json ! fakesink \
  $series masks=true time-since=false ! f.sink_0 >"$tmp/err" 2>&1 || true
grep -q "Got EOS" "$tmp/err" && fail "a width mismatch was accepted"
grep -q "config.json: streams\[0\] 'room' (model 'occupancy', .*occupancy_cfc.safetensors) takes 5 inputs, but the features on sink_0 are 10 wide" "$tmp/err" ||
  fail "width mismatch: $(cat "$tmp/err")"
echo "smart-home gst: $(grep 'liquid (room' "$tmp/gst.report" | tr -s ' '), $(grep 'heard right' "$tmp/gst.report" | tr -s ' '), lights by command $by_command"
