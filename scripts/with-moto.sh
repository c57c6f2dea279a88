#!/usr/bin/env bash
# Runs a command with a moto server (local DynamoDB) on a free loopback port, then stops it.
#   scripts/with-moto.sh cargo test --workspace
# The command sees CALLSCOPE_DYNAMODB_ENDPOINT=http://127.0.0.1:<port>.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap 'stop_group "${MOTO_PID:-}"' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short
start_moto
echo "==> moto server at $MOTO_URL (pid $MOTO_PID)"
CALLSCOPE_DYNAMODB_ENDPOINT="$MOTO_URL" "$@"
