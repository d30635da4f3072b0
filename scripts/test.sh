#!/usr/bin/env bash
# Runs every test through CTest: unit, golden, conformance and end-to-end (tests/CMakeLists.txt
# registers the tests that start the real binary and the npm clients).
set -euo pipefail
build_dir=${1:-build}
exec ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600
