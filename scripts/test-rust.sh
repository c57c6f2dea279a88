#!/usr/bin/env bash
# Every Rust test of the workspace, built once, then run as two groups side by side, each
# against a moto server of its own (moto serves one request at a time, so two servers halve the
# wait): the suite's `beside` modules (tests/tests/suite/beside/: the fault run, marked #[ignore]
# so that it only runs here, and the modules that wait longest on moto), and everything else.
# CALLSCOPE_STRESS=full (make stress) runs the stress tests at their full,
# 1,000-way sizes. Stops both servers on any way out.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mkdir -p .local
echo "==> building the binaries and every test target once"
cargo build $WORKSPACE_TARGETS --quiet
# Every cargo test below selects the whole workspace, as the build did: the same features, so
# nothing is compiled again. The suite's `beside::` tests (the fault run, #[ignore]d elsewhere,
# and the modules that wait longest on moto) go to a server of their own; the other group skips
# exactly that name, so no test runs twice or never. Criterion's benches take no --skip, so they
# run on their own, once each as tests.
side_pid=""
trap 'stop_group "$side_pid"' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short
echo "==> the suite's beside:: tests (the fault run among them), beside the others (their log: .local/side.log)"
setsid scripts/with-moto.sh cargo test --workspace --test suite -- --include-ignored --nocapture beside:: \
  > .local/side.log 2>&1 &
side_pid=$!
status=0
scripts/with-moto.sh bash -c 'cargo test --workspace --tests -- --skip beside:: && cargo test --workspace --bench "*"' ||
  status=$?
side=0
wait "$side_pid" || side=$?
side_pid=""
echo "==> the suite's beside:: tests"
grep -E "^fault run|^test result" .local/side.log || true
if [ "$side" != 0 ]; then
  grep -E "^test .* FAILED|panicked" .local/side.log | head -n 20
  tail -n 60 .local/side.log
  echo "the suite's beside:: tests failed (whole log: .local/side.log)" >&2
fi
[ "$status" = 0 ] && [ "$side" = 0 ]
