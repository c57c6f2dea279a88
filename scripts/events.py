#!/usr/bin/env python3
"""Writes the API Gateway / Lambda sample events in events/ from the Graph records in events/graph/.

    python3 scripts/events.py                 # regenerate events/*.json (committed)
    python3 scripts/events.py --fresh DIR     # re-dated copies in DIR, for invoking a local stack today
    python3 scripts/events.py --check         # fail if events/ differs from what this script writes

The samples are anchored at ANCHOR; tests run the handlers with the clock set to ANCHOR. Calls older
than 30 days are refused, so `--fresh` shifts every timestamp by (now - ANCHOR) for local runs.
"""
import datetime as dt
import hashlib
import json
import pathlib
import re
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
ANCHOR = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.timezone.utc)
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z")


def graph(name):
    return json.loads((EVENTS / "graph" / f"{name}.json").read_text())


def http_event(method, path, body=None, roles=None, sub="ingest-service", content_type="application/json",
               query=None, path_parameters=None, request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef", route=None,
               name=None):
    """An HTTP API (payload 2.0) event; `roles=None` means no JWT authorizer context at all."""
    context = {
        "accountId": "123456789012",
        "apiId": "callscope",
        "domainName": "callscope.example.com",
        "domainPrefix": "callscope",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "curl/8.5.0"},
        "requestId": request_id,
        "routeKey": f"{method} {route or path}",
        "stage": "$default",
        "time": "25/Nov/2026:12:00:00 +0000",
        "timeEpoch": int(ANCHOR.timestamp() * 1000),
    }
    if roles is not None:
        claims = {"sub": sub, "iss": "https://login.example.com/", "roles": roles}
        if name is not None:
            claims["name"] = name
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(query or {}),
        "headers": {"content-type": content_type, "host": "callscope.example.com"},
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body, indent=None)
    return event


def with_headers(event, headers):
    """`event` with `headers` added (lower-case names, as API Gateway hands them over)."""
    event["headers"].update(headers)
    return event


ADA = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b"
MEETING_ID = "e523d2ed-2966-4b6b-925b-754a88034cc5"
# The meeting's guest: a party without a history, whom an admin can erase all the same.
GUEST = "c0ffee00-1234-4abc-9def-0123456789ab"
# The call record of the sample retry's dead letter.
DEAD_LETTER = "2f1a0a6e-0000-4000-8000-000000000d1e"
ROLE_SUBJECTS = {"support-specialist": "helpdesk-tier1", "support-engineer": "helpdesk-tier2", "admin": "callscope-admin"}


def query_event(role, path, query=None, route=None, path_parameters=None, n=0):
    """A helpdesk GET as API Gateway hands it to the query function, for `role` (None: no token)."""
    roles = None if role is None else f"[{role}]"
    sub = ROLE_SUBJECTS.get(role, "someone")
    return http_event("GET", path, roles=roles, sub=sub, query=query, route=route, path_parameters=path_parameters,
                      request_id=f"0000000{n}-7b61-11e6-9a41-93e8deadbeef")


def with_directory_role(event, template_id):
    """`event` with the token's app roles replaced by an Entra directory role in `wids`."""
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    del claims["roles"]
    claims["wids"] = f"[{template_id}]"
    return event


def history_event(role, user, n):
    return query_event(role, f"/users/{user}/calls", {"limit": "50"}, route="/users/{userId}/calls",
                       path_parameters={"userId": user}, n=n)


def call_event(role, user, n):
    return query_event(role, f"/calls/{MEETING_ID}", {"user": user}, route="/calls/{callId}",
                       path_parameters={"callId": MEETING_ID}, n=n)


# The sample escalation: the id the query function gives the escalation of ESCALATE_REQUEST (a hash
# of the request id, the call and the user), so the later samples can name it.
ESCALATE_REQUEST = "00000012-7b61-11e6-9a41-93e8deadbeef"
ESCALATION_ID = hashlib.sha256(f"{ESCALATE_REQUEST}|{MEETING_ID}|{ADA}".encode()).hexdigest()[:32]
STAFF_NAMES = {"helpdesk-tier1": "Sam Specialist", "helpdesk-tier2": "Erin Engineer", "callscope-admin": "Alex Admin"}


