//! The query function's handler: routes, then a core query in the caller's role, then JSON.

mod console;
mod params;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, FromRequestParts, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, request::Parts};
use axum::response::Response;
use callscope_core::app::AppError;
use callscope_core::app::query::{EscalationFilter, Me, Query};
use callscope_core::app::site_cache::SiteCache;
use callscope_core::domain::access::{CursorSigner, Principal, RoleNames};
use callscope_core::domain::escalation::{MAX_ESCALATION_BODY_BYTES, Transition};
use callscope_core::domain::idempotency::{IDEMPOTENCY_KEY_HEADER, IdempotencyKey};
use callscope_core::queue::QueueGauge;
use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config};
use callscope_http::{
    Access, ApiError, Authenticates, Caller, HttpFunction, PathParam, QueryParams, RequestId, Routes, json,
    read_sent_as,
};
use params::{Format, Params};
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
    /// The Graph connector's queues, whose depth the connector's status shows.
    pub queues: QueueGauge,
}

impl Authenticates for App {
    fn role_names(&self) -> &RoleNames {
        &self.config.roles
    }
}

/// The routes this function serves, as `(method, path)` with `{param}` placeholders; the IaC
/// test checks that the template declares exactly these. The console's static files are served
/// without a token.
impl HttpFunction for App {
    fn routes() -> Routes<Arc<App>> {
        Routes::default()
            .route(Access::Token, "GET", "/me", me)
            .route(Access::Token, "GET", "/users", users)
            .route(Access::Token, "GET", "/users/{userId}/calls", history)
            .route(Access::Token, "GET", "/calls/{callId}", call)
            .route(Access::Token, "GET", "/calls/{callId}/sessions", call_sessions)
            .route(Access::Token, "GET", "/calls/{callId}/participants", call_participants)
            .route(Access::Token, "GET", "/audit", audit)
            .route(Access::Token, "GET", "/graph/dead-letters", dead_letters)
            .route(Access::Token, "GET", "/graph/status", graph_status)
            .route(Access::Token, "GET", "/buildings", buildings)
            .route(Access::Token, "GET", "/buildings/unmapped-subnets", unmapped_subnets)
            .route(Access::Token, "POST", "/calls/{callId}/escalations", escalate)
            .route(Access::Token, "GET", "/escalations", escalations)
            .route(Access::Token, "GET", "/escalations/{escalationId}", escalation)
            .route(Access::Token, "POST", "/escalations/{escalationId}/notes", note)
            .route(
                Access::Token,
                "POST",
                "/escalations/{escalationId}/claim",
                change.layer(Extension(Transition::Claim)),
            )
            .route(
                Access::Token,
                "POST",
                "/escalations/{escalationId}/resolve",
                change.layer(Extension(Transition::Resolve)),
            )
            .route(Access::Public, "GET", "/console", console_page)
            .route(Access::Public, "GET", "/console/{asset}", console_file)
    }
}

/// A helpdesk request: who asks (refused before anything else is read), with what parameters,
/// under which of API Gateway's request ids.
struct Asked {
    app: Arc<App>,
    principal: Principal,
    params: Params,
    request_id: String,
}

impl FromRequestParts<Arc<App>> for Asked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let Caller(principal) = Caller::from_request_parts(parts, app).await?;
        let Ok(QueryParams(params)) = QueryParams::from_request_parts(parts, app).await;
        let Ok(RequestId(request_id)) = RequestId::from_request_parts(parts, app).await;
        Ok(Self { app: app.clone(), principal, params, request_id })
    }
}

impl Asked {
    /// The core's queries, as this caller, now.
    fn query(&self) -> Query<'_> {
        Query {
            store: &self.app.store,
            sites: &self.app.sites,
            signer: &self.app.signer,
            home_tenant: &self.app.home_tenant,
            sip_causes: &self.app.config.sip_causes,
            now: self.app.clock.now(),
            request_id: &self.request_id,
        }
    }

    /// The `user` parameter, if given.
    fn user(&self) -> Option<&str> {
        self.params.get("user").map(String::as_str)
    }
}

type Answer = Result<Response, ApiError>;

/// `GET /me`: the caller's role, its name and what granted it (not audited).
async fn me(Caller(principal): Caller) -> Answer {
    Ok(json(200, &Me::of(&principal)?))
}

/// `GET /users?search=`: people the caller may look up.
async fn users(asked: Asked) -> Answer {
    let search = asked.params.get("search").map(String::as_str);
    Ok(json(200, &asked.query().users(&asked.principal, search, &params::paging(&asked.params)?).await?))
}

/// `GET /users/{userId}/calls`: a user's call history, as JSON or CSV.
async fn history(asked: Asked, PathParam(user): PathParam) -> Answer {
    let format = params::format(&asked.params)?;
    let (filter, paging) = (params::time_filter(&asked.params)?, params::paging(&asked.params)?);
    let page = asked.query().history(&asked.principal, &user, filter, &paging).await?;
    Ok(match format {
        Format::Json => json(200, &page),
        Format::Csv => csv_attachment(page.to_csv(), &format!("calls-{user}.csv"), page.next_cursor()),
    })
}

/// `GET /calls/{callId}?user=`: one call in the caller's view.
async fn call(asked: Asked, PathParam(call): PathParam) -> Answer {
    Ok(json(200, &asked.query().call(&asked.principal, &call, asked.user()).await?))
}

