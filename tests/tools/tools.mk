# buftrace: symbolizer test tools and inputs (included by the top Makefile; also usable
# standalone: make -f tests/tools/tools.mk BUILD=build symtools).
#
#   $(BUILD)/tools/symtest   symbolize addresses with analyzer/symbolize.c
#   $(BUILD)/tools/zdebug    rewrite .debug_* sections zstd-compressed (see zdebug.c)
#   $(BUILD)/tools/symdata/  test inputs for tests/t_symbolize.sh, one directory per case:
#     gcc/ clang/            g++ -g -O2 / clang++ -gdwarf-5 -O2 (clang: no .debug_aranges)
#     gcc-zstd/ clang-zstd/  the same passed through zdebug
#     gcc-zlib/              gcc build, objcopy --compress-debug-sections=zlib (libdw's job)
#     split/                 gcc lib stripped, .gnu_debuglink -> .debug/libsymlib.so.debug
#                            (debug file without build-id: verified by CRC)
#     splitbad/              like split/, but the file found is another binary's (bad CRC)
#     splitbid/              clang lib stripped; debug file (zstd) found by build-id under
#                            root/usr/lib/debug/.build-id/ (BUFTRACE_DEBUG_ROOT=root)
#     nodebug/               gcc lib and program strip --strip-all (only .dynsym left)
# The inputs are built with g++ and clang++ by name (the cases are about those compilers),
# without $(SAN); the clang cases are left out when clang++ is missing.

BUILD   ?= build
CWARN   ?= -Wall -Wextra -Werror
SAN     ?=
OBJCOPY ?= objcopy
SYMDATA_GXX     ?= g++
SYMDATA_CLANGXX ?= clang++

SYMTOOLS := $(BUILD)/tools
SYMDATA  := $(SYMTOOLS)/symdata
SYMSRC   := tests/tools/symdata
SYMTOOLS_CFLAGS := -std=c11 -g -O2 $(CWARN) -D_GNU_SOURCE -Ianalyzer $(SAN)
SYMTOOLS_LIBS   := -ldw -lelf -lzstd -lstdc++
SYMDATA_CXXFLAGS := -O2 -fno-omit-frame-pointer -Wl,--build-id

SYMDATA_CASES := gcc gcc-zstd gcc-zlib split splitbad nodebug
ifneq ($(shell command -v $(SYMDATA_CLANGXX) 2>/dev/null),)
SYMDATA_CASES += clang clang-zstd splitbid
endif

.PHONY: symtools
symtools: $(SYMTOOLS)/symtest $(SYMTOOLS)/zdebug $(patsubst %,$(SYMDATA)/%/.stamp,$(SYMDATA_CASES))

$(SYMTOOLS)/symtest: tests/tools/symtest.c analyzer/symbolize.c analyzer/symbolize.h
	@mkdir -p $(dir $@)
	$(CC) $(SYMTOOLS_CFLAGS) -o $@ tests/tools/symtest.c analyzer/symbolize.c $(SYMTOOLS_LIBS)

$(SYMTOOLS)/zdebug: tests/tools/zdebug.c
	@mkdir -p $(dir $@)
	$(CC) $(SYMTOOLS_CFLAGS) -o $@ $< -lzstd

# $(1) = case directory, $(2) = compiler, $(3) = debug flags
define symdata_compile
$(SYMDATA)/$(1)/.stamp: $(SYMSRC)/symlib.cpp $(SYMSRC)/symprog.cpp
	@mkdir -p $(SYMDATA)/$(1)
	$(2) $(3) $(SYMDATA_CXXFLAGS) -fPIC -shared -o $(SYMDATA)/$(1)/libsymlib.so $(SYMSRC)/symlib.cpp
	$(2) $(3) $(SYMDATA_CXXFLAGS) -o $(SYMDATA)/$(1)/symprog $(SYMSRC)/symprog.cpp \
	    -L$(SYMDATA)/$(1) -lsymlib -Wl,-rpath,'$$$$ORIGIN'
	@touch $$@
