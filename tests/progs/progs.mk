# Small programs that tests drive (not fixtures of the runtime).
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/%,$(filter-out tests/progs/unwind_cmp.c tests/progs/reload_lib.c,$(wildcard tests/progs/*.c)))
$(BUILD)/tests/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -ldl -lpthread $(PROG_LIBS)

# C++ programs link libbtfake.so (tests/progs/libbtfake.cpp: a stand-in
# runtime exporting hooked names) found next to them; tests/progs/lib*.cpp
# become shared libraries.
TEST_CXX_LIBS := $(patsubst tests/progs/%.cpp,$(BUILD)/tests/%.so,$(wildcard tests/progs/lib*.cpp))
TEST_CXX_PROGS := $(patsubst tests/progs/%.cpp,$(BUILD)/tests/%,$(filter-out tests/progs/lib%,$(wildcard tests/progs/*.cpp)))
PROG_CXXFLAGS := -std=c++17 -O1 -g -fPIC $(CWARN) $(SAN)
$(BUILD)/tests/lib%.so: tests/progs/lib%.cpp $(wildcard tests/progs/*.h)
	@mkdir -p $(dir $@)
	$(CXX) $(PROG_CXXFLAGS) -shared $< -o $@ -Wl,-rpath,'$$ORIGIN' -ldl -lpthread $(PROG_LIBS)
$(BUILD)/tests/%: tests/progs/%.cpp $(wildcard tests/progs/*.h) $(BUILD)/tests/libbtfake.so
	@mkdir -p $(dir $@)
	$(CXX) $(PROG_CXXFLAGS) $< -o $@ -L$(BUILD)/tests -lbtfake -Wl,-rpath,'$$ORIGIN' -ldl -lpthread
# A library that links libbtfake.so and calls a hooked name from its destructor.
$(BUILD)/tests/libbtdtor.so: $(BUILD)/tests/libbtfake.so
$(BUILD)/tests/libbtdtor.so: private PROG_LIBS = -L$(BUILD)/tests -lbtfake
# An application with its own use of libunwind.
$(BUILD)/tests/unwind_user: private PROG_LIBS = -lunwind

# The recorder's stack walker against unw_backtrace (t_unwind_walker), on
# code built four ways: the frames' unwind rules differ with each.
UNWIND_CMP_SRCS := tests/progs/unwind_cmp.c preload/unwind.c
UNWIND_CMP_DEPS := $(UNWIND_CMP_SRCS) preload/unwind.h preload/recorder.h
UNWIND_CMP_FLAGS := -std=c11 -D_GNU_SOURCE -g $(CWARN) -Icommon -Ipreload
UNWIND_CMP := $(BUILD)/tests/unwind_cmp $(BUILD)/tests/unwind_cmp_O0 $(BUILD)/tests/unwind_cmp_fp
$(BUILD)/tests/unwind_cmp: $(UNWIND_CMP_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(UNWIND_CMP_FLAGS) -O2 $(SAN) $(UNWIND_CMP_SRCS) -o $@ -lunwind -lpthread
$(BUILD)/tests/unwind_cmp_O0: $(UNWIND_CMP_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(UNWIND_CMP_FLAGS) -O0 $(SAN) $(UNWIND_CMP_SRCS) -o $@ -lunwind -lpthread
$(BUILD)/tests/unwind_cmp_fp: $(UNWIND_CMP_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(UNWIND_CMP_FLAGS) -O2 -fno-omit-frame-pointer $(SAN) $(UNWIND_CMP_SRCS) -o $@ -lunwind -lpthread
ifneq ($(shell command -v clang 2>/dev/null),)
UNWIND_CMP += $(BUILD)/tests/unwind_cmp_clang
$(BUILD)/tests/unwind_cmp_clang: $(UNWIND_CMP_DEPS)
	@mkdir -p $(dir $@)
	clang $(UNWIND_CMP_FLAGS) -O2 $(UNWIND_CMP_SRCS) -o $@ -lunwind -lpthread
endif

# One library twice, with a different frame in the same code (dlreload).
RELOAD_LIBS := $(BUILD)/tests/libreload1.so $(BUILD)/tests/libreload2.so
$(BUILD)/tests/libreload%.so: tests/progs/reload_lib.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -fPIC -shared -fno-stack-protector -DFRAME=$$(( $* * 3000 - 2000 )) $(CWARN) $< -o $@

test-progs: $(TEST_PROGS) $(TEST_CXX_LIBS) $(TEST_CXX_PROGS) $(UNWIND_CMP) $(RELOAD_LIBS)
# Signature libraries (t_decode_signature): real-shaped declarations need C++20's std::span.
$(BUILD)/tests/libbtmesh.so $(BUILD)/tests/libbtsig26.so $(BUILD)/tests/libbtsig25.so $(BUILD)/tests/libbtsigdrift.so: private PROG_CXXFLAGS += -std=c++20

# The other allocators the malloc probes must leave the program
# (t_probes_other_alloc): Debian's jemalloc and tcmalloc, test-only.
ALLOC_PKGS := libjemalloc2 libtcmalloc-minimal4
$(BUILD)/.alloc-deps: scripts/deps.sh tests/progs/progs.mk
	@scripts/deps.sh $(ALLOC_PKGS)
	@mkdir -p $(dir $@) && touch $@
$(BUILD)/tests/otheralloc: | $(BUILD)/.alloc-deps
