#!/usr/bin/env bash
# make demo: the whole product on this machine, no AWS account needed. Brings the local stack
# up, loads a generated sample tenant through the gateway, waits for the stream-triggered
# classification, shows one user's history and one poor call as a support specialist and as a
# support engineer side by side, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'exit 130' INT TERM

stack_up
ada=$FEATURED_USER
echo "==> loading the sample tenant (150 calls over the last 30 days, three sites) through the gateway"
foreground "$DEV" load-tenant "$GATEWAY_URL"
echo "==> waiting for the stream trigger to classify every call"
foreground "$DEV" wait-rated "$GATEWAY_URL" "$ada"
echo
"$DEV" show "$GATEWAY_URL" "$ada"
echo "==> done: stopping the gateway, the trigger, the functions and the local DynamoDB"
