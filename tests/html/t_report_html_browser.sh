#!/bin/sh
# The demo's html report in real headless Chromium (make test-html, which
# installs Debian's chromium): the page loads with no console message,
# its timeline shows the 12288 bytes of L1 left on chip 0 after the
# close, clicking a survivor opens its stack and hovering a chart shows
# a tooltip (the page's #selftest does both and records the result in
# the DOM), the held tensor's item names the Python line that made it, a
# plain buffer the program holds is called one, and a screenshot is written to $BUILD/html/demo.png.
. "$TESTLIB/common.sh"
. "$TESTLIB/demo_record.sh"
need_fixture gnu
CHROMIUM=$(command -v chromium || command -v chromium-browser) || skip "chromium not installed (make test-html installs it)"
record_demo "$WORK/d" || fail "record of the demo failed"
"$BUFTRACE" report --format html -o "$WORK/page.html" "$WORK"/d/buftrace.*.zst || fail "report --format html failed"
chrome() {
	HOME="$WORK" timeout 120 "$CHROMIUM" --headless=new --disable-gpu --no-sandbox --hide-scrollbars \
		--no-first-run --enable-logging=stderr --v=0 --virtual-time-budget=5000 "$@"
}
chrome --window-size=1280,1600 --dump-dom "file://$WORK/page.html#selftest" > "$WORK/dom.html" 2> "$WORK/log" ||
	{ tail -5 "$WORK/log"; fail "chromium failed"; }
# console messages of any level: the page writes none
if grep 'CONSOLE' "$WORK/log"; then
	fail "the page wrote to the console"
fi
body=$(grep -o '<body[^>]*>' "$WORK/dom.html")
case $body in *'data-rendered="1"'*) ;; *) fail "page did not render: $body" ;; esac
case $body in *data-error*) fail "page error: $body" ;; esac
case $body in *'data-selftest="open stack-visible frames='*' hover-ok"'*) ;; *) fail "clicking a survivor: $body" ;; esac
chip0=$(grep -o '<div class="chart" data-device="chip 0"[^>]*>' "$WORK/dom.html")
case $chip0 in *'data-after-close-l1="12288"'*'data-survivors-l1="12288"'*) ;;
	*) fail "chip 0 after the close: $chip0" ;; esac
# the demo as make demo runs it, with the tensor it holds at the close:
# the opened item (the tensor, largest first) names the Python line that
# made it, as the text report does
TT_FIXTURE_HELD_TENSOR=1 record_demo "$WORK/t" || fail "record of the demo with the held tensor failed"
"$BUFTRACE" report --format html -o "$WORK/tensor.html" "$WORK"/t/buftrace.*.zst || fail "report --format html failed"
chrome --window-size=1280,1600 --dump-dom "file://$WORK/tensor.html#selftest" > "$WORK/tdom.html" 2> "$WORK/log" ||
	{ tail -5 "$WORK/log"; fail "chromium failed"; }
line=$(grep -n 'return lib.ttnn_tensor_create' "$TOP/tests/fixtures/host.py" | head -1 | cut -d: -f1)
grep -q "held by the program: a tensor (MeshBuffer) made at fixtures/host.py:$line (make_tensor), still referenced" "$WORK/tdom.html" ||
	fail "the held tensor's item does not name host.py:$line: $(grep -o 'held by the program[^<]*' "$WORK/tdom.html")"
# a plain Buffer the program holds is no tensor (the page said "a tensor
# (MeshBuffer)" of every tt-metal item it held)
mkdir -p "$WORK/p"
BTMESH_HELD_PLAIN=1 "$BUFTRACE" record -o "$WORK/p" --quiet -- "$BUILD/tests/sigdrive" "$BUILD/tests/libbtmesh.so" > /dev/null 2>&1 ||
	fail "record of libbtmesh's plain held buffer failed"
"$BUFTRACE" report --format html -o "$WORK/plain.html" "$WORK"/p/buftrace.*.zst || fail "report --format html failed"
chrome --window-size=1280,1600 --dump-dom "file://$WORK/plain.html#selftest" > "$WORK/pdom.html" 2> "$WORK/log" ||
	{ tail -5 "$WORK/log"; fail "chromium failed"; }
grep -q "held by the program: a buffer it created still referenced" "$WORK/pdom.html" ||
	fail "the plain buffer's item: $(grep -o 'held by the program[^<]*' "$WORK/pdom.html")"
# its summary line says when it was made as the text report does ("after
# init"), never "runtime" beside a tensor the program holds
grep -q 'after init · ' "$WORK/tdom.html" || fail "the tensor's summary does not say 'after init'"
grep -q 'runtime · ' "$WORK/tdom.html" && fail "an item's summary says 'runtime'"
mkdir -p "$BUILD/html"
rm -f "$BUILD/html/demo.png"
chrome --window-size=1280,1100 --screenshot="$BUILD/html/demo.png" "file://$WORK/page.html" 2> "$WORK/log2" > /dev/null
[ -s "$BUILD/html/demo.png" ] || { tail -5 "$WORK/log2"; fail "no screenshot"; }
echo "page OK in $("$CHROMIUM" --version 2>/dev/null); screenshot $BUILD/html/demo.png"
