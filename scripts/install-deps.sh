#!/usr/bin/env bash
# Installs what building and testing trackly needs on Debian 12, and nothing that is already there.
# Debian packages via apt-get; the end-to-end test clients via npm (tests/e2e/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libsimdjson-dev nlohmann-json3-dev libabsl-dev
  libprotobuf-dev protobuf-compiler libsqlite3-dev zlib1g-dev libzstd-dev libssl-dev libre2-dev
  libtomlplusplus-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine may have Node.js from elsewhere (not via Debian); npm and node on PATH are enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages for the end-to-end tests (real OpenTelemetry exporters).
if [[ -f tests/e2e/package.json ]]; then
  if [[ ! -d tests/e2e/node_modules ]] || [[ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]]; then
    echo "install-deps: npm ci in tests/e2e"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
