//! The benchmark commands whose figures go into BENCHMARKS.md: ingest-to-classified throughput
//! and request latencies through the local stack, Graph notification acknowledgements with a
//! full queue, and cold starts. Each prints a Markdown table row per figure.
//!
//! Measures only: it must not assert (tests do) nor time anything inside a test.

use crate::client::{Body, send};
use crate::{cold_start, dev_token, table_name};
use callscope_core::support::fixtures::graph_id;
use callscope_dev::{Error, tenant};
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The `q` quantile of sorted `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// Times `POST /graph/notifications` through the gateway (one id per delivery, as Graph sends
/// most, of our tenant and our current subscription, as the keeper stored it), after `queued`
/// ids were queued and while the worker drains them.
pub async fn ack(gateway: &str, queued: usize) -> Result<(), Error> {
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let urls = callscope_core::queue::QueueUrls::from_lookup(|name| std::env::var(name).ok())?;
    let queue = callscope_core::queue::WorkQueue::connect(urls, "callscope-dev").await;
    let dispatch = callscope_core::app::dispatch::Dispatch { store, queue };
    let state = std::env::var("GRAPH_CLIENT_STATE")?;
    let tenant = std::env::var("HOME_TENANT_ID")?;
    let now = time::OffsetDateTime::now_utc();
    let subscription =
        dispatch.store.subscription_state(now).await?.ok_or("no subscription yet: run the keeper first")?;
    let prefill: Vec<String> = (0..queued).map(|n| graph_id(&format!("bench-queued-{n:06}"))).collect();
    let started = Instant::now();
    dispatch.fetches(&prefill, callscope_core::domain::connector::Lane::Live, now).await?;
    println!("queued {queued} ids in {:.1} s", started.elapsed().as_secs_f64());
    let mut times = Vec::new();
    for n in 0..200 {
        let id = graph_id(&format!("bench-ack-{n}"));
        let body = json!({ "value": [{ "subscriptionId": subscription.subscription_id, "clientState": state,
            "changeType": "updated", "tenantId": tenant, "resource": format!("communications/callRecords/{id}"),
            "resourceData": { "id": id } }] });
        let started = Instant::now();
        let url = format!("{gateway}/graph/notifications");
        let (status, answer) = send(Method::POST, &url, None, Some(Body::json(&body))).await?;
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

/// Spawn-to-ready times of each of `binaries`, `runs` starts each, beside the process floor.
pub async fn cold_start(runs: usize, binaries: &[PathBuf]) -> Result<(), Error> {
    let env = [
        ("TABLE_NAME", "callscope"),
        ("HOME_TENANT_ID", "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e"),
        ("CURSOR_KEY", "cold-start-measurement-key-0123456789"),
        ("GRAPH_CLIENT_STATE", "cold-start-measurement-client-state-0123456789"),
        ("AWS_REGION", "us-east-1"),
        ("GRAPH_LIVE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/cold-start-live"),
        ("GRAPH_BACKFILL_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/cold-start-backfill"),
        ("GRAPH_LIVE_DEAD_LETTER_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/cold-start-live-dead"),
        (
            "GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/cold-start-backfill-dead",
        ),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    println!("| binary | size | median ms | min ms | p90 ms | runs |");
    let mut floor = cold_start::process_floor(runs).await?;
    floor.sort_by(f64::total_cmp);
    println!(
        "| baseline: spawn `true` and wait | - | {:.1} | {:.1} | {:.1} | {} |",
        quantile(&floor, 0.5),
        floor[0],
        quantile(&floor, 0.9),
        floor.len()
    );
    for binary in binaries {
        let mut times = cold_start::measure(binary, runs, &env).await?;
        times.sort_by(f64::total_cmp);
        let size = std::fs::metadata(binary)?.len() as f64 / 1_048_576.0;
        println!(
            "| {} | {size:.1} MiB | {:.1} | {:.1} | {:.1} | {} |",
            binary.display(),
            quantile(&times, 0.5),
            times[0],
            quantile(&times, 0.9),
            times.len()
        );
    }
    Ok(())
}

/// Ingests `calls` generated calls through the gateway (25 per request, 4 in flight), times
/// them until all are classified, then p50/p95 of history and detail requests beside a raw
/// moto read.
pub async fn e2e(gateway: &str, calls: usize) -> Result<(), Error> {
    let tenant = tenant::generate(99, calls, time::OffsetDateTime::now_utc());
    let ingest = dev_token("ingest", "bench-ingest")?;
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let started = Instant::now();
    let url = format!("{gateway}/calls");
    let posts = tenant
        .calls
        .chunks(25)
        .map(|chunk| send(Method::POST, &url, Some(&ingest), Some(Body::json(&json!({ "value": chunk })))));
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
        send(Method::GET, &format!("{gateway}/users/{user}/calls?limit=50"), Some(&engineer), None).await?;
        timings[0].1.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let id = call["id"].as_str().unwrap_or_default();
        send(Method::GET, &format!("{gateway}/calls/{id}?user={user}"), Some(&engineer), None).await?;
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
