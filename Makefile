# The two commands a newcomer needs: `make run` and `make test` (see README.md).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-unit test-e2e sanitize fuzz clean

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

# ASan + UBSan build of everything, then the unit tests under it.
sanitize: deps
	cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Sanitize
	cmake --build build-sanitize -j $(JOBS)
	ctest --test-dir build-sanitize --output-on-failure -j $(JOBS)

# libFuzzer targets of every network decoder and parser, FUZZ_SECONDS each (needs clang;
# docs/security.md "Fuzzing"). Builds in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz: deps
	fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-fuzz
