//! The demo's and the stack scripts' steps against a running stack: load the generated tenant
//! (buildings through the gateway, calls into the stand-in Graph), wait until it is stored and
//! rated, and show it as a specialist and as an engineer, then hand a poor call from one to the
//! other.
//!
//! It acts only as clients do (the gateway, the stand-in's control endpoints) but for waiting,
//! which reads the table; it must not write to the table.

use crate::client::{Body, send};
use crate::{dev_token, table_name, view};
use callscope_dev::{Error, tenant};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};

/// Loads the tenant generated from `seed` with `calls` calls (and the crowd's meetings when
/// `crowd`): the building file through the gateway, then (with a stand-in Graph) the calls
/// published to it, and waits until all are stored, then its phone-call rows, and waits until
/// the poll stored them; last, one record ingest refuses, and waits
/// until the Graph connector has set it aside.
pub async fn load_tenant(gateway: &str, seed: u64, calls: usize, crowd: bool) -> Result<(), Error> {
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let mut tenant = tenant::generate(seed, calls, now);
    if crowd {
        tenant.calls.extend(tenant::crowd(seed, now));
    }
    let admin = dev_token("admin", "local-admin")?;
    let file = Body { content: tenant.building_file.clone(), content_type: "text/csv" };
    let (status, report) = send(Method::PUT, &format!("{gateway}/buildings"), Some(&admin), Some(file)).await?;
    println!("building file: {status} ({} rows)", report["rows"]);
    let Ok(stand_in) = std::env::var("GRAPH_STANDIN_URL") else {
        println!("calls: none generated; they come from the Graph at $GRAPH_API_URL");
        return Ok(());
    };
    let mut stored = 0;
    for chunk in tenant.calls.chunks(25) {
        let url = format!("{stand_in}/_standin/records");
        let (status, body) = send(Method::POST, &url, None, Some(Body::json(&json!({ "value": chunk })))).await?;
        if status != 202 {
            return Err(format!("the stand-in Graph answered {status}: {body}").into());
        }
        stored += chunk.len();
        print!(
            "\rpublished {stored}/{} call records to the stand-in Graph (it notifies the gateway)",
            tenant.calls.len()
        );
        std::io::stdout().flush()?;
    }
    println!();
    wait_stored(&tenant.calls).await?;
    publish_phone_rows(&stand_in, &tenant).await?;
    wait_phone_row(gateway, &tenant).await?;
    set_aside(gateway, &stand_in, tenant::refused(seed, now), &admin).await?;
    println!("loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Publishes the tenant's PSTN and Direct Routing rows to the stand-in's call logs (Graph
/// notifies nothing for them: the worker's scheduled poll reads them).
async fn publish_phone_rows(stand_in: &str, tenant: &tenant::Tenant) -> Result<(), Error> {
    for (function, rows) in
        [("getPstnCalls", &tenant.pstn_rows), ("getDirectRoutingCalls", &tenant.direct_routing_rows)]
    {
        let url = format!("{stand_in}/_standin/phone-rows/{function}");
        let (status, body) = send(Method::POST, &url, None, Some(Body::json(&json!({ "value": rows })))).await?;
        if status != 202 {
            return Err(format!("the stand-in Graph answered {status}: {body}").into());
        }
    }
    let rows = tenant.pstn_rows.len() + tenant.direct_routing_rows.len();
    println!("published {rows} phone-call rows to the stand-in Graph (the worker polls them)");
    Ok(())
}

/// Waits until the featured user's history has their failed Direct Routing call: the Graph
/// worker's poll read the call logs and stored them.
async fn wait_phone_row(gateway: &str, tenant: &tenant::Tenant) -> Result<(), Error> {
    let Some(id) = tenant.direct_routing_rows.first().and_then(|r| r["id"].as_str()) else { return Ok(()) };
    let engineer = dev_token("support-engineer", "local-engineer")?;
    let url = format!("{gateway}/users/{}/calls?limit=100", tenant.featured_user);
    for _ in 0..240 {
        let (status, page) = send(Method::GET, &url, Some(&engineer), None).await?;
        if status == 200 && page["items"].as_array().into_iter().flatten().any(|i| i["callId"] == id) {
            println!("the phone-call rows arrived from Graph's call logs (polled)");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err("the phone-call rows did not arrive within 2 minutes; see .local/trigger.log".into())
}

/// Publishes `record`, which ingest refuses, and waits until the Graph connector has set it
/// aside: the admin's connector page then has a dead letter to show and retry.
async fn set_aside(gateway: &str, stand_in: &str, record: Value, admin: &str) -> Result<(), Error> {
    let id = record["id"].as_str().unwrap_or_default().to_owned();
    let url = format!("{stand_in}/_standin/records");
    let (status, body) = send(Method::POST, &url, None, Some(Body::json(&json!({ "value": [record] })))).await?;
    if status != 202 {
        return Err(format!("the stand-in Graph answered {status}: {body}").into());
    }
    for _ in 0..240 {
        let (status, page) = send(Method::GET, &format!("{gateway}/graph/dead-letters"), Some(admin), None).await?;
        let items = page["items"].as_array().into_iter().flatten();
        if status == 200 && items.clone().any(|d| d["callId"] == id.as_str()) {
            println!("one record set aside, as callscope refuses it (a call of 8 days): GET /graph/dead-letters");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err("the refused record was not dead-lettered within 2 minutes; see .local/watch.log".into())
}

/// Waits until every one of `calls` is in the table: Graph notified the gateway, and the Graph
/// worker fetched and stored it.
async fn wait_stored(calls: &[Value]) -> Result<(), Error> {
    let store = callscope_core::store::DynamoStore::connect(table_name()?, "callscope-dev").await;
    let started = Instant::now();
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
            std::io::stdout().flush()?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    println!("\revery call arrived from Graph (notified, fetched whole, stored)");
    Ok(())
}

/// Waits until `user`'s history (as an engineer sees it) has no pending call.
pub async fn wait_rated(gateway: &str, user: &str) -> Result<(), Error> {
    let engineer = dev_token("support-engineer", "local-engineer")?;
    for attempt in 0..240 {
        let url = format!("{gateway}/users/{user}/calls?limit=100");
        let (status, page) = send(Method::GET, &url, Some(&engineer), None).await?;
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

/// Shows `user`'s history and a poor call side by side per role, then the escalation.
pub async fn show_user(gateway: &str, user: &str) -> Result<(), Error> {
    let specialist = dev_token("support-specialist", "local-specialist")?;
    let engineer = dev_token("support-engineer", "local-engineer")?;
    let history_url = format!("{gateway}/users/{user}/calls?limit=50");
    let titles = ("history, as a support specialist (tier 1)", "history, as a support engineer (tier 2)");
    let tier2 = show_both(&history_url, (&specialist, &engineer), titles, view::history).await?;
    let poor = tier2["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["rating"] == "poor" && i["outcome"].is_null())
        .ok_or("no poor Teams call to show")?;
    let call = poor["callId"].as_str().unwrap_or("");
    let call_url = format!("{gateway}/calls/{call}?user={user}");
    let titles = ("a poor call, as a support specialist", "the same call, as a support engineer");
    show_both(&call_url, (&specialist, &engineer), titles, view::detail).await?;
    show_failed_phone_call(gateway, user, &tier2, (&specialist, &engineer)).await?;
    escalate(gateway, user, call, &specialist, &engineer).await
}

/// The newest Direct Routing call of `history` that did not connect, explained to each tier.
async fn show_failed_phone_call(gateway: &str, user: &str, history: &Value, tokens: (&str, &str)) -> Result<(), Error> {
    let failed = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["type"] == "directRouting" && i["outcome"] == "failed");
    let Some(failed) = failed else {
        println!("(no failed Direct Routing call in this history)\n");
        return Ok(());
    };
    let url = format!("{gateway}/calls/{}?user={user}", failed["callId"].as_str().unwrap_or(""));
    let titles = ("a phone call that failed, as a support specialist", "the same call, as a support engineer");
    show_both(&url, tokens, titles, view::phone).await.map(drop)
}

/// GETs `url` with each of the `(specialist, engineer)` tokens and shows the answers side by side
/// under `titles`, drawn by `draw`: what one role sees against the other. The engineer's answer.
async fn show_both(
    url: &str,
    (specialist, engineer): (&str, &str),
    titles: (&str, &str),
    draw: fn(&Value) -> Vec<String>,
) -> Result<Value, Error> {
    let (_, tier1) = send(Method::GET, url, Some(specialist), None).await?;
    let (_, tier2) = send(Method::GET, url, Some(engineer), None).await?;
    view::side_by_side(titles.0, &draw(&tier1), titles.1, &draw(&tier2));
    Ok(tier2)
}

/// The handoff: the specialist escalates the poor call with a note; the engineer's queue holds
/// it, and the engineer claims it.
async fn escalate(gateway: &str, user: &str, call: &str, specialist: &str, engineer: &str) -> Result<(), Error> {
    let note = json!({
        "note": "The user says the call kept breaking up; it happens most afternoons.",
        "ticket": "INC-4711",
    });
    let url = format!("{gateway}/calls/{call}/escalations?user={user}");
    let (status, opened) = send(Method::POST, &url, Some(specialist), Some(Body::json(&note))).await?;
    if status != 201 {
        return Err(format!("escalating answered {status}: {opened}").into());
    }
    let (_, queue) = send(Method::GET, &format!("{gateway}/escalations?state=open"), Some(engineer), None).await?;
    let id = opened["id"].as_str().unwrap_or("");
    let (status, claimed) =
        send(Method::POST, &format!("{gateway}/escalations/{id}/claim"), Some(engineer), None).await?;
    if status != 200 {
        return Err(format!("claiming answered {status}: {claimed}").into());
    }
    let (_, mine) = send(Method::GET, &format!("{gateway}/escalations/{id}"), Some(specialist), None).await?;
    view::side_by_side(
        "the specialist escalates it (tier 1)",
        &view::escalation(&opened),
        "the engineer's queue holds it (tier 2)",
        &view::queue(&queue),
    );
    println!(
        "the engineer claimed it; the specialist now sees it {} by \"{}\"\n",
        mine["state"].as_str().unwrap_or(""),
        mine["claimedBy"]["label"].as_str().unwrap_or("")
    );
    Ok(())
}
