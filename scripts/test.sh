#!/usr/bin/env bash
# Install what is missing, build, run every test (ctest prints the summary).
# LIQUID_SANITIZE=1 builds into build-asan with AddressSanitizer + UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "${LIQUID_SANITIZE:-0}" = 1 ]; then
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIQUID_SANITIZE=ON -DLIQUID_BUILD_BENCH=OFF
  dir=build-asan
else
  scripts/build.sh build
  dir=build
fi
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"
