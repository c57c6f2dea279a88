#!/usr/bin/env bash
# Graph notification acknowledgements through the local stack (gateway -> cargo lambda -> webhook
# -> moto), with QUEUED ids already queued and the Graph worker draining them meanwhile.
# Usage: scripts/bench-graph.sh [QUEUED]   (default 10000). The in-process figures, throughput
# and requests per record: scripts/with-moto.sh cargo bench -p callscope-tests --bench connector
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'exit 130' INT TERM
stack_up
foreground "$DEV" bench-ack "$GATEWAY_URL" "${1:-10000}"
