#!/usr/bin/env bash
# Configures and builds liquid (Release) into build/ (or $1), passing further arguments to CMake.
# LIQUID_TARGETS="a b" builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
targets=()
for t in ${LIQUID_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
