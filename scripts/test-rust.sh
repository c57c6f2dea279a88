#!/usr/bin/env bash
# Every Rust test of the workspace, built once, then run as two groups side by side, each
# against a moto server of its own (moto serves one request at a time, so two servers halve the
# wait): the fault run (tests/tests/suite/faults.rs, marked #[ignore] so that it only runs here)
# with the suite's slowest modules, and everything else. The two groups are complementary by
# construction: the first runs the suite's tests whose names match $SIDE_MODULES, the second
# skips exactly those. CALLSCOPE_STRESS=full (make stress) runs the stress tests at their full,
# 1,000-way sizes. Stops both servers on any way out.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mkdir -p .local
echo "==> building the binaries and every test target once"
cargo build $WORKSPACE_TARGETS --quiet
# The fault run (about 25 s) and the suite's modules that wait longest on moto go beside the rest.
SIDE_MODULES=(faults:: graph:: security:: races::)
skips=()
for module in "${SIDE_MODULES[@]}"; do skips+=(--skip "$module"); done
side_pid=""
trap 'stop_group "$side_pid"' EXIT
trap 'exit 130' INT TERM
echo "==> the fault run and the suite's ${SIDE_MODULES[*]:1} tests, beside the others (their log: .local/side.log)"
setsid scripts/with-moto.sh cargo test -p callscope-tests --test suite -- --include-ignored --nocapture "${SIDE_MODULES[@]}" \
  > .local/side.log 2>&1 &
side_pid=$!
status=0
scripts/with-moto.sh bash -c 'cargo test --workspace --exclude callscope-tests --tests --benches &&
  cargo test -p callscope-tests --benches && cargo test -p callscope-tests --test suite -- "$@"' _ "${skips[@]}" || status=$?
side=0
wait "$side_pid" || side=$?
side_pid=""
echo "==> the fault run and the suite's ${SIDE_MODULES[*]:1} tests"
grep -E "^fault run|^test result" .local/side.log || true
if [ "$side" != 0 ]; then
  grep -E "^test .* FAILED|panicked" .local/side.log | head -n 20
  tail -n 60 .local/side.log
  echo "the fault run or the suite's ${SIDE_MODULES[*]:1} tests failed (whole log: .local/side.log)" >&2
fi
[ "$status" = 0 ] && [ "$side" = 0 ]
