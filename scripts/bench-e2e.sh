#!/usr/bin/env bash
# End-to-end figures through the local stack: ingest N generated calls concurrently through the
# gateway and time them until classified; then p50/p95 of history and detail requests, beside a
# raw moto round trip. Usage: scripts/bench-e2e.sh [CALLS]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'exit 130' INT TERM
stack_up
"$DEV" bench-e2e "$GATEWAY_URL" "${1:-500}"
