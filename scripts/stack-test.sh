#!/usr/bin/env bash
# The local stack end to end over HTTP: moto, IAM in front of it, the functions under cargo lambda
# watch, the triggers (the stream, the work queues) and the gateway come up; a generated tenant goes in through the
# gateway; the history and a poor call are checked per role; every DynamoDB request a function
# made was allowed by its role; then everything stops, leaving no process or port behind.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# On any way out, what IAM refused (a refused request is often why a step failed or waited).
rm -f .local/iam.log
show_refusals() {
  if [ -f .local/iam.log ] && grep -q "^refused:" .local/iam.log; then
    echo "IAM refused requests of the functions (.local/iam.log):"
    grep "^refused:" .local/iam.log | sort | uniq -c | sort -rn | head -n 20
  fi
}
trap 'stack_down; show_refusals' EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short

stack_up
user=$FEATURED_USER
foreground "$DEV" load-tenant "$GATEWAY_URL" 11 40
foreground "$DEV" wait-rated "$GATEWAY_URL" "$user"
export SPECIALIST=$("$DEV" token support-specialist) ENGINEER=$("$DEV" token support-engineer)
export INGEST=$("$DEV" token ingest) GATEWAY_URL user
pids="$STACK_PIDS"
functions_port=${FUNCTIONS_URL##*:} gateway_port=${GATEWAY_URL##*:} moto_port=${MOTO_URL##*:} graph_port=${GRAPH_STANDIN_URL##*:}

python3 - <<'PY' > .local/stack-test.out || true
import json, os, urllib.request, urllib.error
base, user = os.environ["GATEWAY_URL"], os.environ["user"]
def get(path, token=None, method="GET", body=None, content_type="application/json"):
    request = urllib.request.Request(base + path, method=method, data=body)
    if body is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
checks = []
def check(name, ok):
    checks.append((name, bool(ok)))
    print(("ok   " if ok else "FAIL ") + name)
masked = {"Internal User", "External User", "Application", "Teams service"}
check("no token is 401", get(f"/users/{user}/calls")[0] == 401)
check("a forged token is 401", get(f"/users/{user}/calls", "e30.e30.sig")[0] == 401)
check("an unknown route is 404", get("/nowhere", os.environ["ENGINEER"])[0] == 404)
status, tier1 = get(f"/users/{user}/calls?limit=50", os.environ["SPECIALIST"])
check("a specialist gets the history", status == 200 and len(tier1["items"]) > 0)
check("every call is rated", all(i["rating"] != "pending" for i in tier1["items"]))
names1 = {i.get("counterpart", {}).get("displayName") for i in tier1["items"]}
check("a specialist sees no one else's name", names1 <= masked | {"Ada Lovelace"})
status, tier2 = get(f"/users/{user}/calls?limit=50", os.environ["ENGINEER"])
names2 = {i.get("counterpart", {}).get("displayName") for i in tier2["items"]}
check("an engineer sees names", status == 200 and bool(names2 - masked - {"Ada Lovelace"}))
poor = next((i for i in tier2["items"] if i["rating"] == "poor" and "outcome" not in i), None)
check("the featured user has a poor call", poor is not None)
if poor:
    status, call1 = get(f"/calls/{poor['callId']}?user={user}", os.environ["SPECIALIST"])
    status2, call2 = get(f"/calls/{poor['callId']}?user={user}", os.environ["ENGINEER"])
    check("a specialist's detail has no Advanced or Debug", status == 200 and all("advanced" not in s and "debug" not in s for s in call1["sessions"]))
    check("an engineer's detail has Advanced and Debug", status2 == 200 and all("advanced" in s and "debug" in s for s in call2["sessions"]))
    check("the main cause is spelled out", any(s["mainCause"] for s in call2["sessions"]))
    check("the building map shows on the session", any(s.get("location") for s in call1["sessions"]))
check("a specialist cannot post call records", get("/calls", os.environ["SPECIALIST"], "POST", b"{}")[0] == 403)
check("ingest answers 400 for a bad record", get("/calls", os.environ["INGEST"], "POST", b"{\"id\": 1}")[0] == 400)
check("ingest answers 415 for a body not sent as JSON", get("/calls", os.environ["INGEST"], "POST", b"{}", "application/x-www-form-urlencoded")[0] == 415)
handshake = urllib.request.Request(base + "/graph/notifications?validationToken=Validation%3A%20a%20%26%20b", method="POST", data=b"")
with urllib.request.urlopen(handshake, timeout=30) as r:
    check("Graph's handshake reaches the webhook without a token: 200, the token as inert plain text",
          r.status == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
          and r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox" and r.read() == b"Validation: a & b")
foreign = json.dumps({"value": [{"clientState": "x" * 40, "resource": "communications/callRecords/c", "resourceData": {"id": "c"}}]}).encode()
check("a notification without our clientState is dropped", get("/graph/notifications", None, "POST", foreign) == (202, {"queued": 0, "dropped": {"wrongClientState": 1}}))
check("an incomplete record is 422 incomplete_record", get("/calls", os.environ["INGEST"], "POST", json.dumps({"id": "c", "version": 1, "startDateTime": "2026-11-30T10:00:00Z", "endDateTime": "2026-11-30T10:05:00Z", "sessions@odata.nextLink": "https://graph.microsoft.com/v1.0/x"}).encode())[1]["error"]["code"] == "incomplete_record")
failed = sum(1 for _, ok in checks if not ok)
print(f"{len(checks) - failed} passed, {failed} failed")
PY
stack_down
gone=1
for pid in $pids; do kill -0 "$pid" 2>/dev/null && gone=0; done
for port in $functions_port $gateway_port $moto_port $graph_port; do
  python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $port))" 2>/dev/null || gone=0
done
pgrep -f "$TARGET_DIR/debug/(ingest|webhook|graph-worker|classify|query)$" >/dev/null && gone=0
result=$(tail -n 1 .local/stack-test.out)
head -n -1 .local/stack-test.out
passed=${result%% passed*}; failed=${result#*, }; failed=${failed%% failed*}
if "$DEV" iam-report "$IAM_LOG" > .local/iam-report.out 2>&1; then
  echo "ok   every DynamoDB request of every function was allowed by its role in infra/template.yaml ($(wc -l < "$IAM_LOG") checked)"
  passed=$((passed + 1))
else
  echo "FAIL requests the deployed roles would refuse (whole report: .local/iam-report.out):"
  grep -E "may not|made no" .local/iam-report.out | sed 's/^ */     /'
  failed=$((failed + 1))
fi
if [ "$gone" = 1 ]; then echo "ok   the stack stopped: no process or port left"; passed=$((passed + 1)); else echo "FAIL processes or ports were left behind"; failed=$((failed + 1)); fi
echo "stack: $passed passed, $failed failed"
[ "$failed" = 0 ]