/// `GET /calls/{callId}/sessions?user=&rating=&limit=&cursor=`: a page of a call's sessions.
async fn call_sessions(asked: Asked, PathParam(call): PathParam) -> Answer {
    let (rating, paging) = (params::rating(&asked.params)?, params::paging(&asked.params)?);
    let page = asked.query().call_sessions(&asked.principal, &call, asked.user(), rating, &paging).await?;
    Ok(json(200, &page))
}

/// `GET /calls/{callId}/participants?user=&limit=&cursor=`: a page of a call's participants.
async fn call_participants(asked: Asked, PathParam(call): PathParam) -> Answer {
    let paging = params::paging(&asked.params)?;
    Ok(json(200, &asked.query().call_participants(&asked.principal, &call, asked.user(), &paging).await?))
}

/// `GET /audit?from=&to=&action=` (admin): the audit trail.
async fn audit(asked: Asked) -> Answer {
    let (filter, paging) = (params::time_filter(&asked.params)?, params::paging(&asked.params)?);
    let action = params::audit_action(&asked.params)?;
    Ok(json(200, &asked.query().audit_log(&asked.principal, filter, action, &paging).await?))
}

/// `GET /graph/dead-letters` (admin): the call records the Graph connector gave up on.
async fn dead_letters(asked: Asked) -> Answer {
    Ok(json(200, &asked.query().dead_letters(&asked.principal, &params::paging(&asked.params)?).await?))
}

/// `GET /graph/status` (admin, audited): the Graph connector's subscription, last notification,
/// queue depths and dead letters.
async fn graph_status(asked: Asked) -> Answer {
    Ok(json(200, &asked.query().graph_status(&asked.principal, &asked.app.queues).await?))
}

/// `GET /buildings` (admin): the active building file.
async fn buildings(asked: Asked) -> Answer {
    Ok(json(200, &asked.query().buildings(&asked.principal, &params::paging(&asked.params)?).await?))
}

/// `GET /buildings/unmapped-subnets` (admin): subnets seen on sessions that no building maps.
async fn unmapped_subnets(asked: Asked) -> Answer {
    Ok(json(200, &asked.query().unmapped_subnets(&asked.principal).await?))
}

/// `POST /calls/{callId}/escalations?user=`: a specialist hands a call to tier 2.
async fn escalate(asked: Asked, PathParam(call): PathParam, headers: HeaderMap, body: Body) -> Answer {
    let (key, body) = (idempotency_key(&headers)?, json_body(&headers, body).await?);
    Ok(json(201, &asked.query().escalate(&asked.principal, &call, asked.user(), &body, key.as_ref()).await?))
}

/// `GET /escalations?state=|mine=true`: a queue, or the caller's own, as JSON or CSV.
async fn escalations(asked: Asked) -> Answer {
    let params = &asked.params;
    let (format, filter, paging) =
        (params::format(params)?, params::escalation_filter(params)?, params::paging(params)?);
    let page = asked.query().escalations(&asked.principal, filter, &paging).await?;
    Ok(match format {
        Format::Json => json(200, &page),
        Format::Csv => csv_attachment(page.to_csv(), &csv_name(filter), page.next_cursor()),
    })
}

/// `GET /escalations/{escalationId}`.
async fn escalation(asked: Asked, PathParam(id): PathParam) -> Answer {
    Ok(json(200, &asked.query().escalation(&asked.principal, &id).await?))
}

/// `POST /escalations/{escalationId}/notes`.
async fn note(asked: Asked, PathParam(id): PathParam, headers: HeaderMap, body: Body) -> Answer {
    let (key, body) = (idempotency_key(&headers)?, json_body(&headers, body).await?);
    Ok(json(201, &asked.query().add_note(&asked.principal, &id, &body, key.as_ref()).await?))
}

/// `POST /escalations/{escalationId}/claim` and `/resolve`.
async fn change(asked: Asked, PathParam(id): PathParam, Extension(transition): Extension<Transition>) -> Answer {
    Ok(json(200, &asked.query().change_escalation(&asked.principal, &id, transition).await?))
}

/// `GET /console`: the web console's page, without a token.
async fn console_page(State(app): State<Arc<App>>) -> Answer {
    console_file(State(app), PathParam(String::new())).await
}

/// `GET /console/{asset}`: the web console's other files, without a token.
async fn console_file(State(app): State<Arc<App>>, PathParam(asset): PathParam) -> Answer {
    console::serve(&asset, &app.config.console_sign_in).ok_or_else(|| ApiError::not_found("file"))
}

/// The JSON body of an escalation route: `415` unless sent as JSON, `413` past its cap.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    read_sent_as(headers, body, &[Some("application/json")], MAX_ESCALATION_BODY_BYTES).await
}

/// The `Idempotency-Key` header, if sent: `400` if it is not a key.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let key = headers.get(IDEMPOTENCY_KEY_HEADER).map(|value| IdempotencyKey::parse(value.as_bytes()));
    Ok(key.transpose().map_err(AppError::from)?)
}

/// The file name of a queue download.
fn csv_name(filter: EscalationFilter) -> String {
    match filter {
        EscalationFilter::State(state) => format!("escalations-{}.csv", state.name()),
        EscalationFilter::Mine => "escalations-mine.csv".to_owned(),
    }
}

/// A CSV download; the next page's cursor, if any, in `x-next-cursor`.
fn csv_attachment(body: String, filename: &str, next_cursor: Option<&str>) -> Response {
    let safe_name: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    let mut response = Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{safe_name}\""));
    if let Some(cursor) = next_cursor {
        response = response.header("x-next-cursor", cursor);
    }
    response.body(Body::from(body)).expect("status and headers are valid")
}
