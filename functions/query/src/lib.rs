//! The query function's handler: routes, then a core query in the caller's role, then JSON.

mod console;
mod params;

use callscope_core::app::query::{EscalationFilter, Query};
use callscope_core::app::site_cache::SiteCache;
use callscope_core::domain::access::CursorSigner;
use callscope_core::domain::escalation::{MAX_ESCALATION_BODY_BYTES, Transition};
use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config};
use callscope_http::{
    ApiError, hardened, json, path_segments, query_params, request_id, require_media_type, verified_claims,
};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use params::Format;
use std::sync::Arc;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    pub signer: CursorSigner,
    pub home_tenant: String,
    pub clock: Clock,
    /// Building and endpoint data, loaded once per warm instance.
    pub sites: Arc<SiteCache>,
}

/// The routes this function serves, as `(method, path)` with `{param}` placeholders; the IaC
/// test checks that the template declares exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/users"),
    ("GET", "/users/{userId}/calls"),
    ("GET", "/calls/{callId}"),
    ("GET", "/audit"),
    ("GET", "/buildings"),
    ("GET", "/buildings/unmapped-subnets"),
    ("POST", "/calls/{callId}/escalations"),
    ("GET", "/escalations"),
    ("GET", "/escalations/{escalationId}"),
    ("POST", "/escalations/{escalationId}/notes"),
    ("POST", "/escalations/{escalationId}/claim"),
    ("POST", "/escalations/{escalationId}/resolve"),
];

/// The routes served without a token: the web console's static files.
pub const PUBLIC_ROUTES: &[(&str, &str)] = &[("GET", "/console"), ("GET", "/console/{asset}")];

/// Serves the helpdesk routes. Never fails: every outcome is an HTTP response. The routes'
/// futures together are large, so they live on the heap, not on the caller's stack.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    hardened(Box::pin(serve(app, &request)).await.unwrap_or_else(ApiError::into_response))
}

async fn serve(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = path_segments(request).ok_or_else(|| ApiError::not_found("route"))?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let (&Method::GET, ["console", rest @ ..]) = (request.method(), segments.as_slice()) {
        let asset = match rest {
            [] => "",
            [asset] => asset,
            _ => return Err(ApiError::not_found("file")),
        };
        return console::serve(asset, &app.config.console_sign_in).ok_or_else(|| ApiError::not_found("file"));
    }
    let route = match (request.method(), segments.as_slice()) {
        (&Method::GET, ["users"]) => Route::Users,
        (&Method::GET, ["users", user, "calls"]) => Route::History(user),
        (&Method::GET, ["calls", call]) => Route::Call(call),
        (&Method::GET, ["audit"]) => Route::Audit,
        (&Method::GET, ["buildings"]) => Route::Buildings,
        (&Method::GET, ["buildings", "unmapped-subnets"]) => Route::UnmappedSubnets,
        (&Method::POST, ["calls", call, "escalations"]) => Route::Escalate(call),
        (&Method::GET, ["escalations"]) => Route::Escalations,
        (&Method::GET, ["escalations", id]) => Route::Escalation(id),
        (&Method::POST, ["escalations", id, "notes"]) => Route::Note(id),
        (&Method::POST, ["escalations", id, "claim"]) => Route::Change(id, Transition::Claim),
        (&Method::POST, ["escalations", id, "resolve"]) => Route::Change(id, Transition::Resolve),
        _ => return Err(ApiError::not_found("route")),
    };
    let principal = app.config.roles.principal(verified_claims(request).as_ref())?;
    let params = query_params(request);
    let request_id = request_id(request);
    let query = Query {
        store: &app.store,
        sites: &app.sites,
        signer: &app.signer,
        home_tenant: &app.home_tenant,
        now: app.clock.now(),
        request_id: &request_id,
    };
    match route {
        Route::Users => {
            let search = params.get("search").map(String::as_str);
            Ok(json(200, &query.users(&principal, search, &params::paging(&params)?).await?))
        }
        Route::History(user) => {
            let format = params::format(&params)?;
            let (filter, paging) = (params::time_filter(&params)?, params::paging(&params)?);
            let page = query.history(&principal, user, filter, &paging).await?;
            Ok(match format {
                Format::Json => json(200, &page),
                Format::Csv => csv_attachment(page.to_csv(), &format!("calls-{user}.csv"), page.next_cursor()),
            })
        }
        Route::Call(call) => {
            let user = params.get("user").map(String::as_str);
            Ok(json(200, &query.call(&principal, call, user).await?))
        }
        Route::Audit => {
            let (filter, paging) = (params::time_filter(&params)?, params::paging(&params)?);
            Ok(json(200, &query.audit_log(&principal, filter, &paging).await?))
        }
        Route::Buildings => Ok(json(200, &query.buildings(&principal, &params::paging(&params)?).await?)),
        Route::UnmappedSubnets => Ok(json(200, &query.unmapped_subnets(&principal).await?)),
        Route::Escalate(call) => {
            let user = params.get("user").map(String::as_str);
            Ok(json(201, &query.escalate(&principal, call, user, json_body(request)?).await?))
        }
        Route::Escalations => {
            let (format, filter, paging) =
                (params::format(&params)?, params::escalation_filter(&params)?, params::paging(&params)?);
            let page = query.escalations(&principal, filter, &paging).await?;
            Ok(match format {
                Format::Json => json(200, &page),
                Format::Csv => csv_attachment(page.to_csv(), &csv_name(filter), page.next_cursor()),
            })
        }
        Route::Escalation(id) => Ok(json(200, &query.escalation(&principal, id).await?)),
        Route::Note(id) => Ok(json(201, &query.add_note(&principal, id, json_body(request)?).await?)),
        Route::Change(id, transition) => Ok(json(200, &query.change_escalation(&principal, id, transition).await?)),
    }
}

/// The JSON body of an escalation route: `415` unless sent as JSON, `413` past its cap.
fn json_body(request: &Request) -> Result<&[u8], ApiError> {
    require_media_type(request, &[Some("application/json")])?;
    let body = request.body().as_ref();
    if body.len() > MAX_ESCALATION_BODY_BYTES {
        return Err(ApiError::too_large(MAX_ESCALATION_BODY_BYTES));
    }
    Ok(body)
}

/// The file name of a queue download.
fn csv_name(filter: EscalationFilter) -> String {
    match filter {
        EscalationFilter::State(state) => format!("escalations-{}.csv", state.name()),
        EscalationFilter::Mine => "escalations-mine.csv".to_owned(),
    }
}

/// A CSV download; the next page's cursor, if any, in `x-next-cursor`.
fn csv_attachment(body: String, filename: &str, next_cursor: Option<&str>) -> Response<Body> {
    let safe_name: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    let mut response = Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{safe_name}\""));
    if let Some(cursor) = next_cursor {
        response = response.header("x-next-cursor", cursor);
    }
    response.body(Body::Text(body)).expect("status and headers are valid")
}

/// A served route, matched before anything else is read.
enum Route<'a> {
    Users,
    History(&'a str),
    Call(&'a str),
    Audit,
    Buildings,
    UnmappedSubnets,
    Escalate(&'a str),
    Escalations,
    Escalation(&'a str),
    Note(&'a str),
    Change(&'a str, Transition),
}
