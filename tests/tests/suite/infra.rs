//! `infra/template.yaml` against the code: the table the template declares is the table the core
//! creates, the routes it maps are the routes the handlers serve, the stream filter passes
//! exactly the changes classify acts on, and a tampered audit trail raises the alarm's metric.

use aws_lambda_events::dynamodb::{EventRecord, UserIdentity};
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_core::store::keys::{self, AuditPartition};
use callscope_core::store::schema::table_definition;
use callscope_core::store::stream::{Change, ChangeKind, Decision, Skip, decide};
use callscope_core::store::{DynamoStore, Item};
use callscope_dev::iam::Check;
use callscope_dev::iam::policy::{self, Access};
use callscope_dev::iam::template::{Deployment, Template};
use callscope_http::{Access as RouteAccess, HttpFunction, Route};
use callscope_tests::iam::{Roles, repository_template};
use callscope_tests::samples::ADA;
use callscope_tests::{
    ANCHOR, Captured, Pipeline, all_items, api_request, fresh_store, graph_record, ingest_app, ingest_request,
    local_client, query_app,
};
use serde_json::{Value as Json, json};
use serde_norway::Value;
use std::collections::BTreeSet;
use tracing_subscriber::util::SubscriberInitExt;

pub(crate) fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).expect("the template is YAML")
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    &template["Resources"][name]["Properties"]
}

fn strings(value: &Value, field: &str) -> BTreeSet<(String, String)> {
    value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| (v["AttributeName"].as_str().unwrap().to_owned(), v[field].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn the_template_declares_the_table_the_core_creates() {
    let template = template();
    let table = resource(&template, "Table");
    let def = table_definition();
    let key_schema =
        |pk: &str, sk: &str| BTreeSet::from([(pk.to_owned(), "HASH".to_owned()), (sk.to_owned(), "RANGE".to_owned())]);
    assert_eq!(strings(&table["KeySchema"], "KeyType"), key_schema(def.partition_key, def.sort_key));
    let attributes: BTreeSet<_> = def.key_attributes().into_iter().map(|a| (a.to_owned(), "S".to_owned())).collect();
    assert_eq!(strings(&table["AttributeDefinitions"], "AttributeType"), attributes);
    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), def.indexes.len());
    for (declared, index) in indexes.iter().zip(&def.indexes) {
        assert_eq!(declared["IndexName"].as_str(), Some(index.name));
        assert_eq!(strings(&declared["KeySchema"], "KeyType"), key_schema(index.partition_key, index.sort_key));
        assert_eq!(declared["Projection"]["ProjectionType"].as_str(), Some("ALL"));
    }
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some(def.ttl_attribute));
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"].as_bool(), Some(true));
    assert_eq!(table["StreamSpecification"]["StreamViewType"].as_str(), Some(def.stream_view));
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
    assert_eq!(table["SSESpecification"]["SSEEnabled"].as_bool(), Some(true));
}

