#!/usr/bin/env bash
# make package: every function of infra/template.yaml built for Lambda (arm64, release) with
# cargo lambda into the directory its CodeUri names (target/lambda/<binary>/ in this repository,
# wherever CARGO_TARGET_DIR puts the build itself), then checked against the template
# (scripts/package.py). The binaries to build are read from the template's CodeUris.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "==> adding the aarch64-unknown-linux-gnu Rust target"
  rustup target add aarch64-unknown-linux-gnu
fi
selection=$(.venv/bin/python scripts/package.py build-args infra/template.yaml)
mapfile -t selection <<< "$selection"
echo "==> cargo lambda build --release --arm64 ${selection[*]} (from clean this takes minutes)"
# cargo lambda finds zig (the ziglang wheel) through .venv/bin.
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 --locked --lambda-dir target/lambda "${selection[@]}"
.venv/bin/python scripts/package.py check infra/template.yaml
echo "==> packaged in $((SECONDS - started)) s: target/lambda/*/bootstrap; deploy with infra/README.md"
