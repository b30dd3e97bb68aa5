# libFuzzer target for the trace reader (tests/fuzz/fuzz_reader.c).
# Included by the top Makefile (`-include tests/fuzz/fuzz.mk`), after
# ANALYZER_SRCS, ANALYZER_LIBS and COMMON_SRCS.
#   make fuzz [FUZZ_SECONDS=60]   fuzz for a bounded time from tests/fuzz/corpus;
#                                 new inputs go to $(BUILD)/fuzz/corpus, crashers to
#                                 $(BUILD)/fuzz/crash-* (copy them to tests/fuzz/regress/)
#   make fuzz-replay              run tests/fuzz/corpus and regress once (gcc, no clang)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := $(BUILD)/fuzz
# the analyzer as the top Makefile lists it, but main.c (fuzz_reader.c
# stands in for what it defines)
FUZZ_SRCS := tests/fuzz/fuzz_reader.c $(filter-out analyzer/main.c,$(ANALYZER_SRCS)) $(COMMON_SRCS) $(PAGE_ASSETS_C)
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -Icommon -Ianalyzer

$(FUZZ_DIR)/fuzz_reader: $(FUZZ_SRCS) $(wildcard analyzer/*.h common/*.h common/*.def)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(FUZZ_SRCS) -o $@ $(ANALYZER_LIBS)

$(FUZZ_DIR)/fuzz_replay: $(FUZZ_SRCS) $(wildcard analyzer/*.h common/*.h common/*.def)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_FLAGS) -O2 -DFUZZ_REPLAY -Wall -Wextra -Werror $(SAN) $(FUZZ_SRCS) -o $@ $(ANALYZER_LIBS)

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_DIR)/fuzz_reader
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_reader -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_DIR)/corpus tests/fuzz/corpus

fuzz-replay: $(FUZZ_DIR)/fuzz_replay
	$(FUZZ_DIR)/fuzz_replay tests/fuzz/corpus/* $(wildcard tests/fuzz/regress/*)
