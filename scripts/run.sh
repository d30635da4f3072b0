#!/usr/bin/env bash
# `make run`: starts trackly on 127.0.0.1:4318 with the embedded store in ./trackly-data, a project
# "default" and a key for it. The first run also sends the demo runs so there is data to look at.
# The demo key is kept in trackly-data/demo-key (mode 600) so later runs print the same one;
# delete that file (and revoke the key) to stop using it.
set -euo pipefail
bin=${1:-build/trackly}
data=${TRACKLY_DATA:-./trackly-data}
listen=${TRACKLY_LISTEN:-127.0.0.1:4318}
mkdir -p "$data"

"$bin" projects create default --data "$data" >/dev/null 2>&1 || true
key_file="$data/demo-key"
if [[ ! -s "$key_file" ]]; then
  (umask 077 && "$bin" keys create --project default --scopes ingest,read,admin --name demo \
      --data "$data" --json | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p' > "$key_file")
fi
key=$(cat "$key_file")

"$bin" serve --listen "$listen" --data "$data" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM

for _ in $(seq 1 100); do
  curl -fsS "http://$listen/api/v1/health" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "trackly exited during start-up" >&2; exit 1; }
  sleep 0.1
done

if [[ ! -f "$data/.demo-sent" ]]; then
  "$bin" demo --endpoint "http://$listen" --key "$key" && touch "$data/.demo-sent"
fi

cat <<MSG

  Trackly is running on http://$listen  (health: http://$listen/api/v1/health)
  API key for project "default":  $key

  Point any OpenTelemetry exporter at it:
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://$listen
    export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $key"

  Look at what arrived:
    open the one-time "web UI" link printed above (or: $bin ui-token --project default --data $data)
    $bin traces --data $data --limit 20
    $bin trace <trace-id> --data $data
    curl -H "Authorization: Bearer $key" http://$listen/api/v1/traces

  Ctrl-C stops the server (it finishes writing first).
MSG
wait $server
