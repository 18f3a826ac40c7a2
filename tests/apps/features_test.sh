#!/usr/bin/env bash
# liquid features on the shipped audio, video and series files: row counts, widths, first times,
# the PNGs, and the errors a user meets on a bad file (message naming it, exit code != 0).
set -euo pipefail
liquid="$1"
root="$2"
data="$root/tests/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
rows() { echo $(($(wc -l <"$1") - 1)); }
width() { head -n 1 "$1" | awk -F, '{print NF - 1}'; }

# Audio: 0_george_0.wav has 2,384 samples at 8 kHz -> (2384 - 200) / 80 + 1 = 28 frames of 40 log-mel
# bands (25 ms window, 10 ms hop); the first frame's time is its window's centre, 12.5 ms.
"$liquid" features "$data/audio/0_george_0.wav" >"$tmp/a.csv"
[ "$(rows "$tmp/a.csv")" -eq 28 ] || fail "audio rows $(rows "$tmp/a.csv")"
[ "$(width "$tmp/a.csv")" -eq 40 ] || fail "audio width $(width "$tmp/a.csv")"
[ "$(sed -n 2p "$tmp/a.csv" | cut -d, -f1)" = "0.0125" ] || fail "audio first time $(sed -n 2p "$tmp/a.csv" | cut -d, -f1)"
[ "$(sed -n 3p "$tmp/a.csv" | cut -d, -f1)" = "0.0225" ] || fail "audio second time"
# MFCC with deltas and delta-deltas: 13 x 3 columns, same frames (the tail is flushed).
"$liquid" features "$data/audio/0_george_0.wav" --kind mfcc --deltas 2 -o "$tmp/m.csv" --plot "$tmp/m.png" >/dev/null
[ "$(rows "$tmp/m.csv")" -eq 28 ] || fail "mfcc rows"
[ "$(width "$tmp/m.csv")" -eq 39 ] || fail "mfcc width $(width "$tmp/m.csv")"
"$liquid" features "$data/audio/0_george_0.wav" --bands 20 --window 0.05 --hop 0.02 -o "$tmp/b.csv" --plot "$tmp/a.png" >/dev/null
[ "$(width "$tmp/b.csv")" -eq 20 ] || fail "bands"
[ "$(rows "$tmp/b.csv")" -eq 13 ] || fail "hop 20 ms rows $(rows "$tmp/b.csv")"  # (2384 - 400) / 160 + 1
[ -s "$tmp/a.png" ] && [ -s "$tmp/m.png" ] || fail "audio plots"

# Video: vtest_20.avi, 20 frames at 10 fps; default grey + motion on an 8 x 6 grid = 48 + 48 + 1.
"$liquid" features "$data/video/vtest_20.avi" -o "$tmp/v.csv" --plot "$tmp/v.png" >/dev/null
[ "$(rows "$tmp/v.csv")" -eq 20 ] || fail "video rows $(rows "$tmp/v.csv")"
[ "$(width "$tmp/v.csv")" -eq 97 ] || fail "video width $(width "$tmp/v.csv")"
[ "$(sed -n 3p "$tmp/v.csv" | cut -d, -f1)" = "0.1" ] || fail "video second time"
"$liquid" features "$data/video/vtest_20.avi" --grid 4x3 --motion --flow -o "$tmp/f.csv" >/dev/null
[ "$(width "$tmp/f.csv")" -eq 37 ] || fail "motion + flow width $(width "$tmp/f.csv")"  # 12 + 1 + 24
[ -s "$tmp/v.png" ] || fail "video plot"

# Series: S&P 500 head, ISO dates, 6 value columns; chosen columns with masks and time since.
n=$(($(grep -c . "$data/series/sp500_2000_head.csv") - 1))
"$liquid" features "$data/series/sp500_2000_head.csv" -o "$tmp/s.csv" --plot "$tmp/s.png" >/dev/null
[ "$(rows "$tmp/s.csv")" -eq "$n" ] || fail "series rows"
[ "$(width "$tmp/s.csv")" -eq 6 ] || fail "series width"
[ "$(sed -n 2p "$tmp/s.csv" | cut -d, -f1)" = "946857600" ] || fail "series first time (2000-01-03 UTC)"
"$liquid" features "$data/series/sp500_2000_head.csv" --columns close,volume --masks --since --normalize >"$tmp/c.csv"
head -n 1 "$tmp/c.csv" | grep -q "^time,close,volume,mask_close,mask_volume,since_close,since_volume$" ||
  fail "series names: $(head -n 1 "$tmp/c.csv")"
[ -s "$tmp/s.png" ] || fail "series plot"
# A time going back: dropped on request (else an error, below); NA is a missing value, kept as a mask.
printf 'time,a\n0,1\n2,NA\n1,3\n' >"$tmp/back.csv"
"$liquid" features "$tmp/back.csv" --on-time-reversal drop --masks >"$tmp/d.csv"
[ "$(rows "$tmp/d.csv")" -eq 2 ] || fail "drop rows"
[ "$(sed -n 3p "$tmp/d.csv")" = "2,0,0" ] || fail "missing value as mask: $(sed -n 3p "$tmp/d.csv")"

# Bad input: a message naming the file, exit code != 0.
expect_error() {  # expect_error PATTERN ARGS...
  local pattern="$1"; shift
  if "$liquid" features "$@" >"$tmp/out" 2>"$tmp/err"; then fail "accepted: $*"; fi
  grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err"; fail "error for $* lacks '$pattern'"; }
}
printf 'RIFF1234WAVEjunk' >"$tmp/broken.wav"
expect_error "broken.wav" "$tmp/broken.wav"
: >"$tmp/empty.avi"
expect_error "empty.avi" "$tmp/empty.avi"
expect_error "back.csv" "$tmp/back.csv"
printf 'time,a\n0,1\n1,x\n' >"$tmp/text.csv"
expect_error "text.csv:3" "$tmp/text.csv"
expect_error "missing.wav: no such file" "$tmp/missing.wav"
cp "$tmp/text.csv" "$tmp/data.xyz"
expect_error "data.xyz: cannot tell the source kind" "$tmp/data.xyz"
expect_error "grid" "$data/video/vtest_20.avi" --grid 8by6
echo "features tests passed"
