//! `callscope-dev`: the local stand-ins for what AWS does around the functions. Its subcommands
//! are listed in [`USAGE`], which it prints when called without a known one.
//!
//! Reads the functions' environment (`TABLE_NAME`, `AWS_ENDPOINT_URL`, ...). The dev token key is
//! `.local/dev-jwt.key`, created on first use.

use bytes::Bytes;
use callscope_dev::{gateway, show, stream::StreamTail, tenant, token, trigger};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

const KEY_FILE: &str = ".local/dev-jwt.key";

/// Every subcommand, as the usage message lists them.
const USAGE: &str = "usage: callscope-dev COMMAND
  create-table                      create $TABLE_NAME on the local DynamoDB
  token ROLE [SUBJECT]              print a dev token for ROLE
  gateway LISTEN UPSTREAM           API Gateway + JWT authorizer, in front of cargo lambda
  trigger UPSTREAM                  the stream -> classify and -> graph-worker event source
                                    mappings, and the graph-worker's schedule
  graph LISTEN [THROTTLE_PERCENT]   a stand-in Microsoft Graph (tokens, subscriptions,
                                    notifications, paged records, 429s)
  keep UPSTREAM                     run the graph-worker's keeper once (creates the subscription)
  iam-proxy LISTEN UPSTREAM LOG     IAM in front of the local DynamoDB: each function's request
                                    checked against its role in infra/template.yaml (refused:
                                    400 AccessDeniedException), every checked access logged to LOG
  iam-report LOG                    what LOG shows: refusals (they fail it), each function's
                                    requests, and which granted rights were used
  load-tenant GATEWAY [SEED CALLS]  a generated tenant: the building file through the gateway,
                                    the calls published to the stand-in Graph ($GRAPH_STANDIN_URL)
  wait-rated GATEWAY USER           wait until USER's history has no pending call
  show GATEWAY USER                 history and a poor call, specialist | engineer
  tenant-jsonl SEED CALLS           the generated calls as JSON lines (for benchmarks)
  cold-start RUNS BINARY...         spawn-to-ready times against a stub runtime API
  bench-e2e GATEWAY CALLS           ingest -> classified throughput, request latencies
  bench-ack GATEWAY QUEUED          Graph notification acknowledgements through the gateway,
                                    with QUEUED ids already queued";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["create-table"] => create_table().await,
        ["token", role] => print_token(role, &format!("local-{role}")),
        ["token", role, subject] => print_token(role, subject),
        ["gateway", listen, upstream] => run_gateway(listen, upstream).await,
        ["trigger", upstream] => run_trigger(upstream).await,
        ["graph", listen] => run_graph(listen, 0).await,
        ["graph", listen, throttle] => match throttle.parse() {
            Ok(throttle) => run_graph(listen, throttle).await,
            Err(_) => Err("THROTTLE_PERCENT is a number".into()),
        },
        ["keep", upstream] => keep(upstream).await,
        ["iam-proxy", listen, upstream, log] => run_iam_proxy(listen, upstream, log).await,
        ["iam-report", log] => iam_report(log),
        ["load-tenant", gateway] => load_tenant(gateway, 7, 150).await,
        ["load-tenant", gateway, seed, calls] => match (seed.parse(), calls.parse()) {
            (Ok(seed), Ok(calls)) => load_tenant(gateway, seed, calls).await,
            _ => Err("SEED and CALLS are numbers".into()),
        },
        ["wait-rated", gateway, user] => wait_rated(gateway, user).await,
        ["show", gateway, user] => show_user(gateway, user).await,
        ["cold-start", runs, binaries @ ..] if !binaries.is_empty() => match runs.parse() {
            Ok(runs) => cold_start(runs, binaries).await,
            Err(_) => Err("RUNS is a number".into()),
        },
        ["bench-e2e", gateway, calls] => match calls.parse() {
            Ok(calls) => bench_e2e(gateway, calls).await,
            Err(_) => Err("CALLS is a number".into()),
        },
        ["bench-ack", gateway, queued] => match queued.parse() {
            Ok(queued) => bench_ack(gateway, queued).await,
            Err(_) => Err("QUEUED is a number".into()),
        },
        ["tenant-jsonl", seed, calls] => match (seed.parse(), calls.parse()) {
            (Ok(seed), Ok(calls)) => tenant_jsonl(seed, calls),
            _ => Err("SEED and CALLS are numbers".into()),
        },
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("callscope-dev: {error}");
            ExitCode::FAILURE
        }
    }
}

