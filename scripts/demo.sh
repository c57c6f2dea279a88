#!/usr/bin/env bash
# make demo: the whole product on this machine, no AWS account needed. Brings the local stack
# up with a stand-in Microsoft Graph, publishes a generated sample tenant's calls to it (Graph
# notifies the gateway, the Graph worker fetches each record whole, through throttling), waits
# for the stream-triggered classification, shows one user's history and one poor call as a support specialist and as a
# support engineer side by side, then the specialist escalating that call with a note and the engineer's queue
# holding it, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short

export GRAPH_THROTTLE_PERCENT=${GRAPH_THROTTLE_PERCENT:-5}
stack_up
ada=$FEATURED_USER
echo "==> the sample tenant (150 calls over the last 30 days and a town hall, three sites): buildings through the gateway, calls into Graph"
foreground "$DEV" load-tenant "$GATEWAY_URL"
if [ -z "${GRAPH_STANDIN_URL:-}" ]; then
  echo "==> the stack is fed by the Graph at $GRAPH_API_URL; nothing more to show here"
  exit 0
fi
echo "==> waiting for Graph's notifications, the worker's fetches and the stream trigger's classification"
foreground "$DEV" wait-rated "$GATEWAY_URL" "$ada"
python3 - "$GRAPH_STANDIN_URL" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/_standin/stats", timeout=10))
print(f"    every call arrived through Graph: {stats['notificationsDelivered']} notification deliveries, "
      f"{stats['apiRequests']} Graph requests ({stats['throttled']} answered 429 and retried), "
      f"{stats['tokensIssued']} app-only token(s), {stats['subscriptions']} live subscription")
PY
echo
"$DEV" show "$GATEWAY_URL" "$ada"
echo "==> done: stopping the gateway, the trigger, the functions and the local DynamoDB"
