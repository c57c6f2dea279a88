#!/usr/bin/env bash
# Creates .venv with the pinned local tooling unless it is current:
#   scripts/venv.sh          what the demo and the stack need (moto server, cargo-lambda)
#   scripts/venv.sh infra    and the template validators (SAM CLI, cfn-lint) in .venv, and the
#                            template scanner (Checkov) in .venv-scan (its pins clash with SAM's)
set -euo pipefail
cd "$(dirname "$0")/.."
install() { # NAME REQUIREMENTS [VENV]: installs REQUIREMENTS unless the stamp for NAME says they are current
  local venv="${3:-.venv}"
  local stamp="$venv/.$1.sha" want
  want=$(sha256sum "$2" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "==> installing pinned tools into $venv ($2) ..."
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$2"
  echo "$want" > "$stamp"
}
install stack scripts/requirements.txt
if [ "${1:-}" = infra ]; then
  install infra scripts/requirements-infra.txt
  install scan scripts/requirements-scan.txt .venv-scan
fi
