# Shell helpers shared by the local scripts. Source it; do not run it.

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
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

# start_moto: starts moto on a free port in its own process group; sets MOTO_PID and MOTO_URL.
start_moto() {
  mkdir -p .local
  local port
  port=$(free_port)
  setsid .venv/bin/moto_server -H 127.0.0.1 -p "$port" > .local/moto.log 2>&1 &
  MOTO_PID=$!
  MOTO_URL="http://127.0.0.1:$port"
  wait_http "$MOTO_URL/moto-api/" moto "$MOTO_PID"
}

# stop_group PID...: stops each process group started with setsid, and waits for it.
stop_group() {
  local pid
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
}
