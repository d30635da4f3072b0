#!/usr/bin/env bash
# Runs every test through CTest: unit, golden, conformance and end-to-end (tests/CMakeLists.txt
# registers the tests that start the real binary and the npm clients).
set -euo pipefail
build_dir=${1:-build}
status=0
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 600 || status=$?
# The real-client matrix written by the e2e_clients test (tests/CMakeLists.txt).
matrix="$build_dir/tests/client-matrix/matrix.txt"
if [[ -f "$matrix" ]]; then cat "$matrix"; fi
exit "$status"