fn declared_routes(template: &Value, function: &str) -> BTreeSet<(String, String)> {
    let events = template["Resources"][function]["Properties"]["Events"].as_mapping().unwrap();
    events
        .values()
        .filter(|e| e["Type"].as_str() == Some("HttpApi"))
        .map(|e| {
            (
                e["Properties"]["Method"].as_str().unwrap().to_owned(),
                e["Properties"]["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn served(routes: &[Route]) -> BTreeSet<(String, String)> {
    routes.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect()
}

/// The routes of `routes` served to `access`.
fn served_to(routes: &[Route], access: RouteAccess) -> Vec<Route> {
    routes.iter().filter(|r| r.access == access).copied().collect()
}

/// The API a function's `HttpApi` event is on (`!Ref <api>`).
fn api_of(event: &Value) -> String {
    match &event["Properties"]["ApiId"] {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().unwrap().to_owned(),
        other => panic!("ApiId is not a !Ref: {other:?}"),
    }
}

/// The `HttpApi` events of every function, as (function, api, method, path, authorizer).
fn http_events(template: &Value) -> Vec<(String, String, String, String, Option<String>)> {
    let functions = template["Resources"].as_mapping().unwrap().iter();
    functions
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .flat_map(|(name, r)| {
            let events = r["Properties"]["Events"].as_mapping().into_iter().flat_map(|m| m.values());
            events.filter(|e| e["Type"].as_str() == Some("HttpApi")).map(move |e| {
                let property = |field: &str| e["Properties"][field].as_str().unwrap().to_owned();
                let authorizer = e["Properties"]["Auth"]["Authorizer"].as_str().map(str::to_owned);
                (name.as_str().unwrap().to_owned(), api_of(e), property("Method"), property("Path"), authorizer)
            })
        })
        .collect()
}

#[test]
fn every_route_served_is_declared_and_vice_versa() {
    let template = template();
    assert_eq!(declared_routes(&template, "IngestFunction"), served(&ingest::App::route_table()));
    assert_eq!(declared_routes(&template, "WebhookFunction"), served(&webhook::App::route_table()));
    assert!(declared_routes(&template, "GraphWorkerFunction").is_empty());
    assert_eq!(declared_routes(&template, "QueryFunction"), served(&query::App::route_table()));
    assert!(declared_routes(&template, "ClassifyFunction").is_empty());
    let auth = &resource(&template, "HttpApi")["Auth"];
    assert_eq!(auth["DefaultAuthorizer"].as_str(), Some("Jwt"), "every route is behind the JWT authorizer ...");
    let public: BTreeSet<(String, String)> = http_events(&template)
        .into_iter()
        .filter(|(_, api, _, _, authorizer)| api == "HttpApi" && authorizer.as_deref() == Some("NONE"))
        .map(|(_, _, method, path, _)| (method, path))
        .collect();
    let console = served_to(&query::App::route_table(), RouteAccess::Public);
    assert_eq!(public, served(&console), "... but the console's static files");
    assert!(served_to(&ingest::App::route_table(), RouteAccess::Public).is_empty());
    assert!(served_to(&webhook::App::route_table(), RouteAccess::Token).is_empty(), "Graph presents no token");
}

/// Graph's webhook is the one unauthenticated way in that takes data: it has an API of its own
/// (its own origin, stage throttle and access log) that nothing else is on, and a function of
/// its own with its own reserved concurrency, so that a flood of it cannot take the helpdesk's
/// or the admins' capacity (their erasures included).
#[test]
fn the_webhook_is_apart_from_the_helpdesk_and_admin_routes() {
    let template = template();
    for (function, api, method, path, authorizer) in http_events(&template) {
        let on_webhook_api = api == "WebhookApi";
        assert_eq!(on_webhook_api, function == "WebhookFunction", "{function}: {method} {path} on {api}");
        if on_webhook_api {
            assert_eq!(authorizer, None, "Graph presents no token: the webhook API has no authorizer");
        }
    }
    let api = resource(&template, "WebhookApi");
    assert!(api.get("Auth").is_none(), "no authorizer on the webhook's API");
    let throttle = &api["DefaultRouteSettings"];
    for (limit, parameter) in
        [("ThrottlingRateLimit", "WebhookRateLimit"), ("ThrottlingBurstLimit", "WebhookBurstLimit")]
    {
        match &throttle[limit] {
            Value::Tagged(t) if t.tag == "Ref" => assert_eq!(t.value.as_str(), Some(parameter)),
            other => panic!("{limit}: {other:?}"),
        }
    }
    assert!(api["AccessLogSettings"]["Format"].as_str().unwrap().contains("$context.requestId"));
    let concurrency = |function: &str| match &resource(&template, function)["ReservedConcurrentExecutions"] {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().unwrap().to_owned(),
        other => panic!("{function}: {other:?}"),
    };
    assert_eq!(concurrency("WebhookFunction"), "WebhookConcurrency");
    assert_ne!(concurrency("IngestFunction"), concurrency("WebhookFunction"));
}

/// The `!Ref` target of `value`, if it is one.
fn reference(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The resource a `!Ref` or a `!GetAtt` names (its logical id).
fn target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => {
            tagged.value.as_str().and_then(|v| v.split('.').next()).map(str::to_owned)
        }
        other => reference(other),
    }
}

/// The secrets (`!Ref` targets) a policy tree lets read with `secretsmanager:GetSecretValue`.
fn readable_secrets(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(map) => {
            if value["Action"].as_str() == Some("secretsmanager:GetSecretValue") {
                found.insert(reference(&value["Resource"]).expect("a secret named by !Ref"));
            }
            map.values().for_each(|v| readable_secrets(v, found));
        }
        Value::Sequence(items) => items.iter().for_each(|v| readable_secrets(v, found)),
        Value::Tagged(tagged) => readable_secrets(&tagged.value, found),
        _ => {}
    }
}

/// Secrets reach the functions by name, never by value: nothing is resolved from Secrets
/// Manager into an environment variable at deploy time (anyone allowed
/// `lambda:GetFunctionConfiguration` reads those); each function that names a secret
/// (`<NAME>_ARN`, read at cold start) may read exactly the secrets it names.
#[test]
fn secrets_are_named_in_the_environment_and_readable_only_by_their_functions() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    assert!(
        !std::fs::read_to_string(path).unwrap().contains("{{resolve:secretsmanager"),
        "no secret value in the environment"
    );
    let template = template();
    let mut named_by = std::collections::BTreeMap::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let variables = resource["Properties"]["Environment"]["Variables"].as_mapping();
        let named: BTreeSet<String> = variables
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str().is_some_and(|k| k.ends_with("_ARN")))
            .map(|(k, v)| reference(v).unwrap_or_else(|| panic!("{k:?} names its secret by !Ref")))
            .collect();
        let mut readable = BTreeSet::new();
        readable_secrets(&resource["Properties"]["Policies"], &mut readable);
        assert_eq!(named, readable, "{name:?} may read exactly the secrets it names");
        named_by.insert(name.as_str().unwrap().to_owned(), named);
    }
    let names = |secrets: &[&str]| secrets.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(named_by["WebhookFunction"], names(&["GraphClientState"]));
    assert_eq!(named_by["GraphWorkerFunction"], names(&["GraphClientSecretArn", "GraphClientState"]));
    assert_eq!(named_by["QueryFunction"], names(&["CursorKey"]));
    assert!(named_by["IngestFunction"].is_empty() && named_by["ClassifyFunction"].is_empty());
}

