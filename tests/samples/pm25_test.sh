#!/usr/bin/env bash
# samples/pm25 on a shipped slice: the last 1,200 hours of 2014
# (tests/data/series/prsa_beijing_2014_last1200h.csv, inside the models' test period; the slice's
# first 25 % is its own "training period", which gives the climatology). The shipped CfC and hybrid
# backbone, and a CfC retrained by `liquid train samples/train/pm25_cfc.json --epochs 4`, must stay
# under an MAE ceiling and beat the better seasonal baseline by a margin, both set with room under
# what was measured (mean over 1..24 h: CfC 56.23, hybrid 55.13, the retrained CfC 58.65 µg/m³,
# against the climatology's 88.41: samples/pm25/README.md). Also the baselines' exact figures, the
# picture, and a model of another task named in the error.
set -euo pipefail
liquid="$1"
report="$2"
root="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"
data=tests/data/series/prsa_beijing_2014_last1200h.csv
slice=(--validation-fraction 0 --test-fraction 0.75 --threads 2)

"$report" "$data" "${slice[@]}" --png "$tmp/p.png" --max-mae 65 --min-margin 20 >"$tmp/r" 2>&1 ||
  { cat "$tmp/r"; fail "the shipped models are under their floors"; }
cat "$tmp/r"
[ -s "$tmp/p.png" ] || fail "no picture"
grep -q "764 forecast origins" "$tmp/r" || fail "origins: $(head -1 "$tmp/r")"
grep -Eq "persistence \(last measured\) +15.13 +33.63 +53.84 +77.11 +94.98 +69.93" "$tmp/r" ||
  fail "persistence: $(grep persistence "$tmp/r")"
grep -Eq "hour-of-day climatology +88.85 +88.33 +87.91 +88.32 +88.32 +88.41" "$tmp/r" ||
  fail "climatology: $(grep climatology "$tmp/r")"

# The CfC's configuration retrained for 4 of its 16 epochs (to stay fast) under the same floors.
"$liquid" train samples/train/pm25_cfc.json --epochs 4 --out "$tmp/m" --threads 2 >"$tmp/train" 2>&1 ||
  { cat "$tmp/train"; fail "liquid train"; }
"$report" "$data" "${slice[@]}" --cfc "$tmp/m/model.safetensors" --max-mae 65 --min-margin 20 >"$tmp/r2" 2>&1 ||
  { cat "$tmp/r2"; fail "the retrained CfC is under its floors"; }

if "$report" "$data" "${slice[@]}" --cfc samples/models/seattle_weather_cfc.safetensors >/dev/null 2>"$tmp/err"; then
  fail "a Seattle weather model was accepted"
fi
grep -q "seattle_weather_cfc.safetensors: metadata 'liquid.task' is 'seattle_weather'; expected 'weather'" "$tmp/err" ||
  fail "error: $(cat "$tmp/err")"
