#!/usr/bin/env bash
# Runs liquid-dashboard on a shipped sample under Xvfb for a few seconds and saves the window as a
# PNG (docs/dashboard.png by default), so a person can see what the dashboard shows.
# The sample: samples/data/irregular_series.csv (171 irregular room readings) driving the ncps LTC
# with an NCP wiring from samples/data, imported into liquid's format first.
#   scripts/screenshot.sh [BUILD_DIR (default build-gui)] [OUT.png (default docs/dashboard.png)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gui}
out=${2:-docs/dashboard.png}
cmake --build "$build" --target liquid liquid-dashboard
mkdir -p out/dash "$(dirname "$out")"
"$build/apps/liquid" import --ncps samples/data/ltc_ncp_state.safetensors \
  --config samples/data/ltc_ncp_config.json -o out/dash/ltc_ncp.safetensors > /dev/null
# The app grabs its own window (QWidget::grab) after --after seconds and quits; Xvfb gives it a real
# X display with the fonts and styles a desktop would have. (/usr/local/bin/convert is a stand-in
# here, so no ImageMagick step is needed or used.)
xvfb-run -a -s "-screen 0 1400x900x24" \
  "$build/gui/liquid-dashboard" gui/samples/irregular_ltc.json --start --after 6 --size 1280x820 --screenshot "$out"
echo "screenshot: $out"
