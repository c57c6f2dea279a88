//! Cold start, measured locally: from spawning a function's binary to its first request for an
//! event (`GET /2018-06-01/runtime/invocation/next`) at a stub of the Lambda runtime API. That is
//! the moment a deployed function is ready: config read, client built, runtime started.
//!
//! The stub never hands out an event: it must not run a function's handler, only see it ready.

use axum::Router;
use axum::http::{StatusCode, Uri};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The floor for starting any process here: milliseconds to spawn `true` and see it exit.
pub async fn process_floor(runs: usize) -> std::io::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        tokio::process::Command::new("true").status().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(times)
}

/// Milliseconds from spawn to the first `invocation/next`, for each of `runs` starts of `binary`.
pub async fn measure(binary: &Path, runs: usize, env: &[(&str, &str)]) -> std::io::Result<Vec<f64>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (ready, mut arrivals) = mpsc::unbounded_channel::<Instant>();
    let stub = Router::new().fallback(move |uri: Uri| {
        if uri.path().ends_with("/invocation/next") {
            let _ = ready.send(Instant::now());
        }
        async {
            // Never hand out an event: the function waits, and is killed.
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::NO_CONTENT
        }
    });
    tokio::spawn(async move { axum::serve(listener, stub).await });
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .envs(env.iter().copied())
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "cold-start")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "local")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let arrived = tokio::time::timeout(Duration::from_secs(10), arrivals.recv()).await;
        child.kill().await?;
        match arrived {
            Ok(Some(at)) => times.push(at.duration_since(started).as_secs_f64() * 1000.0),
            _ => return Err(std::io::Error::other(format!("{} never asked for an event", binary.display()))),
        }
    }
    Ok(times)
}