def staff_event(method, role, path, route, n, body=None, query=None, path_parameters=None, sub=None):
    """An escalation route as API Gateway hands it to the query function, by `role`'s sample person."""
    sub = sub or ROLE_SUBJECTS.get(role, "someone")
    return http_event(method, path, body=body, roles=f"[{role}]", sub=sub, query=query, route=route,
                      path_parameters=path_parameters, request_id=f"000000{n}-7b61-11e6-9a41-93e8deadbeef",
                      name=STAFF_NAMES.get(sub))


def escalate_event(role, n):
    body = {"note": "Ada says the meeting froze twice; she was on Wi-Fi in the Seattle office.", "ticket": "INC-4711",
            "sessionId": graph("meeting")["sessions"][0]["id"]}
    return staff_event("POST", role, f"/calls/{MEETING_ID}/escalations", "/calls/{callId}/escalations", n, body=body,
                       query={"user": ADA}, path_parameters={"callId": MEETING_ID})


def escalation_event(method, role, action, n, body=None, sub=None):
    """`GET /escalations/{escalationId}` (`action` None) or `POST .../{action}` of the sample escalation."""
    path = f"/escalations/{ESCALATION_ID}" + (f"/{action}" if action else "")
    route = "/escalations/{escalationId}" + (f"/{action}" if action else "")
    return staff_event(method, role, path, route, n, body=body, path_parameters={"escalationId": ESCALATION_ID}, sub=sub)


def invalid_record():
    record = graph("p2p-pstn")
    record["id"] = ""
    record["endDateTime"] = "2026-11-24T08:00:00Z"
    record["sessions"][0]["segments"][0]["media"][0]["streams"][0]["averagePacketLossRate"] = 1.5
    return record


def too_old_record():
    record = graph("p2p-pstn")
    record["id"] = "old-call-1"
    record["startDateTime"] = "2026-10-01T09:00:00Z"
    record["endDateTime"] = "2026-10-01T09:10:00Z"
    return record


SAMPLE_BUILDING_ROW = "192.168.1.0,USA/Seattle/SEATTLE-SEA-1,26,SEATTLE-SEA-1,Contoso,IT Termination,Engineering,Seattle,98001,US,WA,MSUS,1,0,0"


def building_csv(extra_rows=200):
    """The reference's sample row, Ada's office network, and generated /26 rows under 10.0.0.0."""
    lines = [SAMPLE_BUILDING_ROW,
             "10.20.30.0,Contoso/SEA-1/Floor3,24,SEATTLE-SEA-1,Contoso,Office,Engineering,Seattle,98001,US,WA,MSUS,1,0,0"]
    for i in range(extra_rows):
        a, b, c = i // 1024, (i % 1024) // 4, (i % 4) * 64
        lines.append(f"10.{a}.{b}.{c},Site{a}/Floor{b}/Net{c},26,BLD-{a:03}-{b:03},Contoso,Office,Engineering,"
                     f"Redmond,98052,US,WA,MSUS,1,0")
    return "\n".join(lines) + "\n"


def upload_event(path, body, role="[admin]", content_type="text/csv"):
    return http_event("PUT", path, body, role, sub="callscope-admin", content_type=content_type)


STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/callscope/stream/2026-11-25T00:00:00.000"


