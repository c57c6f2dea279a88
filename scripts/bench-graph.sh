#!/usr/bin/env bash
# Graph notification acknowledgements through the local stack (gateway -> cargo lambda -> webhook
# -> moto), with QUEUED ids already queued and the Graph worker draining them meanwhile.
# Usage: scripts/bench-graph.sh [QUEUED]   (default 10000). The in-process figures, throughput
# and requests per record: scripts/with-moto.sh cargo bench -p callscope-tests --bench connector
exec "$(dirname "$0")/with-stack.sh" bench-ack "${1:-10000}"
