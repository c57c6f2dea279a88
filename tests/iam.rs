//! Every DynamoDB request a function makes in these tests, checked against that function's
//! role in `infra/template.yaml` as IAM evaluates it (`callscope_dev::iam`, the same check the
//! local stack runs): moto evaluates no IAM, so without this a request the deployed role
//! refuses passes here and fails only in AWS.
//!
//! A test gives each handler's app a store of its function with [`as_function`] (one line:
//! `as_function(&store, "ingest")`, the name being the last part of the function's `CodeUri`).
//! Its client names the function as the SDK's app name, as the deployed function's does, and a
//! layer under the SDK (beneath every other layer, faults included) decides each request: a
//! refused one is answered `400 AccessDeniedException` without reaching the table, so the
//! product meets what it would meet deployed, and is written down. A test process that saw a
//! refusal fails when it exits, naming each one, even if the test that made it passed. Requests
//! the tests make themselves (setup, scans, `stored_item`) are no function's and are not checked.
//!
//! `CALLSCOPE_IAM_LOG=<file>` appends every checked access as a JSON line (`callscope-dev
//! iam-report <file>` sums them up: which granted rights were used); `CALLSCOPE_IAM=record` sends
//! refused requests on anyway, so one run lists every refusal.

use crate::layer::{Layer, over};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::AppName;
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector};
use callscope_core::store::DynamoStore;
use callscope_dev::iam::template::{Deployment, Template};
use callscope_dev::iam::{Check, Verdict, app_name};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// The repository's template, read once per test process.
pub fn repository_template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
        Template::load(std::path::Path::new(path)).unwrap_or_else(|e| panic!("infra/template.yaml: {e}"))
    })
}

/// The store of `function` (`ingest`, `query`, `classify`, `graph-worker`: the last part of its
/// `CodeUri`) on `store`'s table: every request checked against its role in the template.
pub fn as_function(store: &DynamoStore, function: &str) -> DynamoStore {
    Roles::of(repository_template(), store.table(), true).store_as(store, function)
}

/// What the repository's roles refused in this process; the first use arranges for the process
/// to fail at exit if anything was.
fn refused() -> &'static Arc<Mutex<Vec<String>>> {
    static REFUSED: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    REFUSED.get_or_init(|| {
        fail_at_exit_on_refusals();
        Arc::default()
    })
}

/// A template's roles on one table, and what they refused.
#[derive(Debug, Clone)]
pub struct Roles {
    check: Arc<Check>,
    refused: Arc<Mutex<Vec<String>>>,
    /// The repository's roles: their refusals fail the process, follow `CALLSCOPE_IAM`, and
    /// their accesses go to `CALLSCOPE_IAM_LOG`. A changed template's are only written down.
    repository: bool,
}

impl Roles {
    /// `template`'s roles on `table`, with refusals of their own (a changed template's, say).
    pub fn new(template: &Template, table: &str) -> Self {
        Self::of(template, table, false)
    }

    fn of(template: &Template, table: &str, repository: bool) -> Self {
        let refused = if repository { refused().clone() } else { Arc::default() };
        let check = Check::new(template, Deployment::local(table)).unwrap_or_else(|e| panic!("the template: {e}"));
        Self { check: Arc::new(check), refused, repository }
    }

    /// `store`'s table through a client of `function`'s, each request checked here. The client
    /// keeps everything of `store`'s (endpoint, retries, interceptors, a fault layer).
    pub fn store_as(&self, store: &DynamoStore, function: &str) -> DynamoStore {
        assert!(
            self.check.function(function).is_some(),
            "infra/template.yaml has no function named {function} (the last part of a CodeUri)"
        );
        let config = store.sdk_config();
        assert!(
            config.app_name().is_none(),
            "the store is a function's already: give {function} the table's own store"
        );
        let app = AppName::new(function.to_owned()).expect("a function's name is a valid app name");
        let checked = over(config, self.clone()).app_name(app).build();
        DynamoStore::new(Client::from_conf(checked), store.table())
    }

    /// Everything refused so far, one line per refused access.
    pub fn refusals(&self) -> Vec<String> {
        self.refused.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, verdict: &Verdict) {
        if let Some(path) = std::env::var_os("CALLSCOPE_IAM_LOG").filter(|_| self.repository) {
            let lines = verdict.log_lines().join("\n") + "\n";
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
            file.and_then(|mut f| f.write_all(lines.as_bytes())).expect("append to CALLSCOPE_IAM_LOG");
        }
        if !verdict.is_allowed() {
            let refusals = verdict.refusals();
            for refusal in &refusals {
                eprintln!("refused: {refusal}");
            }
            self.refused.lock().unwrap_or_else(|e| e.into_inner()).extend(refusals);
        }
    }
}

/// The roles decide each request beneath the SDK.
impl Layer for Roles {
    fn call(&self, request: HttpRequest, next: &SharedHttpConnector) -> HttpConnectorFuture {
        let header = |name: &str| request.headers().get(name).unwrap_or_default();
        let function = app_name(header("x-amz-user-agent")).or(app_name(header("user-agent")));
        let body = request.body().bytes().unwrap_or_default();
        if let Some(verdict) = self.check.request(function, header("x-amz-target"), body) {
            self.record(&verdict);
            let sent_anyway = self.repository && record_only();
            if !verdict.is_allowed() && !sent_anyway {
                let denied: HttpResponse = crate::faults::response(400, verdict.access_denied_body());
                return HttpConnectorFuture::ready(Ok(denied));
            }
        }
        next.call(request)
    }
}

/// `CALLSCOPE_IAM=record`: refused requests are written down (and fail the process at exit)
/// but still sent, so that one run lists every refusal instead of stopping at the first.
fn record_only() -> bool {
    static RECORD: OnceLock<bool> = OnceLock::new();
    *RECORD.get_or_init(|| std::env::var("CALLSCOPE_IAM").is_ok_and(|v| v == "record"))
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
    fn _exit(status: std::ffi::c_int) -> !;
}

/// Makes the test process fail as it exits if any request was refused: a refusal fails the run
/// even where the test that made it tolerated the error (a background task, a retried batch).
fn fail_at_exit_on_refusals() {
    // SAFETY: registers a plain function with the C runtime; it runs once, at exit.
    let registered = unsafe { atexit(report_refusals) };
    assert_eq!(registered, 0, "atexit refused the refusal report");
}

extern "C" fn report_refusals() {
    let refused = refused().lock().unwrap_or_else(|e| e.into_inner()).clone();
    if refused.is_empty() {
        return;
    }
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for refusal in &refused {
        *counted.entry(refusal).or_default() += 1;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "\nDynamoDB requests the roles in infra/template.yaml refuse ({} in all):", refused.len());
    for (refusal, n) in counted {
        let _ = writeln!(stderr, "  {refusal} [{n} time(s)]");
    }
    let _ = stderr.flush();
    let _ = std::io::stdout().flush();
    // SAFETY: ends the process at once with a failing status; nothing runs after it.
    unsafe { _exit(101) }
}
