#!/usr/bin/env bash
# liquid import / info / run on the shipped sample, and the errors a user meets on bad input.
set -euo pipefail
liquid="$1"
root="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$liquid" import --ncps "$root/samples/data/ltc_ncp_state.safetensors" --config "$root/samples/data/ltc_ncp_config.json" \
  -o "$tmp/m.safetensors" >/dev/null
"$liquid" info "$tmp/m.safetensors" | grep -q "NCP: 4 sensory -> 5 inter -> 4 command -> 2 motor" || fail "info wiring"
"$liquid" info "$tmp/m.safetensors" | grep -q "parameters:  705 trainable" || fail "info parameters"
"$liquid" run "$tmp/m.safetensors" --input "$root/samples/data/irregular_series.csv" --state -o "$tmp/out.csv"
rows=$(($(wc -l <"$root/samples/data/irregular_series.csv") - 1))
[ "$(($(wc -l <"$tmp/out.csv") - 1))" -eq "$rows" ] || fail "one output row per input row"
head -n 1 "$tmp/out.csv" | grep -q "^time,y1,y2,h1,h2,h3,h4,h5,h6,h7,h8,h9,h10,h11$" || fail "output header"

# The first row alone gives the full run's first outputs: both start from the zero state at t0 = 0.
"$liquid" run "$tmp/m.safetensors" --input <(head -n 2 "$root/samples/data/irregular_series.csv") -o "$tmp/one.csv"
[ "$(sed -n 2p "$tmp/one.csv")" = "$(sed -n 2p "$tmp/out.csv" | cut -d, -f1-3)" ] || fail "first row differs"

# A time that goes back names the line.
printf 'time,a,b,c,d\n0,1,2,3,4\n2,1,2,3,4\n1,1,2,3,4\n' >"$tmp/back.csv"
if "$liquid" run "$tmp/m.safetensors" --input "$tmp/back.csv" 2>"$tmp/err"; then fail "time going back accepted"; fi
grep -q "back.csv:4: column 1 ('time'): time 1 goes back before line 3" "$tmp/err" || { cat "$tmp/err"; fail "time error"; }

# Text in a number column names line and column.
printf '0,1,2,x,4\n' >"$tmp/text.csv"
if "$liquid" run "$tmp/m.safetensors" --input "$tmp/text.csv" 2>"$tmp/err"; then fail "text accepted"; fi
grep -q "text.csv:1: column 4 ('c3'): expected a number, got 'x'" "$tmp/err" || { cat "$tmp/err"; fail "text error"; }

# A CfC state with an LTC config is refused, naming the tensor.
if "$liquid" import --ncps "$root/tests/data/cfc_default.safetensors" --config "$root/samples/data/ltc_ncp_config.json" \
  -o "$tmp/x.safetensors" 2>"$tmp/err"; then fail "cfc as ltc accepted"; fi
grep -q "is not a parameter of this model (LTC" "$tmp/err" || { cat "$tmp/err"; fail "cfc as ltc error"; }

# A truncated model file is refused naming the file.
head -c 100 "$tmp/m.safetensors" >"$tmp/trunc.safetensors"
if "$liquid" info "$tmp/trunc.safetensors" 2>"$tmp/err"; then fail "truncated accepted"; fi
grep -q "trunc.safetensors" "$tmp/err" || { cat "$tmp/err"; fail "truncated error"; }
"$liquid" run --help | grep -q -- "--t0" || fail "run --help"

# export --ncps writes a state_dict and a config that import reads back to the same model.
"$liquid" export "$tmp/m.safetensors" --ncps -o "$tmp/back.safetensors" --config "$tmp/back.json" >/dev/null
"$liquid" import --ncps "$tmp/back.safetensors" --config "$tmp/back.json" -o "$tmp/m2.safetensors" >/dev/null
"$liquid" run "$tmp/m2.safetensors" --input "$root/samples/data/irregular_series.csv" --state -o "$tmp/out2.csv"
cmp -s "$tmp/out.csv" "$tmp/out2.csv" || fail "export/import round trip changed the outputs"
# A genome is counted without a model file: parameters and the state at the contexts asked for.
"$liquid" info "d64 attn:h4 mlp:4" --context 1024 >"$tmp/genome.txt"
grep -q "genome:      d64 attn:h4,kv2,hd16 mlp:4" "$tmp/genome.txt" || fail "info genome: $(cat "$tmp/genome.txt")"
grep -q "parameters:  61664, 61664 active" "$tmp/genome.txt" || fail "info genome parameters: $(cat "$tmp/genome.txt")"
grep -q "state:       262144 bytes per stream at a context of 1024 samples" "$tmp/genome.txt" || fail "info genome state"
if "$liquid" info "d64 rnn:3" 2>"$tmp/err"; then fail "a bad genome accepted"; fi
grep -q "unknown block kind 'rnn'" "$tmp/err" || fail "bad genome error: $(cat "$tmp/err")"
if "$liquid" info "$tmp/missing.safetensors" 2>"$tmp/err"; then fail "a missing model accepted"; fi
grep -q "does not exist" "$tmp/err" || fail "missing model error: $(cat "$tmp/err")"
echo "cli tests passed"
