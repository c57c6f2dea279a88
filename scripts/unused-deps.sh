#!/usr/bin/env bash
# Fails if a crate of the workspace declares a dependency its code never names. cargo-machete
# reads the sources (no build: about a second); it installs into .tools (about 100 s, once)
# when the one on PATH is not the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.9.2
if [ "$(cargo machete --version 2>/dev/null)" != "$version" ]; then
  export PATH="$PWD/.tools/bin:$PATH"
fi
if [ "$(cargo machete --version 2>/dev/null)" != "$version" ]; then
  echo "==> installing cargo-machete $version into .tools ..."
  cargo install --quiet --locked cargo-machete --version "$version" --root .tools
fi
cargo machete