endef
$(eval $(call symdata_compile,gcc,$(SYMDATA_GXX),-g))
$(eval $(call symdata_compile,clang,$(SYMDATA_CLANGXX),-gdwarf-5))

$(SYMDATA)/%-zstd/.stamp: $(SYMDATA)/%/.stamp $(SYMTOOLS)/zdebug
	@mkdir -p $(dir $@)
	$(SYMTOOLS)/zdebug $(SYMDATA)/$*/libsymlib.so $(dir $@)libsymlib.so
	$(SYMTOOLS)/zdebug $(SYMDATA)/$*/symprog $(dir $@)symprog
	@touch $@

$(SYMDATA)/gcc-zlib/.stamp: $(SYMDATA)/gcc/.stamp
	@mkdir -p $(dir $@)
	$(OBJCOPY) --compress-debug-sections=zlib $(SYMDATA)/gcc/libsymlib.so $(dir $@)libsymlib.so
	$(OBJCOPY) --compress-debug-sections=zlib $(SYMDATA)/gcc/symprog $(dir $@)symprog
	@touch $@

$(SYMDATA)/split/.stamp: $(SYMDATA)/gcc/.stamp
	@mkdir -p $(dir $@).debug
	$(OBJCOPY) --only-keep-debug --remove-section=.note.gnu.build-id \
	    $(SYMDATA)/gcc/libsymlib.so $(dir $@).debug/libsymlib.so.debug
	$(OBJCOPY) --strip-all --add-gnu-debuglink=$(dir $@).debug/libsymlib.so.debug \
	    $(SYMDATA)/gcc/libsymlib.so $(dir $@)libsymlib.so
	@touch $@

# The link records the CRC of split/'s debug file; the file found there instead is the
# (build-id-less) debug file of another binary, symprog, which must be rejected.
$(SYMDATA)/splitbad/.stamp: $(SYMDATA)/split/.stamp $(SYMDATA)/gcc/.stamp
	@mkdir -p $(dir $@)
	$(OBJCOPY) --strip-all --add-gnu-debuglink=$(SYMDATA)/split/.debug/libsymlib.so.debug \
	    $(SYMDATA)/gcc/libsymlib.so $(dir $@)libsymlib.so
	$(OBJCOPY) --only-keep-debug --remove-section=.note.gnu.build-id \
	    $(SYMDATA)/gcc/symprog $(dir $@)libsymlib.so.debug
	@touch $@

$(SYMDATA)/splitbid/.stamp: $(SYMDATA)/clang/.stamp $(SYMTOOLS)/zdebug
	@mkdir -p $(dir $@)
	set -e; bid=$$(readelf -n $(SYMDATA)/clang/libsymlib.so | sed -n 's/^ *Build ID: *//p'); \
	    test -n "$$bid"; \
	    d=$(SYMDATA)/root/usr/lib/debug/.build-id/$$(echo $$bid | cut -c1-2); mkdir -p $$d; \
	    $(OBJCOPY) --only-keep-debug $(SYMDATA)/clang/libsymlib.so $(dir $@)tmp.debug; \
	    $(SYMTOOLS)/zdebug $(dir $@)tmp.debug $$d/$$(echo $$bid | cut -c3-).debug; \
	    rm -f $(dir $@)tmp.debug
	$(OBJCOPY) --strip-all $(SYMDATA)/clang/libsymlib.so $(dir $@)libsymlib.so
	@touch $@

$(SYMDATA)/nodebug/.stamp: $(SYMDATA)/gcc/.stamp
	@mkdir -p $(dir $@)
	$(OBJCOPY) --strip-all $(SYMDATA)/gcc/libsymlib.so $(dir $@)libsymlib.so
	$(OBJCOPY) --strip-all $(SYMDATA)/gcc/symprog $(dir $@)symprog
	@touch $@
