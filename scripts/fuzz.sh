#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (installing clang and its runtime if missing) and runs
# each for a fixed time through ctest (fuzz/CMakeLists.txt; 20 s each): the safetensors, CSV and
# WAV readers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh clang libclang-rt-14-dev
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DLIQUID_FUZZ=ON -DLIQUID_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target safetensors_fuzz safetensors_fuzz_corpus csv_fuzz wav_fuzz wav_fuzz_corpus
ctest --test-dir build-fuzz -R fuzz --output-on-failure