def attr(value):
    """A JSON value in DynamoDB's attribute-value form."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, list):
        return {"L": [attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: attr(v) for k, v in value.items()}}
    return {"S": value}


def header_image(call_id, version, rating, **extra):
    item = {"PK": f"CALL#{call_id}", "SK": "#HEADER", "callId": call_id, "version": version, "rating": rating}
    item.update(extra)
    return {k: attr(v) for k, v in item.items()}


def stream_record(name, sequence, keys_of, new=None, old=None, ttl=False):
    """One DynamoDB Streams record as Lambda delivers it (NEW_AND_OLD_IMAGES)."""
    change = {
        "ApproximateCreationDateTime": int(ANCHOR.timestamp()),
        "Keys": {k: keys_of[k] for k in ("PK", "SK")},
        "SequenceNumber": sequence,
        "SizeBytes": 256,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    record = {
        "eventID": f"event-{sequence[-1]}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN,
    }
    if ttl:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return {"Records": [record]}


P2P_ID = "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b"
# GRAPH_CLIENT_STATE of the tests and the local stack.
CLIENT_STATE = "test-graph-client-state-0123456789abcdef"


def graph_notification(call_id):
    resource = f"communications/callRecords/{call_id}"
    return {"value": [{
        "subscriptionId": "2f1c1a5e-5b9e-4a4e-9d64-0e7a5f3b8c21", "subscriptionExpirationDateTime": "2026-11-28T10:00:00Z",
        "changeType": "updated", "clientState": CLIENT_STATE, "resource": resource, "tenantId": "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e",
        "resourceData": {"@odata.type": "#microsoft.graph.callrecord", "@odata.id": resource, "id": call_id},
    }]}


def incomplete_record():
    record = graph("meeting")
    record["sessions@odata.nextLink"] = f"https://graph.microsoft.com/v1.0/communications/callRecords/{MEETING_ID}/sessions?$expand=segments&$skiptoken=60"
    return record

# The rows and user of Graph's documentation examples of the two phone-call logs.
PHONE_USER = "db03c14b-06eb-4189-939b-7cbf3a20ba27"
DIRECT_ROUTING_ROW = "9e8bba57-dc14-533a-a7dd-f0da6575eed1"
PSTN_ROW = "9c4984c7-6c3c-427d-a30c-bd0b2eacee90"


def phone_call_event(role, row, n):
    return query_event(role, f"/calls/{row}", {"user": PHONE_USER}, route="/calls/{callId}",
                       path_parameters={"callId": row}, n=n)


def phone_rows(name):
    """Graph's documentation example of a phone-call log (`events/graph/<name>.json`, calls of
    2019-11-01) as of the anchor's day; Graph's `0001-01-01` "none" times stay as they are."""
    delta = dt.datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day) - dt.datetime(2019, 11, 1)

    def moved(match):
        if match.group(1).startswith("0001-"):
            return match.group(0)
        at = dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S") + delta
        return at.strftime("%Y-%m-%dT%H:%M:%S") + (match.group(2) or "") + "Z"
    return json.loads(TIMESTAMP.sub(moved, (EVENTS / "graph" / f"{name}.json").read_text()))


EVENT_FILES = {
    "ingest-post-call.json": lambda: http_event("POST", "/calls", graph("p2p-pstn"), "[ingest]"),
    "ingest-post-meeting.json": lambda: http_event("POST", "/calls", graph("meeting"), '["ingest"]'),
    "ingest-post-batch.json": lambda: http_event("POST", "/calls", {"value": [graph("p2p-pstn"), graph("meeting")]}, "admin"),
    "ingest-post-invalid.json": lambda: http_event("POST", "/calls", invalid_record(), "[ingest]"),
    "ingest-post-too-old.json": lambda: http_event("POST", "/calls", too_old_record(), "[ingest]"),
    "ingest-post-no-claims.json": lambda: http_event("POST", "/calls", graph("p2p-pstn"), None),
    "ingest-post-wrong-role.json": lambda: http_event("POST", "/calls", graph("p2p-pstn"), "[support-specialist]", sub="helpdesk-1"),
    "ingest-post-incomplete.json": lambda: http_event("POST", "/calls", incomplete_record(), "[ingest]"),
    # Graph's phone-call logs as Graph answers them (its documentation's examples, re-dated).
    "ingest-post-pstn-calls.json": lambda: http_event("POST", "/pstn-calls", phone_rows("pstn-calls-docs"), "[ingest]"),
    "ingest-post-direct-routing-calls.json": lambda: http_event(
        "POST", "/pstn-calls", phone_rows("direct-routing-calls-docs"), "[ingest]"),
    # Microsoft Graph's calls to the webhook function (no JWT).
    "webhook-validation.json": lambda: http_event(
        "POST", "/graph/notifications", "", None, content_type="text/plain; charset=utf-8",
        query={"validationToken": "Validation: Testing client application"}),
    "webhook-validation-with-body.json": lambda: http_event(
        "POST", "/graph/notifications", graph_notification(P2P_ID), None,
        query={"validationToken": "Validation: Testing client application"}),
    "webhook-notification.json": lambda: http_event("POST", "/graph/notifications", graph_notification(P2P_ID), None),
    "webhook-lifecycle.json": lambda: http_event("POST", "/graph/lifecycle", {"value": [{
        "subscriptionId": "2f1c1a5e-5b9e-4a4e-9d64-0e7a5f3b8c21", "clientState": CLIENT_STATE, "lifecycleEvent": "missed",
        "resource": "/communications/callRecords", "tenantId": "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e"}]}, None),
    "webhook-too-large.json": lambda: with_headers(
        http_event("POST", "/graph/notifications", graph_notification(P2P_ID), None), {"content-length": "2097152"}),
    # The admin's backfill.
    "ingest-graph-backfill-admin.json": lambda: http_event(
        "POST", "/graph/backfill", {"from": "2026-11-20T00:00:00Z", "to": "2026-11-25T00:00:00Z"}, "[admin]", sub="callscope-admin"),
    # An admin's retry of a dead-lettered call record.
    "ingest-dead-letter-retry-admin.json": lambda: http_event(
        "POST", f"/graph/dead-letters/{DEAD_LETTER}/retry", None, "[admin]", sub="callscope-admin",
        route="/graph/dead-letters/{callId}/retry", path_parameters={"callId": DEAD_LETTER},
        request_id="e0000003-7b61-11e6-9a41-93e8deadbeef"),
    # The right to erasure, of the meeting's guest (any party id), and where it stands.
    "ingest-erase-guest-admin.json": lambda: http_event(
        "DELETE", f"/users/{GUEST}", None, "[admin]", sub="callscope-admin", route="/users/{userId}",
        path_parameters={"userId": GUEST}, request_id="e0000001-7b61-11e6-9a41-93e8deadbeef"),
    "ingest-erasure-status-admin.json": lambda: http_event(
        "GET", f"/users/{GUEST}/erasure", None, "[admin]", sub="callscope-admin", route="/users/{userId}/erasure",
        path_parameters={"userId": GUEST}, request_id="e0000002-7b61-11e6-9a41-93e8deadbeef"),
    # Tenant data uploads (admin only).
    "ingest-put-buildings.json": lambda: upload_event("/buildings", building_csv()),
    "ingest-put-buildings-tsv.json": lambda: upload_event(
        "/buildings", building_csv(20).replace(",", "\t"), content_type="text/tab-separated-values"),
    "ingest-put-buildings-invalid.json": lambda: upload_event(
        "/buildings", SAMPLE_BUILDING_ROW + "\n10.1.0.1,Net,33,Bld,,,,,,,,,2,0\n192.168.1.32,Overlap,27,Bld,,,,,,,,,1,0\n"),
    "ingest-put-buildings-wrong-role.json": lambda: upload_event("/buildings", building_csv(5), role="[support-engineer]"),
    "ingest-put-endpoints.json": lambda: upload_event(
        "/endpoints", "ADA-LAPTOP-01,Lenovo,ThinkPad X1 Carbon,Laptop,Floor 3,Finance,\nBOB-PC,Dell,OptiPlex 7090,Desktop,,,\n"),
    # The helpdesk's routes, per role.
    "query-users-search-specialist.json": lambda: query_event("support-specialist", "/users", {"search": "ada"}, n=1),
    "query-users-list-engineer.json": lambda: query_event("support-engineer", "/users", {"limit": "20"}, n=2),
    "query-users-search-two-words-specialist.json": lambda: query_event(
        "support-specialist", "/users", {"search": "ada love", "limit": "20"}, n=23),
    "query-me-specialist.json": lambda: query_event("support-specialist", "/me", n=24),
    # A support engineer by the Entra role Teams Communications Support Engineer, no app role.
    "query-me-wids-engineer.json": lambda: with_directory_role(
        query_event("support-engineer", "/me", n=25), "f70938a0-fc10-4177-9e90-2178f8765737"),
    "query-audit-action-admin.json": lambda: query_event("admin", "/audit", {"action": "history", "limit": "10"}, n=26),
    "query-graph-status-admin.json": lambda: query_event("admin", "/graph/status", n=27),
    "query-history-specialist.json": lambda: history_event("support-specialist", ADA, 3),
    "query-history-engineer.json": lambda: history_event("support-engineer", ADA, 4),
    "query-call-specialist.json": lambda: call_event("support-specialist", ADA, 5),
    "query-call-engineer.json": lambda: call_event("support-engineer", ADA, 6),
    "query-call-admin.json": lambda: call_event("admin", ADA, 7),
    # A phone-call row's detail (after ingest-post-*-calls.json): Direct Routing, then PSTN with its charge.
    "query-call-phone-specialist.json": lambda: phone_call_event("support-specialist", DIRECT_ROUTING_ROW, 28),
    "query-call-phone-engineer.json": lambda: phone_call_event("support-engineer", DIRECT_ROUTING_ROW, 29),
    "query-call-phone-admin.json": lambda: phone_call_event("admin", PSTN_ROW, 30),
    "query-audit-admin.json": lambda: query_event("admin", "/audit", n=8),
    "query-audit-specialist.json": lambda: query_event("support-specialist", "/audit", n=9),
    "query-history-no-claims.json": lambda: history_event(None, ADA, 0),
    "query-buildings-admin.json": lambda: query_event("admin", "/buildings", {"limit": "10"}, n=10),
    "query-unmapped-subnets-admin.json": lambda: query_event("admin", "/buildings/unmapped-subnets", n=11),
    # The tier 1 -> tier 2 handoff, per role: allowed and refused.
    "query-escalate-specialist.json": lambda: escalate_event("support-specialist", 12),
    "query-escalate-ingest.json": lambda: escalate_event("ingest", 13),
    "query-escalations-engineer.json": lambda: staff_event(
        "GET", "support-engineer", "/escalations", "/escalations", 14, query={"state": "open", "limit": "20"}),
    "query-escalations-specialist.json": lambda: staff_event("GET", "support-specialist", "/escalations", "/escalations", 15),
    "query-escalations-mine-specialist.json": lambda: staff_event(
        "GET", "support-specialist", "/escalations", "/escalations", 16, query={"mine": "true"}),
    "query-escalation-engineer.json": lambda: escalation_event("GET", "support-engineer", None, 17),
    "query-escalation-other-specialist.json": lambda: escalation_event(
        "GET", "support-specialist", None, 18, sub="helpdesk-tier1-other"),
    "query-escalation-note-engineer.json": lambda: escalation_event(
        "POST", "support-engineer", "notes", 19, body={"note": "Packet loss on the Seattle Wi-Fi; asked the network team."}),
    "query-escalation-claim-engineer.json": lambda: escalation_event("POST", "support-engineer", "claim", 20),
    "query-escalation-claim-specialist.json": lambda: escalation_event("POST", "support-specialist", "claim", 21),
    "query-escalation-resolve-admin.json": lambda: escalation_event("POST", "admin", "resolve", 22),
    # Stream records for the classify function.
    "classify-insert.json": lambda: stream_record(
        "INSERT", "400000000000000000001", header_image(P2P_ID, 1, "pending"), new=header_image(P2P_ID, 1, "pending")),
    "classify-modify-own-write.json": lambda: stream_record(
        "MODIFY", "400000000000000000002", header_image(P2P_ID, 1, "good"),
        new=header_image(P2P_ID, 1, "good", issueCodes=[], resultPages=1), old=header_image(P2P_ID, 1, "pending")),
    "classify-remove-ttl.json": lambda: stream_record(
        "REMOVE", "400000000000000000004", header_image(P2P_ID, 1, "good"), old=header_image(P2P_ID, 1, "good"), ttl=True),
    "classify-unreadable.json": lambda: stream_record(
        "INSERT", "400000000000000000003", header_image(P2P_ID, 1, "pending"),
        new=header_image(P2P_ID, "two", "pending")),
}


def shift(text, delta):
    def moved(match):
        at = dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S") + delta
        return at.strftime("%Y-%m-%dT%H:%M:%S") + (match.group(2) or "") + "Z"
    return TIMESTAMP.sub(moved, text)


def main(argv):
    if argv[:1] == ["--fresh"] and len(argv) == 2:
        out = pathlib.Path(argv[1])
        out.mkdir(parents=True, exist_ok=True)
        delta = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - ANCHOR
        for path in sorted(EVENTS.glob("*.json")):
            event = json.loads(path.read_text())
            if "body" in event:
                event["body"] = shift(event["body"], delta)
            elif "Records" in event:
                event = json.loads(shift(json.dumps(event), delta))
            (out / path.name).write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote {len(list(out.glob('*.json')))} re-dated events to {out}")
    elif argv == ["--check"]:
        stale = [name for name, build in EVENT_FILES.items()
                 if not (EVENTS / name).exists() or json.loads((EVENTS / name).read_text()) != build()]
        extra = sorted(p.name for p in EVENTS.glob("*.json") if p.name not in EVENT_FILES)
        if stale or extra:
            sys.exit(f"events/ is out of date (run `make events`): stale {stale}, unknown {extra}")
    elif not argv:
        for name, build in EVENT_FILES.items():
            (EVENTS / name).write_text(json.dumps(build(), indent=2) + "\n")
        print(f"wrote {len(EVENT_FILES)} events to {EVENTS}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
