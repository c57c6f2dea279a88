#!/usr/bin/env bash
# Creates .venv with the pinned local tooling (moto server, cargo-lambda) unless it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.sha
want=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [ -x .venv/bin/moto_server ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "==> installing pinned tools into .venv (moto server, cargo-lambda) ..."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
echo "$want" > "$stamp"
