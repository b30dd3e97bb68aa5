# Small programs that tests drive (not fixtures of the runtime).
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/%,$(wildcard tests/progs/*.c))
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

test-progs: $(TEST_PROGS) $(TEST_CXX_LIBS) $(TEST_CXX_PROGS)