/// A request to `method path` without claims: a served route answers 401, an unknown one 404.
fn unauthenticated(method: &str, path: &str) -> lambda_http::Request {
    let path = path.replace("{userId}", "u1").replace("{callId}", "c1");
    let (path, query) = path.split_once('?').unwrap_or((&path, ""));
    let event = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path, "rawQueryString": query,
        "headers": {}, "isBase64Encoded": false,
        "requestContext": { "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "r", "routeKey": format!("{method} {path}"), "stage": "$default", "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d", "time": "t", "timeEpoch": 0 },
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

#[tokio::test]
async fn the_declared_routes_are_the_ones_the_handlers_serve() {
    let pipeline = Pipeline::new().await;
    let query_app = callscope_tests::query_app(pipeline.store().clone());
    for Route { method, path, .. } in ingest::App::route_table() {
        let status = pipeline.ingest.handle(unauthenticated(method, path)).await.status();
        assert_eq!(status, 401, "ingest {method} {path} is served (and needs a token)");
    }
    for Route { method, path, access } in query::App::route_table() {
        let path = path.replace("{asset}", "app.js");
        let status = query_app.handle(unauthenticated(method, &path)).await.status();
        let expected = if access == RouteAccess::Public { 200 } else { 401 };
        assert_eq!(status, expected, "query {method} {path} is served ({access:?})");
    }
    for Route { method, path, .. } in webhook::App::route_table() {
        let request = unauthenticated(method, &format!("{path}?validationToken=t"));
        let status = pipeline.webhook.handle(request).await.status();
        assert_eq!(status, 200, "webhook {method} {path} is served without a token");
    }
    assert_eq!(pipeline.ingest.handle(unauthenticated("GET", "/calls")).await.status(), 404);
    assert_eq!(query_app.handle(unauthenticated("GET", "/elsewhere")).await.status(), 404);
}

/// Lambda's event filtering for the subset the template uses: objects nest, arrays list the
/// allowed values, and an allowed value may be `{"prefix": "..."}` (a string that starts so).
/// Any other rule is refused, so a pattern this cannot evaluate is never taken as agreeing.
fn matches(pattern: &Json, event: &Json) -> bool {
    match pattern {
        Json::Object(fields) => fields.iter().all(|(key, p)| event.get(key).is_some_and(|e| matches(p, e))),
        Json::Array(allowed) => allowed.iter().any(|rule| match rule {
            Json::Object(rule) => match (rule.len(), rule.get("prefix")) {
                (1, Some(Json::String(prefix))) => event.as_str().is_some_and(|e| e.starts_with(prefix.as_str())),
                _ => panic!("a filter rule this check does not model: {rule:?}"),
            },
            value => value == event,
        }),
        _ => false,
    }
}

/// The stream's filter patterns (a record passes if any matches).
fn filter_patterns() -> Vec<Json> {
    let template = template();
    let stream = &template["Resources"]["ClassifyFunction"]["Properties"]["Events"]["TableStream"]["Properties"];
    assert_eq!(stream["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    assert_eq!(stream["BisectBatchOnFunctionError"].as_bool(), Some(true));
    assert!(stream["DestinationConfig"]["OnFailure"]["Destination"].is_tagged(), "an on-failure destination");
    let filters = stream["FilterCriteria"]["Filters"].as_sequence().unwrap();
    filters.iter().map(|f| serde_json::from_str(f["Pattern"].as_str().unwrap()).unwrap()).collect()
}

trait Tagged {
    fn is_tagged(&self) -> bool;
}

impl Tagged for Value {
    fn is_tagged(&self) -> bool {
        matches!(self, Value::Tagged(_))
    }
}

/// The audit trail's changes, as its stream reports them.
struct AuditChanges {
    /// What the product does to it: served reads' entries and the day's index, refused reads
    /// counted (the first inserted, the rest increments), the day indexed again by a second
    /// function.
    product: Vec<EventRecord>,
    /// An entry put over with a past `expiresAt`, as a function holding `PutItem` on `AUDIT#*`
    /// could, hiding it from `GET /audit` at once.
    overwrite: Vec<EventRecord>,
    /// Another entry deleted outright (an operator, or a role that may delete).
    deletion: Vec<EventRecord>,
    /// That entry's removal as DynamoDB's TTL process reports it (moto never expires items).
    expiry: EventRecord,
    /// The overwritten and the deleted entry, as they were.
    overwritten: Item,
    deleted: Item,
}

/// Changes `pipeline`'s audit trail in every way the product does, then as an attacker would.
/// The stream must be drained before.
async fn change_the_audit_trail(pipeline: &mut Pipeline) -> AuditChanges {
    let table = pipeline.store().table().to_owned();
    let history = format!("/users/{ADA}/calls");
    let app = callscope_tests::query_app(pipeline.store().clone());
    for role in ["support-engineer", "admin"] {
        assert_eq!(app.handle(api_request("GET", Some(role), &history, &[])).await.status(), 200);
    }
    for _ in 0..3 {
        assert_eq!(app.handle(api_request("GET", Some("ingest"), &history, &[])).await.status(), 403);
    }
    // A second warm function indexes the day again (the first keeps it in memory).
    let other = callscope_tests::query_app(DynamoStore::new(local_client(), &table));
    assert_eq!(other.handle(api_request("GET", Some("support-engineer"), &history, &[])).await.status(), 200);
    let product = pipeline.stream.next_records().await.unwrap();

    let key = |item: &Item| (text(item, "PK"), text(item, "SK"));
    let mut entries: Vec<Item> = all_items(&table)
        .await
        .into_iter()
        .filter(|item| matches!(keys::audit_partition(&text(item, "PK")), Some(AuditPartition::Entries { .. })))
        .collect();
    entries.sort_by_key(key);
    assert_eq!(entries.len(), 3, "one entry per served read");
    let client = local_client();
    let mut hidden = entries[0].clone();
    let past = ANCHOR - time::Duration::days(1);
    hidden.insert("expiresAt".into(), AttributeValue::N(past.unix_timestamp().to_string()));
    client.put_item().table_name(&table).set_item(Some(hidden)).send().await.unwrap();
    let overwrite = pipeline.stream.next_records().await.unwrap();
    let (pk, sk) = key(&entries[1]);
    let keys = [("PK", pk), ("SK", sk)].map(|(name, value)| (name.to_owned(), AttributeValue::S(value)));
    client.delete_item().table_name(&table).set_key(Some(keys.into())).send().await.unwrap();
    let deletion = pipeline.stream.next_records().await.unwrap();
    let mut expiry = deletion.first().expect("the deletion's record").clone();
    let mut ttl = UserIdentity::default();
    ttl.type_ = "Service".into();
    ttl.principal_id = "dynamodb.amazonaws.com".into();
    expiry.user_identity = Some(ttl);
    let (overwritten, deleted) = (entries[0].clone(), entries[1].clone());
    AuditChanges { product, overwrite, deletion, expiry, overwritten, deleted }
}

fn text(item: &Item, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_stream_filter_passes_exactly_what_classify_acts_on() {
    let patterns = filter_patterns();
    // Every kind of change the product makes: ingest's items, classify's results and rating,
    // a new version and its rating, an erasure rewriting the rated call, a TTL removal sample,
    // and every kind of change of the audit trail (the product's own, and tampering).
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&callscope_tests::graph_record("meeting.json")).await;
    let mut records = pipeline.stream.next_records().await.unwrap();
    pipeline.deliver(callscope_tests::event(records.clone())).await;
    records.extend(pipeline.stream.next_records().await.unwrap());
    pipeline.post(&callscope_tests::meeting_record(3)).await;
    let version_3 = pipeline.stream.next_records().await.unwrap();
    pipeline.deliver(callscope_tests::event(version_3.clone())).await;
    records.extend(version_3);
    records.extend(pipeline.stream.next_records().await.unwrap());
    // The guest's erasure rewrites the rated call; its sweep, once due, hands it over again.
    let guest = "c0ffee00-1234-4abc-9def-0123456789ab";
    let home = callscope_core::support::fixtures::HOME_TENANT;
    let all_at_once = callscope_core::support::deadline::Deadline::never();
    let request = callscope_core::store::ErasureRun::Request;
    let ingest = callscope_tests::as_function(pipeline.store(), "ingest");
    assert!(ingest.erase_user(guest, home, ANCHOR, all_at_once, request).await.unwrap().unwrap().complete);
    let classify = callscope_tests::as_function(pipeline.store(), "classify");
    assert_eq!(classify.start_due_sweeps(ANCHOR + time::Duration::minutes(16)).await.unwrap(), 1);
    records.extend(pipeline.stream.next_records().await.unwrap());
    let removal: aws_lambda_events::dynamodb::Event =
        serde_json::from_str(&callscope_tests::event_text("classify-remove-ttl.json")).unwrap();
    records.extend(removal.records);
    let audit = change_the_audit_trail(&mut pipeline).await;
    records.extend(audit.product.into_iter().chain(audit.overwrite).chain(audit.deletion).chain([audit.expiry]));

    let (mut rated, mut continued, mut tampered, mut kept) = (0, 0, 0, 0);
    for record in &records {
        let decision = decide(&Change::from_record(record).unwrap()).unwrap();
        // The filter passes what classify acts on, and every change of an audit item but its
        // insert: whether that is the product's own (a refusal counted, an expiry) only the
        // handler can tell, from both images and the record's principal.
        let wanted = !matches!(decision, Decision::Skip(skip) if skip != Skip::AuditTrailKept);
        let event = serde_json::to_value(record).unwrap();
        let passed = patterns.iter().any(|pattern| matches(pattern, &event));
        assert_eq!(passed, wanted, "filter and handler disagree on {} {:?}", record.event_name, record.change.keys);
        rated += usize::from(matches!(decision, Decision::Rate { .. }));
        continued += usize::from(matches!(decision, Decision::ContinueErasure { .. }));
        tampered += usize::from(matches!(decision, Decision::Tampered(_)));
        kept += usize::from(decision == Decision::Skip(Skip::AuditTrailKept));
    }
    assert_eq!(rated, 2, "the INSERT of version 2 and the MODIFY to version 3");
    assert_eq!(continued, 1, "the hand-over of an erasure's sweep");
    assert_eq!(tampered, 2, "the entry put over and the entry deleted");
    assert!(kept >= 3, "two refusals counted and the expiry: {kept}");
    assert!(records.len() > 20);
}

/// CloudWatch Logs' JSON filter syntax, the subset the template uses: `{ SEL = "TEXT" }`, or
/// several joined by `&&`, where SEL is `$.` and dot-separated field names and TEXT a string
/// without wildcards, matched exactly. Any other pattern is refused (a panic naming it), so a
/// pattern this cannot evaluate is never taken as matching.
pub(crate) fn metric_filter_matches(pattern: &str, line: &str) -> bool {
    let refuse = || panic!("a metric filter pattern this check does not model: {pattern}");
    let Some(body) = pattern.trim().strip_prefix('{').and_then(|p| p.strip_suffix('}')) else { refuse() };
    if body.contains("||") || body.contains('(') {
        refuse();
    }
    let Ok(event) = serde_json::from_str::<Json>(line) else { return false };
    body.split("&&").all(|comparison| {
        let Some((selector, value)) = comparison.split_once('=') else { refuse() };
        let path = selector.trim().strip_prefix("$.").unwrap_or_else(|| refuse());
        let names: Vec<&str> = path.split('.').collect();
        if names.iter().any(|n| n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            refuse();
        }
        let text = value.trim().strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or_else(|| refuse());
        if text.contains(['"', '*', '\\']) || selector.contains(['!', '<', '>']) {
            refuse();
        }
        names.iter().try_fold(&event, |node, name| node.get(name)).and_then(Json::as_str) == Some(text)
    })
}

#[test]
fn the_metric_filter_subset_is_evaluated_as_cloudwatch_does_and_nothing_else_is_accepted() {
    let line = r#"{"level":"ERROR","fields":{"message":"audit trail changed","day":"2026-11-25"},"target":"classify"}"#;
    assert!(metric_filter_matches(r#"{ $.fields.message = "audit trail changed" }"#, line));
    assert!(metric_filter_matches(r#"{ $.level = "ERROR" && $.fields.message = "audit trail changed" }"#, line));
    assert!(!metric_filter_matches(r#"{ $.level = "WARN" && $.fields.message = "audit trail changed" }"#, line));
    assert!(!metric_filter_matches(r#"{ $.fields.message = "audit trail" }"#, line), "exact, not a substring");
    assert!(!metric_filter_matches(r#"{ $.fields.missing = "x" }"#, line));
    assert!(!metric_filter_matches(r#"{ $.fields.message = "audit trail changed" }"#, "not json"));
    for outside in [
        r#"{ $.fields.message = "audit*" }"#,
        r#"{ $.level != "INFO" }"#,
        r#"{ ($.level = "ERROR") || ($.level = "WARN") }"#,
        r#"{ $.latency > 5 }"#,
        r#"audit trail changed"#,
        r#"{ $.fields[0] = "x" }"#,
    ] {
        assert!(std::panic::catch_unwind(|| metric_filter_matches(outside, line)).is_err(), "{outside} refused");
    }
    // Every metric filter of the template is within the subset.
    let template = template();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() == Some("AWS::Logs::MetricFilter") {
            let pattern = resource["Properties"]["FilterPattern"].as_str().unwrap();
            let modelled = std::panic::catch_unwind(|| metric_filter_matches(pattern, line)).is_ok();
            assert!(modelled, "{name:?}'s pattern is outside the modelled subset: {pattern}");
        }
    }
}

/// The pattern of the metric filter `name`, checked to read `function`'s log group and to feed
/// the alarm `alarm`.
pub(crate) fn metric_filter_of(template: &Value, name: &str, function: &str, alarm: &str) -> String {
    let filter = resource(template, name);
    assert_eq!(filter["LogGroupName"], resource(template, function)["LoggingConfig"]["LogGroup"], "{function}'s logs");
    let metric = &filter["MetricTransformations"][0];
    let alarm = resource(template, alarm);
    assert_eq!(alarm["Namespace"], metric["MetricNamespace"]);
    assert_eq!(alarm["MetricName"], metric["MetricName"]);
    assert_eq!(alarm["ComparisonOperator"].as_str(), Some("GreaterThanThreshold"));
    assert_eq!(alarm["Threshold"].as_u64(), Some(0), "one is enough");
    filter["FilterPattern"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_audit_entry_overwritten_or_deleted_raises_the_alarm_metric_and_nothing_else_does() {
    let template = template();
    let pattern = metric_filter_of(&template, "AuditTampering", "ClassifyFunction", "AuditTamperingAlarm");
    let patterns = filter_patterns();
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&callscope_tests::graph_record("meeting.json")).await;
    pipeline.classify_all().await;
    let audit = change_the_audit_trail(&mut pipeline).await;

    // What classify logs, line for line as a deployed function writes it.
    let captured = Captured::default();
    let _logs = captured.subscriber("info").set_default();
    let alarms = |lines: Vec<String>| -> Vec<Json> {
        lines.iter().filter(|l| metric_filter_matches(&pattern, l)).map(|l| serde_json::from_str(l).unwrap()).collect()
    };

    // The product's own changes raise nothing: inserts, refusals counted, the day indexed again,
    // and an entry's expiry.
    let changes: Vec<Change> = audit.product.iter().map(|r| Change::from_record(r).unwrap()).collect();
    let refused = |c: &&Change| c.new_image.get("refusedAttempts").is_some();
    assert!(changes.iter().any(|c| c.kind == ChangeKind::Insert && !refused(&c)), "an entry inserted");
    assert!(changes.iter().filter(refused).any(|c| c.kind == ChangeKind::Modify), "a refusal counted once more");
    assert!(pipeline.deliver(callscope_tests::event(audit.product.clone())).await.is_empty());
    assert!(pipeline.deliver(callscope_tests::event(vec![audit.expiry.clone()])).await.is_empty());
    assert_eq!(alarms(captured.take_lines()), Vec::<Json>::new());

    // An entry put over, and one deleted: each reaches classify through the stream filter and
    // raises the metric once, named by day, shard, time and request id.
    for (records, entry, change) in
        [(&audit.overwrite, &audit.overwritten, "Modify"), (&audit.deletion, &audit.deleted, "Remove")]
    {
        let (pk, sk) = (text(entry, "PK"), text(entry, "SK"));
        assert_eq!(records.len(), 1);
        let event = serde_json::to_value(&records[0]).unwrap();
        assert!(patterns.iter().any(|p| matches(p, &event)), "the stream filter passes the {change}");
        assert!(pipeline.deliver(callscope_tests::event(records.clone())).await.is_empty());
        let raised = alarms(captured.take_lines());
        assert_eq!(raised.len(), 1, "{change}: {raised:?}");
        let fields = &raised[0]["fields"];
        let (day, shard) = pk.strip_prefix("AUDIT#").unwrap().split_once('#').unwrap();
        let (at, request_id) = sk.split_once('#').unwrap();
        assert_eq!(
            [
                &fields["item"],
                &fields["change"],
                &fields["day"],
                &fields["shard"],
                &fields["at"],
                &fields["request_id"]
            ],
            [&json!("Entry"), &json!(change), &json!(day), &json!(shard), &json!(at), &json!(request_id)]
        );
        assert_eq!(raised[0]["level"], "ERROR");
        let line = raised[0].to_string();
        let subject = text(entry, "subject");
        assert!(!subject.is_empty() && !line.contains(&subject) && !line.contains(ADA), "no personal data: {line}");
    }
}

/// Whether the template lets `function` (its name: `ingest`, `query`, ...) do `action` to an item
/// of partition `pk` of the table (or, with `index`, query that index), as IAM decides it.
fn may(function: &str, action: &str, pk: &str, index: Option<&str>) -> bool {
    let deployment = Deployment::local("t");
    let check = Check::new(repository_template(), deployment.clone()).unwrap();
    let function = check.function(function).unwrap_or_else(|| panic!("no function {function}"));
    let table = deployment.table_arn("t");
    let access = Access {
        action: format!("dynamodb:{action}"),
        resource: index.map_or(table.clone(), |index| format!("{table}/index/{index}")),
        index: index.map(str::to_owned),
        leading_keys: vec![pk.to_owned()],
    };
    policy::decide(&function.statements, &access).is_allowed()
}

/// The template's functions, by name.
fn functions() -> Vec<String> {
    repository_template().function_names().unwrap().into_iter().map(|(_, name)| name).collect()
}

/// Every item-level action IAM knows for DynamoDB.
const ITEM_ACTIONS: [&str; 9] = [
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "ConditionCheckItem",
];

/// The actions of `ITEM_ACTIONS` that `function` may do on `pk`.
fn allowed(function: &str, pk: &str) -> BTreeSet<&'static str> {
    ITEM_ACTIONS.into_iter().filter(|action| may(function, action, pk, None)).collect()
}

#[test]
fn no_caller_can_starve_the_api() {
    let template = template();
    let api = resource(&template, "HttpApi");
    assert!(api["DefaultRouteSettings"]["ThrottlingRateLimit"].is_tagged(), "stage throttling, a parameter");
    assert!(api["DefaultRouteSettings"]["ThrottlingBurstLimit"].is_tagged());
    assert!(api["AccessLogSettings"]["Format"].as_str().unwrap().contains("$context.requestId"));
    assert!(!api["AccessLogSettings"]["Format"].as_str().unwrap().contains("sourceIp"), "no IP in access logs");
    for function in ["IngestFunction", "WebhookFunction", "ClassifyFunction", "QueryFunction", "GraphWorkerFunction"] {
        assert!(resource(&template, function)["ReservedConcurrentExecutions"].is_tagged(), "{function}");
    }
}

/// What IAM can say about the audit trail, and all it can: no function may delete an audit item
/// or update an entry or the day index; items may only be put, and refusal counts updated.
/// `PutItem` cannot be told from an overwrite, so a function holding it on `AUDIT#*` can still
/// put over an entry: that is detected, not prevented
/// (`an_audit_entry_overwritten_or_deleted_raises_the_alarm_metric_and_nothing_else_does`).
/// Every function of the template is checked, as IAM decides it over every statement it has
/// (inline or attached).
#[test]
fn no_function_may_delete_or_update_an_audit_entry_only_put_one() {
    // Decided as IAM decides it, over every statement a function has (inline or attached).
    for function in functions() {
        let writes_audit = ["ingest", "query"].contains(&function.as_str());
        let writes = |pk: &str| -> BTreeSet<&str> {
            allowed(&function, pk)
                .into_iter()
                .filter(|a| !["GetItem", "BatchGetItem", "Query", "Scan"].contains(a))
                .collect()
        };
        let (entries, refusals, days) =
            (writes("AUDIT#2026-11-25#3"), writes("AUDIT#2026-11-25#refused"), writes("AUDITDAYS"));
        if writes_audit {
            assert_eq!(entries, BTreeSet::from(["PutItem"]), "{function} may only add entries");
            assert_eq!(days, BTreeSet::from(["PutItem"]), "{function} may only add days");
            assert_eq!(refusals, BTreeSet::from(["PutItem", "UpdateItem"]), "{function} may add and count refusals");
        } else {
            assert!(entries.is_empty() && refusals.is_empty() && days.is_empty(), "{function} never touches the trail");
        }
    }
}

#[test]
fn what_each_role_may_do_is_what_its_code_does() {
    let set = |actions: &[&'static str]| actions.iter().copied().collect::<BTreeSet<_>>();
    // Erasure markers are put and read, never changed or removed, by the three functions that
    // run an erasure; the query function only reads who is erased.
    for function in ["ingest", "graph-worker", "classify"] {
        assert_eq!(allowed(function, "ERASED#u"), set(&["GetItem", "BatchGetItem", "PutItem"]), "{function}");
    }
    assert_eq!(allowed("query", "ERASED#u"), set(&["BatchGetItem"]));
    // Dead letters are set aside (and removed once a retry stored the record) by the Graph
    // worker; ingest reads one an admin retries; nobody else touches one.
    for function in functions() {
        let expected = match function.as_str() {
            "graph-worker" => set(&["PutItem", "DeleteItem"]),
            "ingest" => set(&["GetItem"]),
            _ => set(&[]),
        };
        assert_eq!(allowed(&function, "GRAPHDEAD#c"), expected, "{function} on dead letters");
    }
    // The connector's status: the query function reads the keeper's memory and when a
    // notification last came, which only the webhook writes (a put, at most once a minute).
    assert_eq!(allowed("query", "GRAPHSUBSCRIPTION"), set(&["GetItem"]));
    assert_eq!(allowed("query", "GRAPHNOTIFIED"), set(&["GetItem"]));
    for function in functions() {
        let expected = match function.as_str() {
            "webhook" => set(&["PutItem"]),
            "query" => set(&["GetItem"]),
            _ => set(&[]),
        };
        assert_eq!(allowed(&function, "GRAPHNOTIFIED"), expected, "{function} on the last notification");
    }
    // The pages a paused Graph fetch keeps are the Graph worker's alone: kept, read back to go
    // on, and deleted once the record is stored.
    for function in functions() {
        let expected = if function == "graph-worker" {
            set(&["GetItem", "PutItem", "BatchWriteItem", "Query", "DeleteItem"])
        } else {
            set(&[])
        };
        assert_eq!(allowed(&function, "GRAPHPAGES#c"), expected, "{function} on kept pages");
    }
    // The fleet's Graph budget is counted by the Graph worker alone, by a conditional update:
    // never read, overwritten or deleted (the windows expire).
    for function in functions() {
        let expected = if function == "graph-worker" { set(&["UpdateItem"]) } else { set(&[]) };
        assert_eq!(allowed(&function, "GRAPHBUDGET#1764849600000"), expected, "{function} on the Graph budget");
    }
    // The phone-call poll's watermarks are the Graph worker's alone: read, and put on the
    // condition of their version; never updated in place, deleted or read by another function.
    for function in functions() {
        let expected = if function == "graph-worker" { set(&["GetItem", "PutItem"]) } else { set(&[]) };
        assert_eq!(allowed(&function, "GRAPHPHONE#getPstnCalls"), expected, "{function} on phone watermarks");
    }
    assert_eq!(allowed("graph-worker", "GRAPHJOB#phonePoll"), set(&["PutItem", "DeleteItem"]), "the poll's marker");
    // What a keyed create or note did is remembered by the query function alone: put in the
    // change's transaction and read back by a repeat, never updated or deleted (it expires).
    for function in functions() {
        let expected = if function == "query" { set(&["GetItem", "PutItem"]) } else { set(&[]) };
        assert_eq!(allowed(&function, "IDEMPOTENCY#0123abcd"), expected, "{function} on idempotency keys");
    }
    // The query function reads only what it serves, and writes only escalations and the audit trail.
    for pk in
        ["CALL#c", "NAME#a", "USERS", "AUDITDAYS", "DATASETS", "DATASET#buildings#1", "SUBNETS#2026-11-25", "ESCBY#p"]
    {
        assert!(allowed("query", pk).contains("Query"), "query reads {pk}");
    }
    for pk in ["USER#u", "ERASED#u", "GRAPHFETCH#c", "GRAPHJOB#j", "GRAPHDEAD#c", "GRAPHSUBSCRIPTION", "ESCFOR#u"] {
        assert!(!allowed("query", pk).contains("Query"), "query never reads {pk} by Query");
    }
    assert_eq!(
        allowed("query", "CALL#c"),
        set(&["Query", "GetItem", "BatchGetItem"]),
        "a call is read whole or by its pages, never written"
    );
    assert!(may("query", "Query", "HIST#u", Some("GSI1")) && may("query", "Query", "ESCQ#open", Some("GSI1")));
    assert!(may("query", "Query", "GRAPHDEAD", Some("GSI1")), "an admin's list of dead letters");
    // The Graph worker queues jobs and takes one of a kind off the queue as it starts.
    assert_eq!(allowed("graph-worker", "GRAPHJOB#reconcile"), set(&["PutItem", "DeleteItem"]));
    // Session pages, and a page of phone-call rows' history and party index entries, are
    // batch-written by the two functions that store call records, and nothing else is
    // batch-written; nobody scans the table or its index.
    for function in functions() {
        for pk in ["CALL#c", "USER#u", "PARTY#p", "AUDIT#2026-11-25#3", "ESC#e", "ERASED#u"] {
            let stores_records = ["ingest", "graph-worker"].contains(&function.as_str());
            let batched = ["CALL#c", "USER#u", "PARTY#p"].contains(&pk);
            assert_eq!(may(&function, "BatchWriteItem", pk, None), stores_records && batched, "{function} {pk}");
            assert!(!may(&function, "Scan", pk, None), "{function} may not scan");
        }
        assert!(!may(&function, "Scan", "HIST#u", Some("GSI1")), "{function} may not scan GSI1");
        assert_eq!(may(&function, "Query", "HIST#u", Some("GSI1")), function == "query", "only query reads GSI1");
    }
}

/// The webhook is anyone's to call: its role may queue work (mark a fetch or a job queued, and
/// take the marker back when its message could not be sent) and read our subscription's id
/// (one `GetItem` of the keeper's state), and nothing else, on any key: no other read, no
/// erasure marker, no call.
#[test]
fn the_webhook_may_only_queue_work_and_read_our_subscription() {
    assert_eq!(allowed("webhook", "GRAPHFETCH#c"), BTreeSet::from(["PutItem", "UpdateItem"]));
    assert_eq!(allowed("webhook", "GRAPHJOB#reconcile"), BTreeSet::from(["PutItem", "DeleteItem"]));
    assert_eq!(allowed("webhook", "GRAPHSUBSCRIPTION"), BTreeSet::from(["GetItem"]));
    assert_eq!(allowed("webhook", "GRAPHNOTIFIED"), BTreeSet::from(["PutItem"]), "when a notification came");
    for pk in ["GRAPHSUBSCRIPTION#x", "GRAPHSUBSCRIPTIONS", "GRAPHFETCH#c", "GRAPHJOB#j", "GRAPHNOTIFIED"] {
        assert!(!may("webhook", "GetItem", pk, None), "the webhook may not read {pk}");
    }
    let elsewhere = ["CALL#c", "USER#u", "ERASED#u", "USERS", "NAME#a", "AUDIT#2026-11-25#3", "AUDITDAYS", "ESC#e"];
    for pk in elsewhere.into_iter().chain(["DATASETS", "GRAPHDEAD#c", "GRAPHPAGES#c", "SUBNETS#2026-11-25"]) {
        assert!(allowed("webhook", pk).is_empty(), "the webhook may not touch {pk}");
        assert!(!may("webhook", "BatchWriteItem", pk, None), "the webhook may not batch-write {pk}");
    }
    assert!(!may("webhook", "Query", "HIST#u", Some("GSI1")));
    // The ingest function queues only what admins ask for: a backfill (on the queue, no
    // marker) and a dead letter's retry (a fetch, marked like any other, taken back if unsent).
    assert!(allowed("ingest", "GRAPHJOB#j").is_empty(), "an admin's backfill needs no marker");
    assert_eq!(allowed("ingest", "GRAPHFETCH#c"), BTreeSet::from(["PutItem", "UpdateItem"]), "a retry's marker");
    let sqs = sqs_grants();
    let grants = |function: &str| sqs.get(function).cloned().unwrap_or_default();
    let both = ["GraphLiveQueue", "GraphBackfillQueue"];
    let sends = |queues: &[&str]| queues.iter().map(|q| ("sqs:SendMessage".to_owned(), (*q).to_owned())).collect();
    assert_eq!(grants("WebhookFunction"), sends(&both), "the webhook only sends work");
    assert_eq!(grants("IngestFunction"), sends(&["GraphBackfillQueue"]), "an admin's backfill or retry");
    let worker = grants("GraphWorkerFunction");
    for action in ["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"] {
        for queue in both {
            assert!(worker.contains(&(format!("sqs:{action}"), queue.to_owned())), "the worker's {action} on {queue}");
        }
    }
    assert!(worker.iter().all(|(_, queue)| both.contains(&queue.as_str())), "no dead-letter queue is the worker's");
    assert!(
        grants("ClassifyFunction").iter().all(|(_, queue)| !both.contains(&queue.as_str())),
        "classify sends no work"
    );
    // The query function only reads the four queues' depth, for the connector's status.
    let watched = ["GraphLiveQueue", "GraphBackfillQueue", "GraphLiveDeadLetters", "GraphBackfillDeadLetters"];
    let reads: BTreeSet<(String, String)> =
        watched.iter().map(|q| ("sqs:GetQueueAttributes".to_owned(), (*q).to_owned())).collect();
    assert_eq!(grants("QueryFunction"), reads, "the query function reads queue depths and nothing else of SQS");
}

/// Each function's SQS grants: (action, queue's logical id) for every statement's queue ARN.
fn sqs_grants() -> std::collections::BTreeMap<String, BTreeSet<(String, String)>> {
    let template = template();
    let mut grants = std::collections::BTreeMap::new();
    for (name, function) in template["Resources"].as_mapping().unwrap() {
        let Some(policies) = function["Properties"]["Policies"].as_sequence() else { continue };
        let found: &mut BTreeSet<(String, String)> = grants.entry(name.as_str().unwrap().to_owned()).or_default();
        for statement in policies.iter().flat_map(|p| p["Statement"].as_sequence().cloned().unwrap_or_default()) {
            let actions: Vec<String> = match &statement["Action"] {
                Value::String(one) => vec![one.clone()],
                many => {
                    many.as_sequence().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)).collect()
                }
            };
            let resources: Vec<Value> = match &statement["Resource"] {
                Value::Sequence(many) => many.clone(),
                one => vec![one.clone()],
            };
            for action in actions.iter().filter(|a| a.starts_with("sqs:")) {
                for queue in resources.iter().filter_map(target) {
                    found.insert((action.clone(), queue));
                }
            }
        }
    }
    grants
}

/// The work queues are SQS queues as `docs/decisions.md` sets them out, and the local stack's
/// (`callscope_dev::queues`) are made the same: 14 days' retention, a dead-letter queue after
/// `maxReceiveCount` receives, a visibility timeout six times the worker's, partial batch
/// responses, and a maximum concurrency per queue the worker's reserved concurrency covers.
#[test]
fn the_work_queues_lose_nothing_and_keep_to_graphs_limit() {
    use callscope_dev::queues;
    let template = template();
    let worker = resource(&template, "GraphWorkerFunction");
    let timeout = worker["Timeout"].as_u64().unwrap();
    for (queue, dead) in
        [("GraphLiveQueue", "GraphLiveDeadLetters"), ("GraphBackfillQueue", "GraphBackfillDeadLetters")]
    {
        let properties = resource(&template, queue);
        assert_eq!(properties["MessageRetentionPeriod"].as_u64(), Some(u64::from(queues::RETENTION)), "{queue}");
        assert_eq!(resource(&template, dead)["MessageRetentionPeriod"].as_u64(), Some(1_209_600));
        let visibility = properties["VisibilityTimeout"].as_u64().unwrap();
        assert!(visibility >= 6 * timeout, "{queue}: visibility {visibility} s for a {timeout} s worker");
        assert_eq!(visibility, u64::from(queues::VISIBILITY_TIMEOUT), "{queue}: the local queue's too");
        let redrive = &properties["RedrivePolicy"];
        assert_eq!(redrive["maxReceiveCount"].as_u64(), Some(u64::from(queues::MAX_RECEIVE_COUNT)), "{queue}");
        assert_eq!(target(&redrive["deadLetterTargetArn"]).as_deref(), Some(dead), "{queue}");
        assert_eq!(properties["SqsManagedSseEnabled"].as_bool(), Some(true), "{queue}");
    }
    let events = worker["Events"].as_mapping().unwrap();
    let mut concurrency = Vec::new();
    for (name, queue) in [("LiveQueue", "GraphLiveQueue"), ("BackfillQueue", "GraphBackfillQueue")] {
        let event = &events[name];
        assert_eq!(event["Type"].as_str(), Some("SQS"), "{name}");
        let properties = &event["Properties"];
        assert_eq!(target(&properties["Queue"]).as_deref(), Some(queue));
        assert_eq!(properties["BatchSize"].as_i64(), Some(i64::from(queues::BATCH_SIZE)), "{name}");
        assert_eq!(properties["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"), "{name}");
        let parameter = reference(&properties["ScalingConfig"]["MaximumConcurrency"]).unwrap();
        concurrency.push(template["Parameters"][parameter.as_str()]["Default"].as_u64().unwrap());
    }
    assert!(concurrency[0] > concurrency[1], "live work keeps most of Graph's limit: {concurrency:?}");
    let reserved = reference(&worker["ReservedConcurrentExecutions"]).unwrap();
    let reserved = template["Parameters"][reserved.as_str()]["Default"].as_u64().unwrap();
    assert!(reserved > concurrency.iter().sum(), "{reserved} reserved for {concurrency:?} and the keeper");
    assert!(!events.values().any(|e| e["Type"].as_str() == Some("DynamoDB")), "the stream is classify's alone");
}

#[test]
fn escalations_are_kept_by_the_query_function_and_reached_by_every_erasure() {
    let set = |actions: &[&'static str]| actions.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(allowed("query", "ESC#e"), set(&["GetItem", "BatchGetItem", "PutItem", "UpdateItem"]));
    assert_eq!(allowed("query", "ESCBY#p"), set(&["Query", "PutItem", "DeleteItem"]));
    assert_eq!(allowed("query", "ESCFOR#u"), set(&["PutItem", "DeleteItem"]));
    // Erasures run in the ingest function, in the Graph worker (a record overtaken by one) and in
    // classify (an erasure's next rounds): each must reach the escalations that name the person.
    for function in ["ingest", "graph-worker", "classify"] {
        assert_eq!(allowed(function, "ESC#e"), set(&["GetItem", "PutItem"]), "{function}");
        for pk in ["ESCBY#p", "ESCFOR#u"] {
            assert_eq!(allowed(function, pk), set(&["Query", "DeleteItem"]), "{function} on {pk}");
        }
    }
}

/// The repository's template with `action` taken out of statement `sid` of `policy` (a
/// function's inline policies, or a managed policy of the template); a statement left with no
/// action goes.
fn without(policy: &str, sid: &str, action: &str) -> Template {
    let mut template = template();
    let properties = &mut template["Resources"][policy]["Properties"];
    let documents: Vec<&mut Value> = match properties["Policies"].as_sequence_mut() {
        Some(policies) => policies.iter_mut().collect(),
        None => vec![&mut properties["PolicyDocument"]],
    };
    let mut taken = false;
    for statements in documents.into_iter().filter_map(|p| p["Statement"].as_sequence_mut()) {
        for statement in statements.iter_mut().filter(|s| s["Sid"].as_str() == Some(sid)) {
            match &mut statement["Action"] {
                Value::Sequence(actions) => actions.retain(|a| a.as_str() != Some(action)),
                one if one.as_str() == Some(action) => *one = Value::Sequence(Vec::new()),
                _ => {}
            }
            taken = true;
        }
        statements.retain(|s| s["Action"].as_sequence().is_none_or(|a| !a.is_empty()));
    }
    assert!(taken, "{policy} has a statement {sid}");
    Template::parse(&serde_norway::to_string(&template).unwrap()).unwrap()
}

/// The check catches the class of bug it was built for: a right taken out of a copy of the
/// template fails the requests that need it, by function, action and key prefix, with the
/// answer AWS gives (the handler's 500); the template as it is allows the same requests.
#[tokio::test]
async fn a_right_taken_out_of_the_template_refuses_the_requests_that_need_it() {
    let store = fresh_store().await;
    let ingest = |roles: &Roles| ingest::App { store: roles.store_as(&store, "ingest"), ..ingest_app(&store) };
    let record = || ingest_request(graph_record("meeting.json").to_string());

    // Ingest writes a call's session pages with BatchWriteItem, an action of its own in IAM.
    let cut = Roles::new(&without("WriteCallRecordsPolicy", "WriteCalls", "dynamodb:BatchWriteItem"), store.table());
    let refusal = "ingest may not dynamodb:BatchWriteItem on CALL#… (no statement of IngestFunction allows it)";
    assert_refused(&ingest(&cut), record(), &cut, refusal).await;
    let intact = Roles::new(repository_template(), store.table());
    assert_eq!(ingest(&intact).handle(record()).await.status(), 202);

    // The history is read from GSI1, a resource of its own.
    let query = |roles: &Roles| query::App { store: roles.store_as(&store, "query"), ..query_app(store.clone()) };
    let history =
        || api_request("GET", Some("support-engineer"), "/users/3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b/calls", &[]);
    let cut = Roles::new(&without("QueryFunction", "ReadHistoryAndQueues", "dynamodb:Query"), store.table());
    let refusal = "query may not dynamodb:Query on index GSI1, HIST#… (no statement of QueryFunction allows it)";
    assert_refused(&query(&cut), history(), &cut, refusal).await;
    assert_eq!(query(&intact).handle(history()).await.status(), 200);

    // The webhook reads our subscription's id before it takes a notification.
    let webhook = |roles: &Roles| webhook::App {
        dispatch: callscope_tests::dispatch(&roles.store_as(&store, "webhook")),
        ..callscope_tests::webhook_app(&store)
    };
    let notified = || callscope_tests::event_request("webhook-notification.json");
    let cut = Roles::new(&without("WebhookFunction", "ReadOurSubscription", "dynamodb:GetItem"), store.table());
    let refusal = "webhook may not dynamodb:GetItem on GRAPHSUBSCRIPTION (no statement of WebhookFunction allows it)";
    assert_refused(&webhook(&cut), notified(), &cut, refusal).await;
    assert_eq!(webhook(&intact).handle(notified()).await.status(), 202);
    assert_eq!(intact.refusals(), Vec::<String>::new());
}

/// `app`, on `roles` with a right cut out, answers `request` with AWS's refusal (the handler's
/// 500), and `refusal` is the one request the check refused.
async fn assert_refused(app: &impl HttpFunction, request: lambda_http::Request, roles: &Roles, refusal: &str) {
    assert_eq!(app.handle(request).await.status(), 500);
    assert_eq!(BTreeSet::from_iter(roles.refusals()), BTreeSet::from([refusal.to_owned()]));
}
