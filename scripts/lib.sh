# Shell helpers shared by the local scripts. Source it; do not run it.

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# port_free PORT: whether nothing listens on loopback PORT. It binds as a server would, with
# SO_REUSEADDR: connections a stopped stack left in TIME_WAIT do not make the port look taken
# (without it they do, for a minute), a listening socket still does.
port_free() {
  python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()' "$1" 2>/dev/null
}

# wait_http URL NAME PID: waits until URL answers (any HTTP status), or fails if PID died.
wait_http() {
  local url=$1 name=$2 pid=$3
  for _ in $(seq 1 300); do
    if python3 - "$url" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
    kill -0 "$pid" 2>/dev/null || { echo "$name failed to start; see .local/$name.log" >&2; return 1; }
    sleep 0.2
  done
  echo "$name did not answer at $url" >&2
  return 1
}

# Where cargo puts its builds: `target/`, or CARGO_TARGET_DIR, or a configured target-dir.
target_dir() {
  cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}
TARGET_DIR=$(target_dir)
# The local stand-ins for AWS (tools/dev), as built by stack_up.
DEV="$TARGET_DIR/debug/callscope-dev"
# What the tests build and run: the binaries, every target with tests (unit tests, the
# integration suite; a binary or library with none of its own is marked `test = false`, so no
# empty test harness is compiled and linked for it) and the benchmarks (run once each as tests).
WORKSPACE_TARGETS="--workspace --bins --tests --benches"

# The sample tenant's featured user (tools/dev/src/tenant), whom the scripts wait for and show.
FEATURED_USER=5a3e0000-0000-4000-8000-000000000000

# start_moto: starts moto on a free port in its own process group; sets MOTO_PID and MOTO_URL.
start_moto() {
  mkdir -p .local
  local port
  port=$(free_port)
  setsid .venv/bin/python scripts/moto_server.py 127.0.0.1 "$port" > .local/moto.log 2>&1 &
  MOTO_PID=$!
  MOTO_URL="http://127.0.0.1:$port"
  wait_http "$MOTO_URL/moto-api/" moto "$MOTO_PID"
}

# descendants PID...: every process below these, however deep (cargo lambda watch starts each
# function in a process group of its own, which stopping watch's group does not reach).
descendants() {
  local pid child
  for pid in "$@"; do
    for child in $(pgrep -P "$pid" 2>/dev/null || true); do
      # With its start time, so that a number the system has given to another process since
      # is not stopped instead.
      echo "$child:$(ps -o lstart= -p "$child" 2>/dev/null | tr -d ' ')"
      descendants "$child"
    done
  done
}

