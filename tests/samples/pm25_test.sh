#!/usr/bin/env bash
# samples/pm25 on a shipped slice: the last 1,200 hours of 2014
# (tests/data/series/prsa_beijing_2014_last1200h.csv, inside the models' test period; the slice's
# first 25 % is its own "training period", which gives the climatology). The shipped CfC and hybrid
# backbone, and a CfC retrained by `liquid train samples/train/pm25_cfc.json --epochs 4`, must stay
# under an MAE ceiling and beat the better seasonal baseline by a margin, both set with room under
# what was measured (mean over 1..24 h: CfC 56.23, hybrid 55.13, the retrained CfC 58.65 µg/m³,
# against the climatology's 88.41: samples/pm25/README.md). The same floors for the CfC of the
# irregular series (NA rows dropped: shipped 55.63, retrained for 4 epochs 59.72, on its 741
# origins against a climatology of 88.63), plus its own ceiling of 62 read from the report (the
# shared ceiling of 65 is for the worst of all). Also the baselines' exact figures on both series,
# the picture, a model of another task and a model of the wrong series named in the error.
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
# The irregular series: its origins (the measured hours of the slice's test period with 24 measured
# hours ahead), persistence on them, and the origins both series score.
grep -q "steps 1 to 13 hours apart, 741 forecast origins" "$tmp/r" || fail "irregular origins: $(grep irregular "$tmp/r")"
[ "$(grep -Ec "persistence \(last measured\) +14.96 +33.53 +54.09 +77.52 +94.23 +69.96" "$tmp/r")" = 2 ] ||
  fail "persistence on the irregular series: $(grep persistence "$tmp/r")"
grep -q "on the 741 origins both score (regular 764, irregular 741)" "$tmp/r" || fail "common origins"
# The irregular CfC's own ceiling: its mean over 1..24 h (the first "CfC irregular" row).
irregular_mae=$(grep -m1 "CfC irregular (NA dropped)" "$tmp/r" | awk '{print $NF}')
awk -v m="$irregular_mae" 'BEGIN { exit !(m != "" && m <= 62) }' || fail "the irregular CfC's MAE $irregular_mae is over 62"
# The floors are applied to the irregular CfC: a ceiling under its figure fails and names it.
if "$report" "$data" "${slice[@]}" --max-mae 55.5 >"$tmp/r3" 2>&1; then fail "a ceiling of 55.5 passed"; fi
grep -q "CfC irregular (NA dropped) MAE 55.63 µg/m³ is over the ceiling 55.50" "$tmp/r3" ||
  fail "the irregular CfC is not held to the ceiling: $(tail -3 "$tmp/r3")"

# The CfCs' configurations retrained for 4 of their 16 epochs (to stay fast) under the same floors;
# not in the sanitizer build (PM25_RETRAIN=0), where training on the whole file takes minutes: the
# trainer's own tests run there.
if [ "${PM25_RETRAIN:-1}" = 1 ]; then
  for model in pm25_cfc pm25_cfc_irregular; do
    "$liquid" train "samples/train/$model.json" --epochs 4 --out "$tmp/$model" --threads 2 >"$tmp/train" 2>&1 ||
      { cat "$tmp/train"; fail "liquid train $model"; }
  done
  "$report" "$data" "${slice[@]}" --cfc "$tmp/pm25_cfc/model.safetensors" \
    --irregular "$tmp/pm25_cfc_irregular/model.safetensors" --max-mae 65 --min-margin 20 >"$tmp/r2" 2>&1 ||
    { cat "$tmp/r2"; fail "a retrained CfC is under its floors"; }
  cat "$tmp/r2"
else
  echo "retraining skipped (PM25_RETRAIN=0)"
fi

if "$report" "$data" "${slice[@]}" --irregular samples/models/pm25_cfc.safetensors >/dev/null 2>"$tmp/err"; then
  fail "the regular CfC was accepted as the irregular one"
fi
grep -q "pm25_cfc.safetensors: trained without task option drop_missing" "$tmp/err" || fail "error: $(cat "$tmp/err")"

if "$report" "$data" "${slice[@]}" --cfc samples/models/seattle_weather_cfc.safetensors >/dev/null 2>"$tmp/err"; then
  fail "a Seattle weather model was accepted"
fi
grep -q "seattle_weather_cfc.safetensors: metadata 'liquid.task' is 'seattle_weather'; expected 'weather'" "$tmp/err" ||
  fail "error: $(cat "$tmp/err")"
