# `make test-sanitize`: the suite under ASan+UBSan, the threaded tests
# under TSan (scripts/test-sanitize.sh; builds into build-asan/ and
# build-tsan/).  Included by the top Makefile.
.PHONY: test-sanitize
test-sanitize:
	@scripts/test-sanitize.sh
