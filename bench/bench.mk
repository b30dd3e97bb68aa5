# `make bench`: buftrace against heaptrack and the unw_backtrace floor
# (bench/run.sh, docs/performance.md).  Not part of `make test`.
BENCH_DIR := $(BUILD)/bench
$(BENCH_DIR)/workload_a: bench/workload_a.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls $(CWARN) $< -o $@ -lpthread
$(BENCH_DIR)/libfloor.so: bench/floor_preload.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -fPIC -shared $(CWARN) $< -o $@ -lunwind
$(BENCH_DIR)/rusage: bench/rusage.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(CWARN) $< -o $@
bench-progs: $(BENCH_DIR)/workload_a $(BENCH_DIR)/libfloor.so $(BENCH_DIR)/rusage
bench: all fixtures bench-progs runtime-progs
	@bench/run.sh $(BUILD)
.PHONY: bench bench-progs