fn table_name() -> Result<String, Error> {
    std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".into())
}

async fn create_table() -> Result<(), Error> {
    let table = table_name()?;
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    if client.describe_table().table_name(&table).send().await.is_ok() {
        println!("table {table} already exists");
    } else {
        callscope_core::store::schema::create_table(&client, &table).await?;
        println!("created table {table} (stream NEW_AND_OLD_IMAGES, TTL on expiresAt)");
    }
    Ok(())
}

fn dev_token(role: &str, subject: &str) -> Result<String, Error> {
    Ok(token::mint(&token::key(Path::new(KEY_FILE))?, subject, &[role]))
}

fn print_token(role: &str, subject: &str) -> Result<(), Error> {
    println!("{}", dev_token(role, subject)?);
    Ok(())
}

async fn run_gateway(listen: &str, upstream: &str) -> Result<(), Error> {
    let key = token::key(Path::new(KEY_FILE))?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("gateway on http://{listen} -> {upstream}");
    let gateway = Arc::new(gateway::Gateway::new(upstream.trim_end_matches('/').to_owned(), key));
    tokio::select! {
        result = gateway.serve(listener) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// How often the local schedule runs the keeper (hourly in AWS).
const KEEP_EVERY: Duration = Duration::from_secs(600);

async fn run_trigger(upstream: &str) -> Result<(), Error> {
    let table = table_name()?;
    let client = aws_sdk_dynamodbstreams::Client::new(&aws_config::load_from_env().await);
    let upstream = upstream.trim_end_matches('/').to_owned();
    let classify_tail = StreamTail::new(client.clone(), &table).await?;
    let graph_tail = StreamTail::new(client, &table).await?;
    println!("trigger: {table}'s stream -> classify and graph-worker at {upstream}");
    tokio::select! {
        result = trigger::run(classify_tail, upstream.clone(), "classify", trigger::everything) => result?,
        result = trigger::run(graph_tail, upstream.clone(), "graph-worker", trigger::graph_work) => result?,
        () = trigger::schedule(upstream.clone(), KEEP_EVERY) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

async fn run_graph(listen: &str, throttle_percent: u64) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let behaviour = callscope_dev::graph::Behaviour { throttle_percent, ..Default::default() };
    let stand_in =
        callscope_dev::graph::StandIn::start(listener, behaviour, callscope_core::support::clock::Clock::system());
    println!("stand-in Graph at {} ({throttle_percent}% of requests answered 429)", stand_in.api_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn run_iam_proxy(listen: &str, upstream: &str, log: &str) -> Result<(), Error> {
    let check = callscope_dev::iam::repository_check(&table_name()?)?;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let functions: Vec<&str> = check.function_names().collect();
    println!("IAM on http://{listen} -> {upstream}: the requests of {} checked", functions.join(", "));
    let proxy = Arc::new(callscope_dev::iam::proxy::Proxy::new(upstream.trim_end_matches('/').to_owned(), check, log));
    tokio::select! {
        result = proxy.serve(listener) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

fn iam_report(log: &str) -> Result<(), Error> {
    let check = callscope_dev::iam::repository_check(&table_name().unwrap_or_default())?;
    let report = callscope_dev::iam::report::Report::read(&std::fs::read_to_string(log)?);
    print!("{}", report.usage(&check));
    let problems = report.problems(&check);
    if problems.is_empty() {
        println!("every DynamoDB request was allowed by its function's role");
        return Ok(());
    }
    Err(format!("requests the deployed roles would refuse:\n  {}", problems.join("\n  ")).into())
}

/// Runs the keeper once through the invoke API, retrying while the stack finishes starting.
async fn keep(upstream: &str) -> Result<(), Error> {
    let client = gateway::client();
    let mut last = String::new();
    for _ in 0..10 {
        match gateway::invoke(&client, upstream.trim_end_matches('/'), "graph-worker", &trigger::keep_job()).await {
            Ok(answer) if answer.get("errorMessage").is_none() => {
                println!("subscription to call records: live");
                return Ok(());
            }
            Ok(answer) => last = answer["errorMessage"].to_string(),
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Err(format!("the Graph worker could not keep the subscription: {last} (see .local/watch.log)").into())
}

/// How long one request to the local gateway may take before the tool gives up on it.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends one request to the gateway; the status and JSON body.
async fn send(method: &str, url: &str, token: &str, body: Option<(String, &str)>) -> Result<(u16, Value), Error> {
    let client = gateway::client();
    let (content, content_type) = body.unwrap_or_default();
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", if content_type.is_empty() { "application/json" } else { content_type })
        .body(Full::new(Bytes::from(content)))?;
    // A stack that stopped answering must not hang the script that waits on this.
    let exchange = async {
        let response = client.request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok::<_, Error>((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("{method} {url}: no answer within {} s", REQUEST_TIMEOUT.as_secs()))?
}

async fn load_tenant(gateway: &str, seed: u64, calls: usize) -> Result<(), Error> {
    let tenant = tenant::generate(seed, calls, time::OffsetDateTime::now_utc());
    let admin = dev_token("admin", "local-admin")?;
    let (status, report) =
        send("PUT", &format!("{gateway}/buildings"), &admin, Some((tenant.building_file.clone(), "text/csv"))).await?;
    println!("building file: {status} ({} rows)", report["rows"]);
    let Ok(stand_in) = std::env::var("GRAPH_STANDIN_URL") else {
        println!("calls: none generated; they come from the Graph at $GRAPH_API_URL");
        return Ok(());
    };
    let mut stored = 0;
    for chunk in tenant.calls.chunks(25) {
        let url = format!("{stand_in}/_standin/records");
        let (status, body) = send("POST", &url, "", Some((json!({ "value": chunk }).to_string(), ""))).await?;
        if status != 202 {
            return Err(format!("the stand-in Graph answered {status}: {body}").into());
        }
        stored += chunk.len();
        print!(
            "\rpublished {stored}/{} call records to the stand-in Graph (it notifies the gateway)",
            tenant.calls.len()
        );
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    println!();
    wait_stored(&tenant.calls).await
}

/// Waits until every one of `calls` is in the table: Graph notified the gateway, and the Graph
/// worker fetched and stored it.
async fn wait_stored(calls: &[Value]) -> Result<(), Error> {
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let started = std::time::Instant::now();
    let mut waiting: Vec<&str> = calls.iter().filter_map(|c| c["id"].as_str()).collect();
    while !waiting.is_empty() {
        let mut still = Vec::new();
        for id in waiting {
            if store.rating(id).await?.is_none() {
                still.push(id);
            }
        }
        waiting = still;
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("{} calls did not arrive from Graph within 10 minutes", waiting.len()).into());
        }
        if !waiting.is_empty() {
            print!("\rwaiting for {} calls to arrive from Graph   ", waiting.len());
            use std::io::Write;
            std::io::stdout().flush()?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    println!("\revery call arrived from Graph (notified, fetched whole, stored)");
    Ok(())
}

/// Times `POST /graph/notifications` through the gateway (one id per delivery, as Graph sends
/// most), after `queued` ids were queued and while the worker drains them.
async fn bench_ack(gateway: &str, queued: usize) -> Result<(), Error> {
    use std::time::Instant;
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let state = std::env::var("GRAPH_CLIENT_STATE")?;
    let prefill: Vec<String> = (0..queued).map(|n| format!("bench-queued-{n:06}")).collect();
    let started = Instant::now();
    store.queue_fetches(&prefill, time::OffsetDateTime::now_utc()).await?;
    println!("queued {queued} ids in {:.1} s", started.elapsed().as_secs_f64());
    let mut times = Vec::new();
    for n in 0..200 {
        let id = format!("bench-ack-{n}");
        let body = json!({ "value": [{ "subscriptionId": "bench", "clientState": state, "changeType": "updated",
            "resource": format!("communications/callRecords/{id}"), "resourceData": { "id": id } }] });
        let started = Instant::now();
        let (status, answer) =
            send("POST", &format!("{gateway}/graph/notifications"), "", Some((body.to_string(), ""))).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        if status != 202 {
            return Err(format!("the gateway answered {status}: {answer}").into());
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "ack through the local gateway, 1 id per delivery, {queued}+ queued: p50 {:.1} ms, p99 {:.1} ms ({} deliveries)",
        quantile(&times, 0.5),
        quantile(&times, 0.99),
        times.len()
    );
    Ok(())
}

async fn cold_start(runs: usize, binaries: &[&str]) -> Result<(), Error> {
    let env = [
        ("TABLE_NAME", "callscope"),
        ("HOME_TENANT_ID", "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e"),
        ("CURSOR_KEY", "cold-start-measurement-key-0123456789"),
        ("GRAPH_CLIENT_STATE", "cold-start-measurement-client-state-0123456789"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    println!("| binary | size | median ms | min ms | p90 ms | runs |");
    let mut floor = callscope_dev::cold_start::process_floor(runs).await?;
    floor.sort_by(f64::total_cmp);
    println!(
        "| baseline: spawn `true` and wait | - | {:.1} | {:.1} | {:.1} | {} |",
        quantile(&floor, 0.5),
        floor[0],
        quantile(&floor, 0.9),
        floor.len()
    );
    for binary in binaries {
        let mut times = callscope_dev::cold_start::measure(binary, runs, &env).await?;
        times.sort_by(f64::total_cmp);
        let size = std::fs::metadata(binary)?.len() as f64 / 1_048_576.0;
        println!(
            "| {binary} | {size:.1} MiB | {:.1} | {:.1} | {:.1} | {} |",
            quantile(&times, 0.5),
            times[0],
            quantile(&times, 0.9),
            times.len()
        );
    }
    Ok(())
}

/// The `q` quantile of sorted `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    values[((values.len() - 1) as f64 * q).round() as usize]
}

async fn bench_e2e(gateway: &str, calls: usize) -> Result<(), Error> {
    use std::time::Instant;
    let tenant = tenant::generate(99, calls, time::OffsetDateTime::now_utc());
    let ingest = dev_token("ingest", "bench-ingest")?;
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let started = Instant::now();
    let url = format!("{gateway}/calls");
    let mut posts = Vec::new();
    for chunk in tenant.calls.chunks(25) {
        let body = json!({ "value": chunk }).to_string();
        posts.push(send("POST", &url, &ingest, Some((body, ""))));
    }
    use futures::StreamExt;
    let results = futures::stream::iter(posts).buffer_unordered(4).collect::<Vec<_>>().await;
    for result in results {
        let (status, body) = result?;
        if status != 202 {
            return Err(format!("ingest answered {status}: {body}").into());
        }
    }
    let ingested = started.elapsed().as_secs_f64();
    let mut pending: Vec<String> =
        tenant.calls.iter().map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect();
    while !pending.is_empty() {
        // The newest-ingested calls are classified last: check from the end, stop at the first
        // still pending (one cheap read per round while the trigger works).
        while let Some(id) = pending.last() {
            if store.rating(id).await? == Some(callscope_core::domain::classify::Rating::Pending) {
                break;
            }
            pending.pop();
        }
        if started.elapsed().as_secs() > 600 {
            return Err("classification did not finish within 10 minutes".into());
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let classified = started.elapsed().as_secs_f64();
    println!(
        "| {calls} calls | ingested (202) after {ingested:.1} s: {:.0} calls/s | all classified after {classified:.1} s: {:.0} calls/s |",
        calls as f64 / ingested,
        calls as f64 / classified
    );

    let engineer = dev_token("support-engineer", "bench-engineer")?;
    let mut timings: Vec<(&str, Vec<f64>)> =
        vec![("history page (50)", vec![]), ("call detail", vec![]), ("moto GetItem (raw)", vec![])];
    for n in 0..200 {
        let call = &tenant.calls[n % tenant.calls.len()];
        let user = call["organizer_v2"]["id"].as_str().unwrap_or_default();
        let t = Instant::now();
        send("GET", &format!("{gateway}/users/{user}/calls?limit=50"), &engineer, None).await?;
        timings[0].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        send(
            "GET",
            &format!("{gateway}/calls/{}?user={user}", call["id"].as_str().unwrap_or_default()),
            &engineer,
            None,
        )
        .await?;
        timings[1].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.active_datasets().await?;
        timings[2].1.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("| request | p50 ms | p95 ms | n |");
    for (name, mut values) in timings {
        values.sort_by(f64::total_cmp);
        println!("| {name} | {:.1} | {:.1} | {} |", quantile(&values, 0.5), quantile(&values, 0.95), values.len());
    }
    Ok(())
}

fn tenant_jsonl(seed: u64, calls: usize) -> Result<(), Error> {
    use std::io::Write;
    let tenant = tenant::generate(seed, calls, time::OffsetDateTime::now_utc());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for call in &tenant.calls {
        serde_json::to_writer(&mut out, call)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

async fn wait_rated(gateway: &str, user: &str) -> Result<(), Error> {
    let engineer = dev_token("support-engineer", "local-engineer")?;
    for attempt in 0..240 {
        let (status, page) = send("GET", &format!("{gateway}/users/{user}/calls?limit=100"), &engineer, None).await?;
        let pending = page["items"]
            .as_array()
            .map_or(usize::MAX, |items| items.iter().filter(|i| i["rating"] == "pending").count());
        if status == 200 && pending == 0 {
            println!("every call of {user} is rated");
            return Ok(());
        }
        if attempt % 8 == 0 {
            println!("waiting for classification ({pending} pending)");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err("calls were still pending after 2 minutes; see .local/trigger.log".into())
}

async fn show_user(gateway: &str, user: &str) -> Result<(), Error> {
    let specialist = dev_token("support-specialist", "local-specialist")?;
    let engineer = dev_token("support-engineer", "local-engineer")?;
    let history_url = format!("{gateway}/users/{user}/calls?limit=50");
    let (_, tier1) = send("GET", &history_url, &specialist, None).await?;
    let (_, tier2) = send("GET", &history_url, &engineer, None).await?;
    show::side_by_side(
        "history, as a support specialist (tier 1)",
        &show::history(&tier1),
        "history, as a support engineer (tier 2)",
        &show::history(&tier2),
    );
    let poor = tier2["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["rating"] == "poor")
        .ok_or("no poor call to show")?;
    let call_url = format!("{gateway}/calls/{}?user={user}", poor["callId"].as_str().unwrap_or(""));
    let (_, tier1) = send("GET", &call_url, &specialist, None).await?;
    let (_, tier2) = send("GET", &call_url, &engineer, None).await?;
    show::side_by_side(
        "a poor call, as a support specialist",
        &show::detail(&tier1),
        "the same call, as a support engineer",
        &show::detail(&tier2),
    );
    escalate(gateway, user, poor["callId"].as_str().unwrap_or(""), &specialist, &engineer).await
}

/// The handoff: the specialist escalates the poor call with a note; the engineer's queue holds
/// it, and the engineer claims it.
async fn escalate(gateway: &str, user: &str, call: &str, specialist: &str, engineer: &str) -> Result<(), Error> {
    let note = json!({
        "note": "The user says the call kept breaking up; it happens most afternoons.",
        "ticket": "INC-4711",
    });
    let url = format!("{gateway}/calls/{call}/escalations?user={user}");
    let (status, opened) = send("POST", &url, specialist, Some((note.to_string(), "application/json"))).await?;
    if status != 201 {
        return Err(format!("escalating answered {status}: {opened}").into());
    }
    let (_, queue) = send("GET", &format!("{gateway}/escalations?state=open"), engineer, None).await?;
    let id = opened["id"].as_str().unwrap_or("");
    let (status, claimed) = send("POST", &format!("{gateway}/escalations/{id}/claim"), engineer, None).await?;
    if status != 200 {
        return Err(format!("claiming answered {status}: {claimed}").into());
    }
    let (_, mine) = send("GET", &format!("{gateway}/escalations/{id}"), specialist, None).await?;
    show::side_by_side(
        "the specialist escalates it (tier 1)",
        &show::escalation(&opened),
        "the engineer's queue holds it (tier 2)",
        &show::queue(&queue),
    );
    println!(
        "the engineer claimed it; the specialist now sees it {} by \"{}\"\n",
        mine["state"].as_str().unwrap_or(""),
        mine["claimedBy"]["label"].as_str().unwrap_or("")
    );
    Ok(())
}
