#!/usr/bin/env bash
# samples/smart-home on its shipped data: `liquid stream samples/smart-home/config.json`, then the
# report's figures against floors (set a little under what the shipped models measured: occupancy
# 97.52 % per reading, 35 of 35 commands; the floor is the LTC paper's 94.63 %), the decisions' shape (every clip committed once, with
# its reason), and a configuration error that names the file and the field.
set -euo pipefail
liquid="$1"
report="$2"
root="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$root"

"$liquid" stream samples/smart-home/config.json --decisions "$tmp/d.jsonl" --trace "$tmp/t.lqtrace" 2>"$tmp/err" || { cat "$tmp/err"; fail "liquid stream"; }
# One decision per sample (2,665 room readings + 1,343 audio frames + 400 video frames = 4,408) and
# 37 from the decision clock: the commands' 0.25 s of silence ending, and "empty for 15 min" ending.
[ "$(wc -l <"$tmp/d.jsonl")" -eq 4445 ] || fail "decisions $(wc -l <"$tmp/d.jsonl"), expected 4445"
[ "$(grep -c '"heard":true' "$tmp/d.jsonl")" -eq 35 ] || fail "commits $(grep -c '"heard":true' "$tmp/d.jsonl"), expected one per clip (35)"
grep -q '"occupancy":{"value":"occupied","stream":"room","p":[0-9.]*,"neurons":\[{"n":' "$tmp/d.jsonl" || fail "no occupancy reason"
grep -q '"motion":{"value":"on","stream":"camera"' "$tmp/d.jsonl" || fail "the camera never saw motion"
grep -q '"lights":{"on":true,"fired":true,"by":"command=1"' "$tmp/d.jsonl" || fail "no command switched the lights on"
# The decision clock commits a word 0.25 s after its last frame, not at the next room reading.
python3 - "$tmp/d.jsonl" <<'PY' || fail "a command was not committed 0.25 s after its last frame"
import json, sys
last_voice = None
for line in open(sys.argv[1]):
    d = json.loads(line)
    if '"heard":true' in line.replace(' ', '') and last_voice is not None:
        assert abs(d["time"] - last_voice - 0.25) < 1e-3, (d["time"], last_voice)
    if "voice" in d.get("fresh", []):
        last_voice = d["time"]
PY

"$report" --decisions "$tmp/d.jsonl" --png "$tmp/t.png" --min-occupancy 0.9463 --min-commands 0.85 >"$tmp/report" ||
  { cat "$tmp/report"; fail "figures under their floors"; }
[ -s "$tmp/t.png" ] || fail "no timeline picture"
[ -s "$tmp/t.lqtrace" ] || fail "no neuron trace"
grep -q "always the majority class *63.53 %" "$tmp/report" || fail "majority baseline: $(grep majority "$tmp/report")"

# A head on a stream that does not exist: the error names the file, the field and the name.
sed 's/"name": "command", "stream": "voice"/"name": "command", "stream": "voices"/' samples/smart-home/config.json >"$tmp/bad.json"
if "$liquid" stream "$tmp/bad.json" 2>"$tmp/err" >/dev/null; then fail "a bad head stream was accepted"; fi
grep -q 'bad.json: fusion.heads\[1\].stream: "voices" is not the name of a stream' "$tmp/err" || fail "error: $(cat "$tmp/err")"
echo "smart-home: $(grep 'liquid (room' "$tmp/report" | tr -s ' '), $(grep 'heard right' "$tmp/report" | tr -s ' ')"
