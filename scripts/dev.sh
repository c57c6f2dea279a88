#!/usr/bin/env bash
# make dev: the local stack with the sample tenant, kept up until Ctrl-C: the gateway on port
# ${GATEWAY_PORT:-8787}, the functions (cargo lambda's invoke API) on ${FUNCTIONS_PORT:-9000}.
# Calls arrive through the stand-in Microsoft Graph, or through the Graph that GRAPH_API_URL and
# GRAPH_TOKEN_URL name when both are set (GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET then too).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# The background sleep below ignores Ctrl-C (a script's background jobs do), so it is stopped too.
trap 'stack_down; [ -z "${sleep_pid:-}" ] || kill "$sleep_pid" 2>/dev/null || true' EXIT
trap 'trap "" INT TERM; exit 0' INT TERM  # a second signal must not cut the cleanup short

for port in "${GATEWAY_PORT:-8787}" "${FUNCTIONS_PORT:-9000}"; do
  if ! port_free "$port"; then
    echo "port $port is in use: is a stack already running (make dev in another terminal)?" >&2
    echo "Stop it, or pick other ports: make dev GATEWAY_PORT=8788 FUNCTIONS_PORT=9001" >&2
    exit 1
  fi
done
STACK_RELOAD=1 stack_up "${GATEWAY_PORT:-8787}" "${FUNCTIONS_PORT:-9000}"
foreground "$DEV" load-tenant "$GATEWAY_URL"
if [ -n "${GRAPH_STANDIN_URL:-}" ]; then
  foreground "$DEV" wait-rated "$GATEWAY_URL" "$FEATURED_USER"
fi
if [ -n "${GRAPH_STANDIN_URL:-}" ]; then
  graph="the stand-in at $GRAPH_STANDIN_URL (publish a record: curl -X POST $GRAPH_STANDIN_URL/_standin/records -d @record.json; it notifies the gateway)"
else
  graph=$GRAPH_API_URL
fi
cat <<MSG

The stack is up.
  Console: $GATEWAY_URL/console   (pick a role, search "ada", open a call rated Poor)
Or the API (tokens: make token ROLE=support-specialist | support-engineer | admin | ingest):
  TOKEN=\$(make -s token ROLE=support-specialist)
  curl -s "$GATEWAY_URL/users?search=ada" -H "Authorization: Bearer \$TOKEN"
  curl -s "$GATEWAY_URL/users/$FEATURED_USER/calls?limit=5" -H "Authorization: Bearer \$TOKEN"
Calls come from Graph: $graph
Ctrl-C stops everything.
MSG
# Sleep in the background and wait for it, so Ctrl-C or a TERM runs the traps at once.
while true; do
  sleep 3600 &
  sleep_pid=$!
  wait "$sleep_pid" || true
done
