//! `infra/template.yaml` against the code: the table the template declares is the table the core
//! creates, the routes it maps are the routes the handlers serve, and the stream filter passes
//! exactly the changes classify acts on.

use callscope_core::store::schema::table_definition;
use callscope_core::store::stream::{Change, ChangeKind, Decision, decide};
use callscope_tests::{ANCHOR, Pipeline};
use serde_json::{Value as Json, json};
use serde_norway::Value;
use std::collections::BTreeSet;

fn template() -> Value {
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

fn served(routes: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    routes.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect()
}

#[test]
fn every_route_served_is_declared_and_vice_versa() {
    let template = template();
    let ingest_routes: Vec<(&str, &str)> = ingest::ROUTES.iter().chain(ingest::PUBLIC_ROUTES).copied().collect();
    assert_eq!(declared_routes(&template, "IngestFunction"), served(&ingest_routes));
    assert!(declared_routes(&template, "GraphWorkerFunction").is_empty());
    let query_routes: Vec<(&str, &str)> = query::ROUTES.iter().chain(query::PUBLIC_ROUTES).copied().collect();
    assert_eq!(declared_routes(&template, "QueryFunction"), served(&query_routes));
    assert!(declared_routes(&template, "ClassifyFunction").is_empty());
    let auth = &resource(&template, "HttpApi")["Auth"];
    assert_eq!(auth["DefaultAuthorizer"].as_str(), Some("Jwt"), "every route is behind the JWT authorizer ...");
    let public: BTreeSet<(String, String)> = ["QueryFunction", "IngestFunction"]
        .iter()
        .flat_map(|f| resource(&template, f)["Events"].as_mapping().unwrap().values())
        .filter(|e| e["Properties"]["Auth"]["Authorizer"].as_str() == Some("NONE"))
        .map(|e| {
            (
                e["Properties"]["Method"].as_str().unwrap().to_owned(),
                e["Properties"]["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let public_routes: Vec<(&str, &str)> = query::PUBLIC_ROUTES.iter().chain(ingest::PUBLIC_ROUTES).copied().collect();
    assert_eq!(public, served(&public_routes), "... but the console's static files and Graph's notifications");
}

/// A request to `method path` without claims: a served route answers 401, an unknown one 404.
fn unauthenticated(method: &str, path: &str) -> lambda_http::Request {
    let path = path.replace("{userId}", "u1").replace("{callId}", "c1");
    let event = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path, "rawQueryString": "",
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
    for (method, path) in ingest::ROUTES {
        let status = ingest::handle(&pipeline.ingest, unauthenticated(method, path)).await.status();
        assert_eq!(status, 401, "ingest {method} {path} is served (and needs a token)");
    }
    for (method, path) in query::ROUTES {
        let status = query::handle(&query_app, unauthenticated(method, path)).await.status();
        assert_eq!(status, 401, "query {method} {path} is served (and needs a token)");
    }
    for (method, path) in query::PUBLIC_ROUTES {
        let path = path.replace("{asset}", "app.js");
        let status = query::handle(&query_app, unauthenticated(method, &path)).await.status();
        assert_eq!(status, 200, "query {method} {path} is served without a token");
    }
    for (method, path) in ingest::PUBLIC_ROUTES {
        let mut request = unauthenticated(method, path);
        let token = std::collections::HashMap::from([("validationToken".to_owned(), "t".to_owned())]);
        request = lambda_http::RequestExt::with_query_string_parameters(request, token);
        let status = ingest::handle(&pipeline.ingest, request).await.status();
        assert_eq!(status, 200, "ingest {method} {path} is served without a token");
    }
    assert_eq!(ingest::handle(&pipeline.ingest, unauthenticated("GET", "/calls")).await.status(), 404);
    assert_eq!(query::handle(&query_app, unauthenticated("GET", "/elsewhere")).await.status(), 404);
}

/// Lambda's event filtering for the subset the template uses: objects nest, arrays list the
/// allowed string values.
fn matches(pattern: &Json, event: &Json) -> bool {
    match pattern {
        Json::Object(fields) => fields.iter().all(|(key, p)| event.get(key).is_some_and(|e| matches(p, e))),
        Json::Array(allowed) => allowed.contains(event),
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

#[tokio::test]
async fn the_stream_filter_passes_exactly_what_classify_rates() {
    let patterns = filter_patterns();
    // Every kind of change the product makes: ingest's items, classify's results and rating,
    // a new version and its rating, an erasure rewriting the rated call, and a TTL removal sample.
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&callscope_tests::graph_record("meeting.json")).await;
    let mut records = pipeline.stream.next_records().await.unwrap();
    pipeline.deliver(callscope_tests::event(records.clone())).await;
    records.extend(pipeline.stream.next_records().await.unwrap());
    let mut newer = callscope_tests::graph_record("meeting.json");
    newer["version"] = json!(3);
    pipeline.post(&newer).await;
    let version_3 = pipeline.stream.next_records().await.unwrap();
    pipeline.deliver(callscope_tests::event(version_3.clone())).await;
    records.extend(version_3);
    records.extend(pipeline.stream.next_records().await.unwrap());
    pipeline
        .store()
        .erase_user(
            "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b",
            callscope_core::support::fixtures::HOME_TENANT,
            ANCHOR,
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
    records.extend(pipeline.stream.next_records().await.unwrap());
    let removal: aws_lambda_events::dynamodb::Event =
        serde_json::from_str(&callscope_tests::event_text("classify-remove-ttl.json")).unwrap();
    records.extend(removal.records);

    let (mut rated, mut continued) = (0, 0);
    for record in &records {
        let change = Change {
            kind: ChangeKind::from_event_name(&record.event_name).unwrap(),
            new_image: record.change.new_image.clone(),
            old_image: record.change.old_image.clone(),
        };
        let decision = decide(&change).unwrap();
        let wanted = !matches!(decision, Decision::Skip(_));
        continued += usize::from(matches!(decision, Decision::ContinueErasure { .. }));
        let event = serde_json::to_value(record).unwrap();
        let passed = patterns.iter().any(|pattern| matches(pattern, &event));
        assert_eq!(passed, wanted, "filter and handler disagree on {} {:?}", record.event_name, record.change.keys);
        rated += usize::from(matches!(decision, Decision::Rate { .. }));
    }
    assert_eq!(rated, 2, "the INSERT of version 2 and the MODIFY to version 3");
    assert_eq!(continued, 1, "the hand-over of an erasure out of time");
    assert!(records.len() > 10);
}

/// The statements of `function`'s inline policy whose leading keys include one matching `prefix`.
fn statements_on<'a>(template: &'a Value, function: &str, prefix: &str) -> Vec<&'a Value> {
    let policies = resource(template, function)["Policies"].as_sequence().unwrap();
    let statements = policies.iter().flat_map(|p| p["Statement"].as_sequence().into_iter().flatten());
    statements
        .filter(|s| {
            let keys = &s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            keys.as_sequence().into_iter().flatten().any(|k| k.as_str().is_some_and(|k| k.starts_with(prefix)))
        })
        .collect()
}

fn actions(statement: &Value) -> BTreeSet<&str> {
    match &statement["Action"] {
        Value::String(one) => BTreeSet::from([one.as_str()]),
        many => many.as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect(),
    }
}

#[test]
fn no_caller_can_starve_the_api_and_no_function_can_rewrite_the_audit_trail() {
    let template = template();
    let api = resource(&template, "HttpApi");
    assert!(api["DefaultRouteSettings"]["ThrottlingRateLimit"].is_tagged(), "stage throttling, a parameter");
    assert!(api["DefaultRouteSettings"]["ThrottlingBurstLimit"].is_tagged());
    assert!(api["AccessLogSettings"]["Format"].as_str().unwrap().contains("$context.requestId"));
    assert!(!api["AccessLogSettings"]["Format"].as_str().unwrap().contains("sourceIp"), "no IP in access logs");
    for function in ["IngestFunction", "ClassifyFunction", "QueryFunction", "GraphWorkerFunction"] {
        assert!(resource(&template, function)["ReservedConcurrentExecutions"].is_tagged(), "{function}");
    }
    for function in ["IngestFunction", "QueryFunction"] {
        let audit = statements_on(&template, function, "AUDIT");
        assert!(!audit.is_empty(), "{function} writes the audit trail");
        for statement in audit {
            let keys = &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let refusals_only = keys.as_sequence().unwrap().iter().all(|k| k.as_str().unwrap().ends_with("#refused"));
            let allowed = if refusals_only { ["dynamodb:UpdateItem"] } else { ["dynamodb:PutItem"] };
            assert_eq!(actions(statement), BTreeSet::from(allowed), "{function} may only add (or count refusals)");
        }
    }
    assert!(statements_on(&template, "ClassifyFunction", "AUDIT").is_empty(), "classify never touches the trail");
}

#[test]
fn escalations_are_kept_by_the_query_function_and_reached_by_every_erasure() {
    let template = template();
    let kept: Vec<BTreeSet<&str>> = statements_on(&template, "QueryFunction", "ESC").into_iter().map(actions).collect();
    let write = BTreeSet::from([
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]);
    assert_eq!(kept, [write], "the query function writes escalations and their pointers, nothing more there");
    // Erasures run in the ingest function, in the Graph worker (a record overtaken by one) and in
    // classify (an erasure's next rounds): each must reach the escalations that name the person.
    for function in ["IngestFunction", "GraphWorkerFunction", "ClassifyFunction"] {
        let reach: BTreeSet<&str> =
            statements_on(&template, function, "ESC").into_iter().flat_map(|s| actions(s).into_iter()).collect();
        for action in ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"] {
            assert!(reach.contains(action), "{function} needs {action} on escalations");
        }
    }
}
