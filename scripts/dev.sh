#!/usr/bin/env bash
# make dev: the local stack with the sample tenant, kept up until Ctrl-C (gateway on port
# ${GATEWAY_PORT:-8787}), with tokens per role for curl.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'exit 0' INT TERM

stack_up "${GATEWAY_PORT:-8787}"
target/debug/callscope-dev load-tenant "$GATEWAY_URL"
target/debug/callscope-dev wait-rated "$GATEWAY_URL" 5a3e0000-0000-4000-8000-000000000000
cat <<MSG

The stack is up. Try (tokens: make token ROLE=support-specialist | support-engineer | admin | ingest):
  TOKEN=\$(make -s token ROLE=support-specialist)
  curl -s "$GATEWAY_URL/users?search=ada" -H "Authorization: Bearer \$TOKEN"
  curl -s "$GATEWAY_URL/users/5a3e0000-0000-4000-8000-000000000000/calls?limit=5" -H "Authorization: Bearer \$TOKEN"
Ctrl-C stops everything.
MSG
while true; do sleep 3600; done
