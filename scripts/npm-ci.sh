#!/usr/bin/env bash
# Runs `npm ci` in each folder given whose node_modules is missing or older than its
# package-lock.json, so repeated builds and `make deps` cost nothing once installed.
# Used by scripts/install-deps.sh (tests/e2e, web, data/tokenizers) and by the builds that need
# them (web/CMakeLists.txt, src/normalize/tokens/CMakeLists.txt).
set -euo pipefail
for dir in "$@"; do
  [[ -f "$dir/package-lock.json" ]] || { echo "npm-ci: no package-lock.json in $dir" >&2; exit 1; }
  if [[ ! -d "$dir/node_modules" ]] || [[ "$dir/package-lock.json" -nt "$dir/node_modules" ]]; then
    echo "npm-ci: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
done
