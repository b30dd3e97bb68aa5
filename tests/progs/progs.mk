# Small programs that tests drive (not fixtures of the runtime).
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/%,$(wildcard tests/progs/*.c))
$(BUILD)/tests/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -ldl -lpthread
test-progs: $(TEST_PROGS)
