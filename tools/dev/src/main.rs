//! `callscope-dev`: local-only helpers for the demo and for developers.
//!
//!     callscope-dev create-table         create $TABLE_NAME (idempotent)
//!     callscope-dev show-user USER_ID    print a user's 30-day history and the calls in it
//!
//! Reads the same environment as the functions (`TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`, ...).

use callscope_core::config::Config;
use callscope_core::store::{DynamoStore, StoreError, schema};
use std::process::ExitCode;
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let sdk = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["create-table"] => create_table(&client, &config.table_name).await,
        ["show-user", user] => show_user(&DynamoStore::new(client, &config.table_name), user).await,
        _ => return fail("usage: callscope-dev create-table | show-user USER_ID"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("callscope-dev: {message}");
    ExitCode::FAILURE
}

async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
    let exists = client.describe_table().table_name(table).send().await.is_ok();
    if exists {
        println!("table {table} already exists");
    } else {
        schema::create_table(client, table).await?;
        println!("created table {table} (stream NEW_AND_OLD_IMAGES, TTL on expiresAt)");
    }
    Ok(())
}

async fn show_user(store: &DynamoStore, user: &str) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let window = (now - callscope_core::retention::HISTORY, now);
    let page = store.user_history(user, window, 50, None, now).await?;
    println!("History of {user}, last 30 days, newest first ({} calls):", page.entries.len());
    for entry in &page.entries {
        let with = entry
            .counterpart
            .as_ref()
            .map(|p| p.display_name.clone().unwrap_or_else(|| p.id.clone()))
            .unwrap_or_default();
        println!(
            "  {}  {:<10}  {:>5}s  {:>3} participants  with {:<24}  {:?}",
            callscope_core::store::keys::time_key(entry.start_date_time).get(..16).unwrap_or_default(),
            format!("{:?}", entry.call_type),
            entry.duration_seconds,
            entry.participant_count,
            with,
            entry.rating,
        );
    }
    for entry in &page.entries {
        if let Some(call) = store.call(&entry.call_id, now).await? {
            let streams: usize =
                call.sessions.iter().flat_map(|s| &s.segments).flat_map(|g| &g.media).map(|m| m.streams.len()).sum();
            println!(
                "Call {} (version {}): {} sessions, {} media streams, {} parties, rating {:?}",
                call.header.call_id,
                call.header.version,
                call.sessions.len(),
                streams,
                call.header.parties.len(),
                call.header.rating
            );
        }
    }
    Ok(())
}
