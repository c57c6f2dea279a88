#!/usr/bin/env bash
# End-to-end figures through the local stack: ingest N generated calls concurrently through the
# gateway and time them until classified; then p50/p95 of history and detail requests, beside a
# raw moto round trip. Usage: scripts/bench-e2e.sh [CALLS]   (default 500)
exec "$(dirname "$0")/with-stack.sh" bench-e2e "${1:-500}"
