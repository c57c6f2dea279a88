#!/usr/bin/env bash
# make scale: a scaled tenant through the stand-in Graph, the webhook, the work queues and the
# Graph worker against moto (tests/examples/scale.rs; BENCHMARKS.md "At scale"). Fails if any
# published record is lost (neither stored nor dead-lettered with its reason).
#   SCALE_RECORDS  call records published (default 600: ~8 minutes on 2 cores)
#   SCALE_FACTOR   Graph's per-record windows scaled by this (default 0.1)
#   SCALE_THROTTLE_PERCENT  share of Graph requests answered 429, Retry-After 1 s (default 30)
# A dev build: the time is moto's and the stand-in's, not the code's.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p callscope-tests --example scale
exec scripts/with-moto.sh cargo run -q -p callscope-tests --example scale
