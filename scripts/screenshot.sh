#!/bin/sh
# make screenshot: the demo's html report as docs/html-report.png (the
# README's picture), in headless Chromium at 1280 px wide.
set -eu
BUILD=${1:-build}
out=$BUILD/screenshot
rm -rf "$out"
mkdir -p "$out"
. tests/lib/demo_record.sh
# the scenario make demo shows: a tensor still held at close
export TT_FIXTURE_HELD_TENSOR=1
BUFTRACE=$BUILD/bin/buftrace TOP=$(pwd) FIX=$BUILD/fixtures record_demo "$out"
"$BUILD/bin/buftrace" report --format html -o "$out/report.html" "$out"/buftrace.*.zst
HOME=$out timeout 120 chromium --headless=new --disable-gpu --no-sandbox --hide-scrollbars --no-first-run \
	--virtual-time-budget=5000 --force-device-scale-factor=0.75 --window-size=1280,1900 --screenshot="$out/report.png" "file://$(pwd)/$out/report.html#open" 2>/dev/null
cp "$out/report.png" docs/html-report.png
echo "docs/html-report.png from $out/report.html"
