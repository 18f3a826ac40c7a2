#!/usr/bin/env bash
# Retrains the shipped keyword-spotting model (samples/models/fsdd_cfc.safetensors) from the FSDD
# recordings in samples/data/audio/fsdd/recordings, then evaluates it on the test split (index 0-4)
# in batch and in streaming, and draws its confusion matrix. Run from the repository root after
#   cmake -S . -B build -G Ninja && cmake --build build --target liquid kws_stream
set -euo pipefail
build="${1:-build}"
"$build/apps/liquid" train samples/train/fsdd_cfc.json --out out/fsdd_cfc
cp out/fsdd_cfc/model.safetensors samples/models/fsdd_cfc.safetensors
"$build/apps/liquid" eval samples/models/fsdd_cfc.safetensors --data samples/data/audio/fsdd/recordings \
  --confusion samples/kws/fsdd_confusion.png
"$build/samples/kws/kws_stream" -q samples/models/fsdd_cfc.safetensors samples/data/audio/fsdd/recordings/*_[0-4].flac | tail -n 2
