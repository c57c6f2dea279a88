//! `callscope-dev`: the local stand-ins for what AWS and Microsoft Graph do around the
//! functions, as commands the scripts run (`callscope-dev --help` lists them).
//!
//! It parses arguments, reads the functions' environment (`TABLE_NAME`, `AWS_ENDPOINT_URL`, ...)
//! and prints; what it runs is the `callscope_dev` library's, which the tests use too. The dev
//! token key is `.local/dev-jwt.key`, created on first use.

mod bench;
mod client;
mod cold_start;
mod demo;
mod view;

use callscope_core::support::clock::Clock;
use callscope_dev::graph_standin::{Behaviour, StandIn};
use callscope_dev::invoke::Functions;
use callscope_dev::stream::StreamTail;
use callscope_dev::table::{self, Ensured};
use callscope_dev::{Error, gateway, queues, tenant, token, trigger};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The local stand-ins for AWS and Microsoft Graph around callscope's functions.
#[derive(Debug, Parser)]
#[command(name = "callscope-dev", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create $TABLE_NAME on the local DynamoDB (stream NEW_AND_OLD_IMAGES, TTL on expiresAt).
    CreateTable,
    /// Create the Graph worker's work queues of $TABLE_NAME on the local SQS (each with its
    /// dead-letter queue) and print their URLs as shell assignments.
    CreateQueues,
    /// Print a dev token for ROLE, which the local gateway accepts.
    Token {
        /// support-specialist, support-engineer, admin or ingest.
        role: String,
        /// The token's subject [default: local-ROLE].
        subject: Option<String>,
    },
    /// API Gateway with its JWT authorizer, in front of cargo lambda's invoke API.
    Gateway {
        /// Where to listen (127.0.0.1:8787).
        listen: String,
        /// cargo lambda's invoke API (http://127.0.0.1:9000).
        upstream: String,
    },
    /// The stream -> classify and work queues -> graph-worker event source mappings, and the
    /// graph-worker's schedule.
    Trigger {
        /// cargo lambda's invoke API.
        upstream: String,
    },
    /// A stand-in Microsoft Graph: tokens, subscriptions, notifications, paged records, 429s.
    GraphStandin {
        /// Where to listen (127.0.0.1:PORT).
        listen: String,
        /// Share of Graph requests answered 429, in percent.
        #[arg(default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
        throttle_percent: u64,
    },
    /// Run the graph-worker's keeper once (creates the subscription), retrying while the stack
    /// finishes starting.
    Keep {
        /// cargo lambda's invoke API.
        upstream: String,
    },
    /// IAM in front of the local DynamoDB: each function's request checked against its role in
    /// infra/template.yaml (refused: 400 AccessDeniedException), every checked access logged.
    IamProxy {
        /// Where to listen (127.0.0.1:PORT); the functions' AWS_ENDPOINT_URL.
        listen: String,
        /// The local DynamoDB (moto) behind it.
        upstream: String,
        /// The JSON-lines file every checked access is appended to.
        log: PathBuf,
    },
    /// What an IAM log shows: refusals (they fail it), each function's requests, and which
    /// granted rights were used.
    IamReport {
        /// The log `iam-proxy` (or the tests) wrote.
        log: PathBuf,
    },
    /// A generated tenant: the building file through the gateway, the calls published to the
    /// stand-in Graph at $GRAPH_STANDIN_URL; waits until every call is stored.
    LoadTenant {
        /// The local gateway's URL.
        gateway: String,
        /// The tenant's seed, given with CALLS [default: 7].
        #[arg(requires = "calls")]
        seed: Option<u64>,
        /// How many calls [default: 150].
        calls: Option<usize>,
        /// Also the crowd: 5,000 more users, 300 of them Johns, in a few large meetings (the
        /// browser tests' tenant; it costs the load time the demo need not spend).
        #[arg(long)]
        crowd: bool,
    },
    /// Wait until USER's history has no pending call.
    WaitRated {
        /// The local gateway's URL.
        gateway: String,
        user: String,
    },
    /// USER's history and a poor call, as a specialist and as an engineer side by side, then
    /// the specialist escalating it to the engineer.
    Show {
        /// The local gateway's URL.
        gateway: String,
        user: String,
    },
    /// The generated calls as JSON lines (for benchmarks).
    TenantJsonl { seed: u64, calls: usize },
    /// Spawn-to-ready times of function binaries against a stub Lambda runtime API.
    ColdStart {
        /// Starts per binary.
        runs: usize,
        #[arg(required = true)]
        binaries: Vec<PathBuf>,
    },
    /// Ingest CALLS generated calls through the gateway, time them until classified, then
    /// request latencies.
    BenchE2e {
        /// The local gateway's URL.
        gateway: String,
        calls: usize,
    },
    /// Graph notification acknowledgements through the gateway, with QUEUED ids already queued.
    BenchAck {
        /// The local gateway's URL.
        gateway: String,
        queued: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::CreateTable => create_table().await,
        Command::CreateQueues => create_queues().await,
        Command::Token { subject, role } => {
            let subject = subject.unwrap_or_else(|| format!("local-{role}"));
            dev_token(&role, &subject).map(|token| println!("{token}"))
        }
        Command::Gateway { listen, upstream } => run_gateway(&listen, &upstream).await,
        Command::Trigger { upstream } => run_trigger(&upstream).await,
        Command::GraphStandin { listen, throttle_percent } => run_graph_standin(&listen, throttle_percent).await,
        Command::Keep { upstream } => keep(&upstream).await,
        Command::IamProxy { listen, upstream, log } => run_iam_proxy(&listen, &upstream, &log).await,
        Command::IamReport { log } => iam_report(&log),
        Command::LoadTenant { gateway, seed, calls, crowd } => {
            demo::load_tenant(&gateway, seed.unwrap_or(7), calls.unwrap_or(150), crowd).await
        }
        Command::WaitRated { gateway, user } => demo::wait_rated(&gateway, &user).await,
        Command::Show { gateway, user } => demo::show_user(&gateway, &user).await,
        Command::TenantJsonl { seed, calls } => tenant_jsonl(seed, calls),
        Command::ColdStart { runs, binaries } => bench::cold_start(runs, &binaries).await,
        Command::BenchE2e { gateway, calls } => bench::e2e(&gateway, calls).await,
        Command::BenchAck { gateway, queued } => bench::ack(&gateway, queued).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("callscope-dev: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Where the dev token key lives (never committed).
const KEY_FILE: &str = ".local/dev-jwt.key";

/// A dev token for `role`, for `subject`.
fn dev_token(role: &str, subject: &str) -> Result<String, Error> {
    Ok(token::mint(&token::key(Path::new(KEY_FILE))?, subject, &[role]))
}

fn table_name() -> Result<String, Error> {
    std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set".into())
}

async fn create_table() -> Result<(), Error> {
    let table = table_name()?;
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    match table::ensure(&client, &table).await? {
        Ensured::Existed => println!("table {table} already exists"),
        Ensured::Created => println!("created table {table} (stream NEW_AND_OLD_IMAGES, TTL on expiresAt)"),
    }
    Ok(())
}

/// Creates the stack's work queues and prints their URLs as shell assignments (`eval` them).
async fn create_queues() -> Result<(), Error> {
    let table = table_name()?;
    let client = aws_sdk_sqs::Client::new(&aws_config::load_from_env().await);
    let queues = queues::ensure(&client, &table, queues::VISIBILITY_TIMEOUT).await?;
    eprintln!("work queues of {table}: live and backfill, each with a dead-letter queue");
    println!("GRAPH_LIVE_QUEUE_URL={}", queues.urls.live);
    println!("GRAPH_BACKFILL_QUEUE_URL={}", queues.urls.backfill);
    println!("GRAPH_LIVE_DEAD_LETTER_QUEUE_URL={}", queues.live_dead);
    println!("GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL={}", queues.backfill_dead);
    Ok(())
}

async fn run_gateway(listen: &str, upstream: &str) -> Result<(), Error> {
    let key = token::key(Path::new(KEY_FILE))?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("gateway on http://{listen} -> {upstream}");
    let gateway = gateway::Gateway::new(Functions::new(upstream), key);
    tokio::select! {
        result = gateway::serve(listener, gateway) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// How often the local schedule runs the keeper (hourly in AWS).
const KEEP_EVERY: Duration = Duration::from_secs(600);
/// How often the local schedule queues a poll of the phone-call logs (AWS: every 15 minutes).
const PHONE_POLL_EVERY: Duration = Duration::from_secs(10);

async fn run_trigger(upstream: &str) -> Result<(), Error> {
    let table = table_name()?;
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodbstreams::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let functions = Functions::new(upstream);
    let classify_tail = StreamTail::new(client, &table).await?;
    let queues = queues::ensure(&sqs, &table, queues::VISIBILITY_TIMEOUT).await?;
    let live = queues::Poller::new(sqs.clone(), &queues.urls.live).await?;
    let backfill = queues::Poller::new(sqs, &queues.urls.backfill).await?;
    println!("trigger: {table}'s stream -> classify, its work queues -> graph-worker at {upstream}");
    tokio::select! {
        result = trigger::run(classify_tail, functions.clone(), "classify", trigger::everything) => result?,
        result = trigger::run_queue(live, functions.clone(), "graph-worker") => result?,
        result = trigger::run_queue(backfill, functions.clone(), "graph-worker") => result?,
        () = trigger::schedule(functions, KEEP_EVERY, PHONE_POLL_EVERY) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

async fn run_graph_standin(listen: &str, throttle_percent: u64) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    // Its notifications name the tenant the local functions serve (`HOME_TENANT_ID`, set by
    // scripts/lib.sh), else the fixtures'.
    let behaviour = match std::env::var("HOME_TENANT_ID") {
        Ok(tenant) => Behaviour { throttle_percent, tenant, ..Default::default() },
        Err(_) => Behaviour { throttle_percent, ..Default::default() },
    };
    let stand_in = StandIn::start(listener, behaviour, Clock::system());
    println!("stand-in Graph at {} ({throttle_percent}% of requests answered 429)", stand_in.api_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn run_iam_proxy(listen: &str, upstream: &str, log: &Path) -> Result<(), Error> {
    let check = callscope_dev::iam::repository_check(&table_name()?)?;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let functions: Vec<&str> = check.function_names().collect();
    println!("IAM on http://{listen} -> {upstream}: the requests of {} checked", functions.join(", "));
    tokio::select! {
        result = callscope_dev::iam::proxy::serve(listener, upstream, check, log) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

fn iam_report(log: &Path) -> Result<(), Error> {
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
    let functions = Functions::new(upstream);
    let mut last = String::new();
    for _ in 0..10 {
        match functions.invoke("graph-worker", &trigger::keep_job()).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_commands_parse_as_the_scripts_call_them() {
        Cli::command().debug_assert();
        let parse = |line: &str| Cli::try_parse_from(line.split_whitespace()).map(|cli| cli.command);
        assert!(matches!(
            parse("callscope-dev graph-standin 127.0.0.1:1 5"),
            Ok(Command::GraphStandin { throttle_percent: 5, .. })
        ));
        assert!(matches!(
            parse("callscope-dev load-tenant http://g"),
            Ok(Command::LoadTenant { seed: None, calls: None, .. })
        ));
        assert!(matches!(
            parse("callscope-dev load-tenant http://g 11 40"),
            Ok(Command::LoadTenant { seed: Some(11), calls: Some(40), .. })
        ));
        assert!(parse("callscope-dev load-tenant http://g 11").is_err(), "a seed needs its call count");
        assert!(matches!(
            parse("callscope-dev load-tenant --crowd http://g"),
            Ok(Command::LoadTenant { crowd: true, .. })
        ));
        assert!(matches!(parse("callscope-dev token ingest"), Ok(Command::Token { subject: None, .. })));
        assert!(parse("callscope-dev cold-start 3").is_err(), "at least one binary");
        assert!(parse("callscope-dev graph-standin 127.0.0.1:1 101").is_err());
    }
}
