#!/usr/bin/env bash
# make demo: the whole local pipeline on this machine, no AWS account needed.
# Starts moto (local DynamoDB) and the functions under `cargo lambda watch`, creates the table,
# posts the sample call records through the ingest function, shows what was stored, and stops
# everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$PWD/.venv/bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
WATCH_PID=""
cleanup() { stop_group "$WATCH_PID" "${MOTO_PID:-}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

step "building the functions and dev tools (the first build takes a few minutes)"
cargo build -p ingest -p callscope-dev

step "starting the local DynamoDB (moto server)"
start_moto
export AWS_ENDPOINT_URL_DYNAMODB="$MOTO_URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export TABLE_NAME=callscope-demo HOME_TENANT_ID=b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e
echo "moto at $MOTO_URL"
target/debug/callscope-dev create-table

step "starting the functions under cargo lambda watch"
port=$(free_port)
env_args=()
for name in TABLE_NAME HOME_TENANT_ID AWS_ENDPOINT_URL_DYNAMODB AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION; do
  env_args+=(--env-var "$name=${!name}")
done
setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" "${env_args[@]}" > .local/watch.log 2>&1 &
WATCH_PID=$!
wait_http "http://127.0.0.1:$port/" watch "$WATCH_PID"
echo "functions at http://127.0.0.1:$port (log: .local/watch.log)"

step "posting the sample call records (events re-dated to today)"
python3 scripts/events.py --fresh .local/events
for event in ingest-post-call ingest-post-meeting ingest-post-batch ingest-post-invalid ingest-post-wrong-role; do
  response=$(cargo lambda invoke ingest --invoke-address 127.0.0.1 --invoke-port "$port" --data-file ".local/events/$event.json")
  python3 - "$event" "$response" <<'PY'
import json, sys
event, response = sys.argv[1], json.loads(sys.argv[2])
body = json.loads(response.get("body") or "{}")
detail = body.get("accepted") or body.get("error", {}).get("problems") or body.get("error", {}).get("message")
print(f"  {event:<24} -> {response['statusCode']}  {json.dumps(detail)[:110]}")
PY
done

step "what is stored for Ada Lovelace"
target/debug/callscope-dev show-user 3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b

step "done: stopping the functions and the local DynamoDB"
