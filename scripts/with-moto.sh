#!/usr/bin/env bash
# Runs a command with a moto server (local DynamoDB) on a free loopback port, then stops it.
#   scripts/with-moto.sh cargo test --workspace
# The command sees CALLSCOPE_DYNAMODB_ENDPOINT=http://127.0.0.1:<port>.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" > .local/moto-test.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then break; fi
  kill -0 "$moto_pid" 2>/dev/null || { echo "moto server failed to start:"; cat .local/moto-test.log; exit 1; }
  sleep 0.1
done
echo "==> moto server on 127.0.0.1:$port (pid $moto_pid)"
CALLSCOPE_DYNAMODB_ENDPOINT="http://127.0.0.1:$port" "$@"
