#!/usr/bin/env bash
# Installs what building and testing trackly needs on Debian 12, and nothing that is already there.
# Debian packages via apt-get (chromium for the UI's browser tests, python3 for the Python SDK,
# clickhouse-server for the ClickHouse backend's tests, which start their own server);
# npm packages via scripts/npm-ci.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libsimdjson-dev nlohmann-json3-dev libabsl-dev
  libprotobuf-dev protobuf-compiler libsqlite3-dev zlib1g-dev libzstd-dev libssl-dev libre2-dev
  libtomlplusplus-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev libargon2-dev
  clickhouse-server
  # For the ClickHouse cluster tests (test_server.h TestCluster): replicated tables and distributed
  # DDL need ZooKeeper, run with java from /usr/share/java/zookeeper.jar.
  zookeeper
  nodejs npm curl chromium python3 python3-setuptools
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

# npm packages: the end-to-end test clients (real OpenTelemetry exporters, playwright-core), the
# web UI's build tools, and js-tiktoken, whose BPE ranks the build embeds (data/tokenizers).
scripts/npm-ci.sh tests/e2e web data/tokenizers
