#!/usr/bin/env bash
# Remakes the smart-home demo's three models (run from anywhere; BUILD_DIR default build/):
#   room    `liquid train samples/train/occupancy_cfc.json` (about 10 s) -> out/smart-home/occupancy_cfc/;
#           run.sh picks it with OCCUPANCY_MODEL=out/smart-home/occupancy_cfc/model.safetensors
#           (the shipped samples/models/occupancy_cfc.safetensors is this run, seed 1)
#   voice   samples/kws/train.sh (FSDD CfC, about 2 min) -> samples/models/fsdd_cfc.safetensors (with --kws)
#   camera  the hand-set motion neuron (make_motion_neuron.py) -> samples/smart-home/models/motion_ltc.safetensors
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
bin="$build/apps/liquid"
"$bin" train samples/train/occupancy_cfc.json --out out/smart-home/occupancy_cfc
python3 samples/smart-home/make_motion_neuron.py out/smart-home/motion
"$bin" import --ncps out/smart-home/motion/state.safetensors --config out/smart-home/motion/config.json \
  -o samples/smart-home/models/motion_ltc.safetensors
if [[ "${2:-}" == "--kws" ]]; then samples/kws/train.sh "$build"; fi
