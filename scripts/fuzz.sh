#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for a set time with cargo fuzz (libFuzzer).
#   scripts/fuzz.sh [seconds per target, default 300] [release|dev, default release]
# Each run starts from fuzz/seeds/<target> and replays fuzz/regressions/<target> (past
# findings) first; what it learns goes to fuzz/corpus/<target> (kept locally, not committed).
# A finding stops the run, is saved under fuzz/artifacts/<target>/, and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
profile="${2:-release}"
targets=(call_records tenant_files claims cursor)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: cargo fuzz needs the nightly toolchain (rustup toolchain list shows none)" >&2
  exit 1
fi
# cargo-fuzz 0.13.2: the one on PATH if it is that version, else one installed into .tools
# (about a minute of compiling, once per checkout).
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  export PATH="$PWD/.tools/bin:$PATH"
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  echo "==> installing cargo-fuzz 0.13.2 into .tools ..."
  cargo install --quiet --locked cargo-fuzz --version 0.13.2 --root .tools
fi

# No sanitizer: the targets are safe Rust, where ASan finds nothing that a panic or abort would
# not show, and builds and runs several times slower. dev keeps overflow checks and debug
# assertions on and builds quickest (the CI smoke run); release fuzzes fastest.
build_flags=(--fuzz-dir fuzz --sanitizer none)
[ "$profile" = dev ] && build_flags+=(--dev) || build_flags+=(-O --debug-assertions)
echo "==> building the fuzz targets ($profile)"
cargo +nightly fuzz build "${build_flags[@]}"

printf '%-14s %10s %8s %8s %s\n' target runs cov exec/s result
status=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/regressions/$target"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  if cargo +nightly fuzz run "${build_flags[@]}" "$target" \
      "fuzz/corpus/$target" "fuzz/seeds/$target" "fuzz/regressions/$target" \
      -- -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 >"$log" 2>&1; then
    result=ok
  else
    result="FOUND: see $log and fuzz/artifacts/$target/"
    status=1
  fi
  done_line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$done_line")
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$done_line")
  rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
  printf '%-14s %10s %8s %8s %s\n' "$target" "${runs:--}" "${cov:--}" "${rate:--}" "$result"
done
exit $status