# stop_group PID...: stops each process group started with setsid, and waits for it; then
# whatever those groups had started in groups of their own.
stop_group() {
  local pid below
  below=$(descendants "$@")
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  local started
  for pid in $below; do
    started=${pid#*:} pid=${pid%%:*}
    if [ "$(ps -o lstart= -p "$pid" 2>/dev/null | tr -d ' ')" = "$started" ]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# stack_up [GATEWAY_PORT [FUNCTIONS_PORT]]: the whole product on this machine (built as the
# tests were when STACK_BUILD=workspace). moto (local DynamoDB and SQS), the table and the work queues, the stand-in Microsoft Graph (unless GRAPH_API_URL and
# GRAPH_TOKEN_URL are set: then that Graph), IAM in front of moto (`callscope-dev iam-proxy`: a
# request the function's role in infra/template.yaml refuses is answered AccessDeniedException,
# and every checked access goes to IAM_LOG), the functions under `cargo lambda watch`, the local
# triggers (the table's stream, the work queues) and schedule, the local gateway (free ports unless given), and the Graph
# subscription. Sets STACK_PIDS, GATEWAY_URL, FUNCTIONS_URL, IAM_LOG, and GRAPH_STANDIN_URL when the
# stand-in runs. GRAPH_THROTTLE_PERCENT makes the stand-in answer that share of requests 429.
stack_up() {
  local gateway_port=${1:-$(free_port)} functions_port=${2:-$(free_port)}
  export PATH="$PWD/.venv/bin:$PATH"
  echo "==> building the functions and dev tools (the first build takes a few minutes)"
  if [ "${STACK_BUILD:-}" = workspace ]; then
    # After the workspace's tests were built: the same selection, so the same features, and
    # nothing to build again.
    foreground cargo build $WORKSPACE_TARGETS
  else
    foreground cargo build -p ingest-function -p webhook-function -p classify-function -p query-function -p callscope-dev
  fi
  echo "==> starting the local DynamoDB (moto server)"
  start_moto
  export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export TABLE_NAME=callscope-local HOME_TENANT_ID=b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e
  export CURSOR_KEY=local-development-cursor-key-not-a-secret SITES_REFRESH_SECONDS=2
  export GRAPH_CLIENT_STATE=test-graph-client-state-0123456789abcdef
  export GRAPH_CLIENT_ID=${GRAPH_CLIENT_ID:-callscope-local}
  export GRAPH_CLIENT_SECRET=${GRAPH_CLIENT_SECRET:-local-client-secret-not-a-secret}
  export GRAPH_NOTIFICATION_URL="http://127.0.0.1:$gateway_port/graph/notifications"
  STACK_PIDS="$MOTO_PID"
  if [ -n "${GRAPH_API_URL:-}" ] && [ -n "${GRAPH_TOKEN_URL:-}" ]; then
    echo "==> using the Graph at $GRAPH_API_URL (token endpoint $GRAPH_TOKEN_URL)"
    unset GRAPH_STANDIN_URL
  else
    echo "==> starting the stand-in Microsoft Graph"
    local graph_port
    graph_port=$(free_port)
    setsid "$DEV" graph-standin "127.0.0.1:$graph_port" "${GRAPH_THROTTLE_PERCENT:-0}" > .local/graph.log 2>&1 &
    STACK_PIDS="$STACK_PIDS $!"
    export GRAPH_STANDIN_URL="http://127.0.0.1:$graph_port"
    export GRAPH_API_URL="$GRAPH_STANDIN_URL/v1.0" GRAPH_TOKEN_URL="$GRAPH_STANDIN_URL/oauth2/v2.0/token"
    wait_http "$GRAPH_STANDIN_URL/_standin/stats" graph "$!"
  fi
  foreground "$DEV" create-table
  # The Graph worker's work queues on moto's SQS (each with its dead-letter queue).
  local queue_urls
  queue_urls=$("$DEV" create-queues)
  local assignment
  while IFS= read -r assignment; do export "$assignment"; done <<< "$queue_urls"
  echo "==> starting IAM in front of the local DynamoDB (each function's requests checked against its role)"
  local iam_port
  iam_port=$(free_port)
  IAM_LOG=.local/iam.jsonl
  : > "$IAM_LOG"
  setsid "$DEV" iam-proxy "127.0.0.1:$iam_port" "$MOTO_URL" "$IAM_LOG" > .local/iam.log 2>&1 &
  STACK_PIDS="$STACK_PIDS $!"
  wait_http "http://127.0.0.1:$iam_port/moto-api/" iam "$!"
  echo "==> starting the functions under cargo lambda watch (their DynamoDB: the IAM proxy)"
  local env_args=(--env-var "AWS_ENDPOINT_URL=http://127.0.0.1:$iam_port") name
  for name in TABLE_NAME HOME_TENANT_ID CURSOR_KEY SITES_REFRESH_SECONDS AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION \
      GRAPH_CLIENT_STATE GRAPH_CLIENT_ID GRAPH_CLIENT_SECRET GRAPH_API_URL GRAPH_TOKEN_URL GRAPH_NOTIFICATION_URL \
      GRAPH_LIVE_QUEUE_URL GRAPH_BACKFILL_QUEUE_URL GRAPH_LIVE_DEAD_LETTER_QUEUE_URL GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL; do
    env_args+=(--env-var "$name=${!name}")
  done
  # Each function's build under watch selects its package alone; the build above selected the
  # local tools too, which turn on the core's fixtures. With them on here as well, watch finds
  # every function already built (the deployed build has none: `make package`).
  # A function is rebuilt and restarted on a change of the checkout only for `make dev`
  # (STACK_RELOAD=1): a scripted run (the demo, the tests) must not lose its in-flight work to
  # a restart because something touched the checkout while it ran.
  local reload=(--ignore-changes)
  [ "${STACK_RELOAD:-}" = 1 ] && reload=()
  setsid cargo lambda watch "${reload[@]}" --features callscope-core/fixtures --invoke-address 127.0.0.1 --invoke-port "$functions_port" \
    "${env_args[@]}" > .local/watch.log 2>&1 &
  STACK_PIDS="$STACK_PIDS $!"
  FUNCTIONS_URL="http://127.0.0.1:$functions_port"
  wait_http "$FUNCTIONS_URL/" watch "$!"
  echo "==> starting the triggers (the stream, the work queues), the schedule and the gateway"
  setsid "$DEV" trigger "$FUNCTIONS_URL" > .local/trigger.log 2>&1 &
  STACK_PIDS="$STACK_PIDS $!"
  setsid "$DEV" gateway "127.0.0.1:$gateway_port" "$FUNCTIONS_URL" > .local/gateway.log 2>&1 &
  STACK_PIDS="$STACK_PIDS $!"
  GATEWAY_URL="http://127.0.0.1:$gateway_port"
  wait_http "$GATEWAY_URL/" gateway "$!"
  echo "==> subscribing to call records (Graph first checks the gateway's /graph/notifications)"
  foreground "$DEV" keep "$FUNCTIONS_URL"
  echo "stack up: gateway $GATEWAY_URL, functions $FUNCTIONS_URL, DynamoDB $MOTO_URL, Graph $GRAPH_API_URL (logs in .local/)"
}

# foreground CMD...: runs CMD to its end, but so that a TERM or INT sent to this script acts at
# once (bash runs a trap only after the foreground command it is waiting for ends, and `wait`
# is the exception). stack_down stops CMD too.
foreground() {
  "$@" &
  FOREGROUND_PID=$!
  local status=0
  wait "$FOREGROUND_PID" || status=$?
  FOREGROUND_PID=""
  return "$status"
}

# stack_down: stops everything stack_up started, however far it got (moto included, even if
# the table or the functions never came up), and a command still running in the foreground.
stack_down() {
  if [ -n "${FOREGROUND_PID:-}" ]; then
    kill -TERM "$FOREGROUND_PID" 2>/dev/null || true
    wait "$FOREGROUND_PID" 2>/dev/null || true
    FOREGROUND_PID=""
  fi
  # shellcheck disable=SC2086
  stop_group ${STACK_PIDS:-} ${MOTO_PID:-}
  STACK_PIDS="" MOTO_PID=""
}
