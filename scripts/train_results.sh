#!/usr/bin/env bash
# Trains every shipped configuration over several seeds and prints one line per run: the test
# figures and the wall time, as they go into the README's results table.
#   scripts/train_results.sh [build dir] [seeds...]      (default: build, seeds 1 2 3)
# Runs go to out/results/<config>_s<seed>/ (model, checkpoint, curve.csv, curve.png, log.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3)
for config in samples/train/*.json; do
  name=$(basename "$config" .json)
  for seed in "${seeds[@]}"; do
    out="out/results/${name}_s${seed}"
    mkdir -p "$out"
    "$build/apps/liquid" train "$config" --seed "$seed" --out "$out" > "$out/log.txt" 2>&1 || {
      echo "$name seed $seed: FAILED (see $out/log.txt)"; continue; }
    echo "$name seed $seed: $(grep -o 'test .*' "$out/log.txt" | head -1) | $(grep -o 'wall time [0-9.]* s' "$out/log.txt")"
  done
done
