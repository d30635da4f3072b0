#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (build dir build-fuzz, -DTRACKLY_FUZZ=ON) and runs
# each for SECONDS (default 60) over its corpus: the seeds make_corpus.py derives from
# shared/fixtures/captured/, plus whatever earlier runs added to build-fuzz/corpus/<name>/.
# Prints runs, coverage and the result per target; exits non-zero when any target crashed, leaked,
# timed out or hit an ASan/UBSan report (the input is saved as build-fuzz/artifacts/<name>/...).
#
# Usage: fuzz/run.sh [seconds-per-target]
#   env FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_TARGETS (space-separated subset),
#       FUZZ_JOBS (ninja -j, default 2)
set -euo pipefail

seconds="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
fixtures="$repo/../shared/fixtures"
targets="${FUZZ_TARGETS:-otlp_proto otlp_json langfuse_batch langsmith_batch langsmith_multipart decompress query_params}"

# The dictionary of each target (fuzz/<dict>.dict); none for decompress, whose input is compressed.
dict_of() {
  case "$1" in
    langfuse_batch) echo langfuse ;;
    langsmith_batch | langsmith_multipart) echo langsmith ;;
    decompress) echo "" ;;
    *) echo "$1" ;;
  esac
}

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRACKLY_FUZZ=ON >/dev/null
ninja -C "$build" -j "${FUZZ_JOBS:-2}" $(for t in $targets; do echo "${t}_fuzzer"; done) >/dev/null

seeds="$build/fuzz-seeds"
python3 "$repo/fuzz/make_corpus.py" "$fixtures" "$seeds"

failed=0
printf '%-20s %10s %8s %8s %8s  %s\n' target runs exec/s cov ft result
for target in $targets; do
  corpus="$build/corpus/$target"
  artifacts="$build/artifacts/$target"
  log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  dict="$(dict_of "$target")"
  [[ -n "$dict" ]] && args+=(-dict="$repo/fuzz/$dict.dict")
  # New inputs go to the first directory (kept between runs); the seeds are read only.
  if "$build/fuzz/${target}_fuzzer" "${args[@]}" "$corpus" "$seeds/$target" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log)"
    failed=1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  printf '%-20s %10s %8s %8s %8s  %s\n' "$target" "${runs:--}" "${speed:--}" "${cov:--}" "${ft:--}" "$result"
done
exit "$failed"
