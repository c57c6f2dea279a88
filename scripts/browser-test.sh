#!/usr/bin/env bash
# The web console in headless Chromium against the local stack with the sample tenant
# (tests/browser). Installs what it needs (Debian's chromium, playwright-core from npm), starts
# the stack on free ports, and stops it. Screenshots land in browser/ under the target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

if ! command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null 2>&1; then
  echo "==> installing Debian's chromium (the browser tests drive it; a test tool's own download cannot work here)"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  else
    echo "browser tests need /usr/bin/chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
echo "==> installing playwright-core (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --silent)

trap stack_down EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short
stack_up
foreground "$DEV" load-tenant --crowd "$GATEWAY_URL" | tail -n 1
foreground "$DEV" wait-rated "$GATEWAY_URL" "$FEATURED_USER"
echo "==> browser tests against $GATEWAY_URL"
GATEWAY_URL="$GATEWAY_URL" ARTIFACTS_DIR="$TARGET_DIR/browser" npm --prefix tests/browser test
echo "==> every DynamoDB request the functions made was allowed by its role in infra/template.yaml"
if ! "$DEV" iam-report "$IAM_LOG" > .local/iam-report.out 2>&1; then
  grep -E "may not|made no" .local/iam-report.out >&2
  exit 1
fi
