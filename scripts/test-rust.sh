#!/usr/bin/env bash
# Every Rust test of the workspace, built once, then run as two groups side by side, each
# against a moto server of its own: the fault run (tests/tests/suite/faults.rs, marked #[ignore]
# so that it only runs here) and everything else. CALLSCOPE_STRESS=full (make stress) runs the
# stress tests at their full, 1,000-way sizes.
# moto serves one request at a time, so two servers halve the wait. Stops both on any way out.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mkdir -p .local
echo "==> building the binaries and every test target once"
cargo build $WORKSPACE_TARGETS --quiet
faults_pid=""
trap 'stop_group "$faults_pid"' EXIT
trap 'exit 130' INT TERM
echo "==> the fault run, beside the other tests (its log: .local/faults.log)"
setsid scripts/with-moto.sh cargo test --workspace --test suite -- --ignored --nocapture faults:: > .local/faults.log 2>&1 &
faults_pid=$!
status=0
scripts/with-moto.sh cargo test --workspace --tests --benches || status=$?
faults=0
wait "$faults_pid" || faults=$?
faults_pid=""
echo "==> the fault run"
grep -E "^fault run|^test |^test result" .local/faults.log || true
if [ "$faults" != 0 ]; then
  tail -n 60 .local/faults.log
  echo "the fault run failed (whole log: .local/faults.log)" >&2
fi
[ "$status" = 0 ] && [ "$faults" = 0 ]
