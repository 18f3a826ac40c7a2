#!/bin/sh
# Runs one samples/gst script and checks that the pipeline reached EOS after posting decisions:
#   gst_launch_test.sh SCRIPT ARGS...
set -eu
out=$("$@" 2>&1) || { echo "$out"; echo "FAIL: $1 exited with an error"; exit 1; }
echo "$out" | tail -20
echo "$out" | grep -q "liquid-decision" || { echo "FAIL: no liquid-decision message"; exit 1; }
echo "$out" | grep -q "Got EOS" || { echo "FAIL: no EOS"; exit 1; }
echo "decisions: $(echo "$out" | grep -c 'liquid-decision')"
