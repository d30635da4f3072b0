# The two commands a newcomer needs: `make run` and `make test` (see README.md).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-unit test-e2e sanitize tsan fuzz clean

all: build

# Installs whatever is missing (Debian packages via apt-get, test clients via npm).
deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

# Leaves the binary at build/trackly.
build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts trackly on 127.0.0.1:4318 with the embedded store in ./trackly-data and a demo project.
run: build
	@scripts/run.sh $(BUILD_DIR)/trackly

# Every test: unit, golden, conformance and end-to-end (real binary, real HTTP, npm clients).
test: build
	@scripts/test.sh $(BUILD_DIR)

# ASan + UBSan build of everything, then every test under it; the e2e tests run the sanitized
# binary. Reports go to build-sanitize/sanitizer-reports/ (the servers the e2e tests start have
# no terminal); any there is printed and fails the target. docs/security.md "Sanitizers".
SANITIZER_REPORTS := build-sanitize/sanitizer-reports
sanitize: deps
	cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Sanitize
	cmake --build build-sanitize -j $(JOBS)
	rm -rf $(SANITIZER_REPORTS) && mkdir -p $(SANITIZER_REPORTS)
	status=0; \
	ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/$(SANITIZER_REPORTS)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(SANITIZER_REPORTS)/ubsan \
	  ctest --test-dir build-sanitize --output-on-failure -j $(JOBS) --timeout 1200 || status=$$?; \
	if [ -n "$$(ls -A $(SANITIZER_REPORTS))" ]; then cat $(SANITIZER_REPORTS)/*; exit 1; fi; \
	exit $$status

# ThreadSanitizer build of the test binaries whose tests run threads against each other, then
# those tests under it. Builds in build-tsan/; docs/security.md "Sanitizers".
TSAN_TESTS := store_sqlite_test store_clickhouse_test spool_test server_test server_app_test cli_test
TSAN_TESTS_REGEX := ^($(shell echo $(TSAN_TESTS) | tr ' ' '|'))(_[0-9]+)?$$
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Tsan
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS)
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan/suppressions.txt second_deadlock_stack=1" \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS) --timeout 1200 \
	  -R '$(TSAN_TESTS_REGEX)'

# libFuzzer targets of every network decoder and parser, FUZZ_SECONDS each (needs clang;
# docs/security.md "Fuzzing"). Builds in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz: deps
	fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-tsan build-fuzz
