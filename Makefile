# buftrace: top-level build.  `make` builds the preload and the command,
# `make demo` records and reports the bundled demo, `make test` runs the suite.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BUILD      ?= build
CC         ?= gcc
CXX        ?= g++
OPT        ?= -O2
SAN        ?=
CWARN      := -Wall -Wextra -Werror
CFLAGS_ALL := -std=c11 -g $(OPT) $(CWARN) -D_GNU_SOURCE -DBUFTRACE_VERSION='"$(VERSION)"' \
              -Icommon $(SAN) $(CFLAGS)
LDFLAGS_ALL := $(SAN) $(LDFLAGS)

COMMON_SRCS   := common/trace_format.c common/hook_table.c common/sigdecode.c
PRELOAD_SRCS  := $(filter-out preload/probes_malloc.c,$(wildcard preload/*.c))
ANALYZER_SRCS := analyzer/objects.c analyzer/main.c analyzer/cmd_record.c analyzer/cmd_dump.c analyzer/cmd_report.c analyzer/cmd_diff.c analyzer/cmd_hooks.c \
                 analyzer/trace_reader.c analyzer/json.c analyzer/model.c analyzer/leaks.c analyzer/groups.c analyzer/symbolize.c \
                 analyzer/xalloc.c analyzer/timeline.c analyzer/report_html.c analyzer/report_perfetto.c
ANALYZER_LIBS := -ldw -lelf -lzstd -lstdc++ -lpthread

LIB  := $(BUILD)/lib/buftrace/libbuftrace.so
# the same recorder plus malloc/free/new/delete probes: `record --probes malloc`
MLIB := $(BUILD)/lib/buftrace/libbuftrace-malloc.so
BIN  := $(BUILD)/bin/buftrace

.PHONY: all deps demo test test-scale test-html screenshot install clean fixtures test-progs
VK_MANIFESTS := $(BUILD)/lib/buftrace/VkLayer_buftrace.json $(BUILD)/lib/buftrace/VkLayer_buftrace_malloc.json
all: $(BUILD)/.deps $(LIB) $(MLIB) $(BIN) $(VK_MANIFESTS)

# Installs missing Debian packages as root, else prints the apt-get line.
$(BUILD)/.deps: scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@
deps: $(BUILD)/.deps

# The recorder's code placed on fixed boundaries: unaligned, an edit
# anywhere in it moved the hook path's cost by 5 to 8 ns an event through
# where its loops fell (docs/performance.md, the fourth pass).
PRELOAD_ALIGN := -falign-functions=64 -falign-loops=32
$(BUILD)/obj/%.pic.o: %.c $(wildcard common/*.h common/*.def common/profiles/*.def preload/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PRELOAD_ALIGN) -fPIC -fvisibility=hidden -fexceptions -c $< -o $@

$(BUILD)/obj/%.o: %.c $(wildcard common/*.h common/*.def common/profiles/*.def analyzer/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# libzstd and libunwind: loaded when a process starts recording
# (preload/dynlib.h), linked into the probes' library
$(LIB): $(patsubst %.c,$(BUILD)/obj/%.pic.o,$(PRELOAD_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) -Wl,-z,now -Wl,--no-undefined \
	    -ldl -lpthread

$(BUILD)/obj/preload/dynlib.linked.pic.o: preload/dynlib.c $(wildcard common/*.h common/*.def common/profiles/*.def preload/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PRELOAD_ALIGN) -fPIC -fvisibility=hidden -fexceptions -DBT_DYNLIB_LINKED -c $< -o $@

# probes_malloc.o last: its constructor must run after the recorder's.
$(MLIB): $(patsubst %.c,$(BUILD)/obj/%.pic.o,$(filter-out preload/dynlib.c,$(PRELOAD_SRCS)) $(COMMON_SRCS)) \
	 $(BUILD)/obj/preload/dynlib.linked.pic.o $(BUILD)/obj/preload/probes_malloc.pic.o
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) -Wl,-z,now -Wl,--no-undefined \
	    -lunwind -lzstd -ldl -lpthread

$(BIN): $(patsubst %.c,$(BUILD)/obj/%.o,$(ANALYZER_SRCS) $(COMMON_SRCS)) $(BUILD)/obj/page_assets.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(ANALYZER_LIBS)

# The Vulkan layer's manifests, next to the libraries they name (a path
# relative to the manifest: the same file works installed).
$(BUILD)/lib/buftrace/VkLayer_buftrace.json: scripts/vk-manifest.sh
	@mkdir -p $(dir $@)
	scripts/vk-manifest.sh VK_LAYER_BUFTRACE libbuftrace.so > $@
$(BUILD)/lib/buftrace/VkLayer_buftrace_malloc.json: scripts/vk-manifest.sh
	@mkdir -p $(dir $@)
	scripts/vk-manifest.sh VK_LAYER_BUFTRACE_MALLOC libbuftrace-malloc.so > $@

# the html report's CSS and JS, compiled in as strings
PAGE_ASSETS_C := $(BUILD)/gen/page_assets.c
$(PAGE_ASSETS_C): analyzer/html/page.css analyzer/html/page.js scripts/embed.sh
	@mkdir -p $(dir $@)
	scripts/embed.sh bt_page_css analyzer/html/page.css bt_page_js analyzer/html/page.js > $@
$(BUILD)/obj/page_assets.o: $(PAGE_ASSETS_C) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

-include tests/fixtures/fixtures.mk
-include tests/tools/tools.mk
include tests/progs/progs.mk
include tests/runtimes/runtimes.mk
-include tests/fuzz/fuzz.mk
-include tests/sanitize.mk
include bench/bench.mk

demo: all fixtures
	@scripts/demo.sh $(BUILD)

test: all fixtures test-progs runtime-progs symtools fixtures-zdebug
	@tests/run.sh $(BUILD)

# a report over 3000 traces: under 30 s and 500 MB (about a minute)
test-scale: all fixtures
	@tests/run.sh $(BUILD) tests/scale/t_*.sh

# the html report in headless Chromium (installs Debian's chromium)
test-html: all fixtures
	@scripts/deps.sh chromium
	@tests/run.sh $(BUILD) tests/html/t_*.sh

# docs/html-report.png, the README's picture of the demo's page
screenshot: all fixtures
	@scripts/deps.sh chromium
	@scripts/screenshot.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/buftrace \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/buftrace
	install -m 755 $(LIB) $(DESTDIR)$(PREFIX)/lib/buftrace/libbuftrace.so
	install -m 755 $(MLIB) $(DESTDIR)$(PREFIX)/lib/buftrace/libbuftrace-malloc.so
	install -m 644 $(VK_MANIFESTS) $(DESTDIR)$(PREFIX)/lib/buftrace/
	install -m 644 docs/buftrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/buftrace.1

clean:
	rm -rf $(BUILD)
