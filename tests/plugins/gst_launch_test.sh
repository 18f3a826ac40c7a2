#!/bin/sh
# Runs one samples/gst script and checks that the pipeline reached EOS after posting decisions:
#   [EXPECT=TEXT] gst_launch_test.sh SCRIPT ARGS...
# With EXPECT, some decision message must also contain TEXT (e.g. the pad it came from).
set -eu
out=$("$@" 2>&1) || { echo "$out"; echo "FAIL: $1 exited with an error"; exit 1; }
echo "$out" | tail -20
echo "$out" | grep -q "liquid-decision" || { echo "FAIL: no liquid-decision message"; exit 1; }
echo "$out" | grep -q "Got EOS" || { echo "FAIL: no EOS"; exit 1; }
if [ -n "${EXPECT:-}" ]; then
  echo "$out" | grep "liquid-decision" | grep -qF "$EXPECT" || { echo "FAIL: no decision with $EXPECT"; exit 1; }
fi
echo "decisions: $(echo "$out" | grep -c 'liquid-decision')"
