//! What a handler reads from a request besides its state: the caller the authorizer verified,
//! the query parameters, API Gateway's request id, and a body within the route's cap.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path};
use axum::http::{HeaderMap, request::Parts};
use callscope_core::domain::access::{Principal, RoleNames};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use std::collections::HashMap;
use std::sync::Arc;

/// A function's state that can tell who is calling: the role names its configuration maps
/// claims to.
pub trait Authenticates {
    /// The configured role names.
    fn role_names(&self) -> &RoleNames;
}

/// The caller of a route behind the JWT authorizer, from the claims API Gateway verified:
/// `401` without claims, `403` with claims that name no role. Taken before the body is read.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<A: Authenticates + Send + Sync> FromRequestParts<Arc<A>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<A>) -> Result<Self, ApiError> {
        Ok(Caller(app.role_names().principal(verified_claims(parts).as_ref())?))
    }
}

/// The claims API Gateway's JWT authorizer verified; `None` if the request passed none.
///
/// Only `requestContext.authorizer.jwt.claims` decides: the client cannot set it. The gateway
/// flattens an array claim to `[a b]`, which cannot tell the one group "admin assistants" from
/// the two groups "admin" and "assistants". The bearer token is the one the authorizer verified
/// (the route's identity source), so where its payload holds the claim as an array whose
/// flattening is exactly the verified string, that array replaces it: it chooses between the
/// readings of the verified claim, and can never add to it.
pub fn verified_claims(parts: &Parts) -> Option<HashMap<String, String>> {
    let claims = match parts.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => &context.authorizer.as_ref()?.jwt.as_ref()?.claims,
        _ => return None,
    };
    let Some(payload) = bearer_payload(&parts.headers) else {
        return Some(claims.clone());
    };
    let exact = |name: &String, flattened: &String| {
        let values: Vec<String> = serde_json::from_value(payload.get(name)?.clone()).ok()?;
        (format!("[{}]", values.join(" ")) == *flattened).then(|| serde_json::json!(values).to_string())
    };
    Some(
        claims
            .iter()
            .map(|(name, value)| (name.clone(), exact(name, value).unwrap_or_else(|| value.clone())))
            .collect(),
    )
}

/// The payload of the JWT in the request's `Authorization` header, undecoded claims as JSON. The
/// token is read as API Gateway's JWT authorizer reads it: after a `Bearer ` prefix if there is
/// one, else the whole value. A client that left the prefix out must not get the flattened
/// claim split on its spaces.
fn bearer_payload(headers: &HeaderMap) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    let header = headers.get("authorization")?.to_str().ok()?.trim();
    let token = match header.split_once(char::is_whitespace) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token,
        _ => header,
    };
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A route's one path parameter, percent-decoded; a path that does not decode to UTF-8 names
/// no route (`404`).
#[derive(Debug, Clone)]
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(value) = Path::<String>::from_request_parts(parts, state).await.map_err(|rejection| {
            tracing::debug!(%rejection, "a path parameter did not decode");
            ApiError::not_found("route")
        })?;
        Ok(PathParam(value))
    }
}

/// The query parameters, decoded, the first value of each name (API Gateway hands over the raw
/// query string, and lambda_http puts it in the URI).
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Sync> FromRequestParts<S> for QueryParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
            params.entry(name.into_owned()).or_insert_with(|| value.into_owned());
        }
        Ok(QueryParams(params))
    }
}

/// API Gateway's id of this request (for the audit trail); Lambda's when there is none.
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub String);

impl<S: Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let id = match parts.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
            _ => None,
        }
        .or_else(|| parts.lambda_context_ref().map(|c| c.request_id.clone()))
        .unwrap_or_default();
        Ok(RequestId(id))
    }
}

/// When the invocation must be done, as Lambda's context says (milliseconds since the epoch);
/// `None` outside Lambda (the tests call the router directly).
#[derive(Debug, Clone, Copy, Default)]
pub struct InvocationDeadline(pub Option<u64>);

impl<S: Sync> FromRequestParts<S> for InvocationDeadline {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(InvocationDeadline(parts.lambda_context_ref().map(|c| c.deadline)))
    }
}

/// The request's media type (`Content-Type` without parameters, lower case); `None` if absent.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("content-type")?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// Refuses a body whose media type is not one of `accepted` (`None` in `accepted` lets a request
/// without `Content-Type` through) with `415`, before the body is read.
pub fn require_media_type(headers: &HeaderMap, accepted: &[Option<&str>]) -> Result<(), ApiError> {
    let found = media_type(headers);
    if accepted.contains(&found.as_deref()) {
        return Ok(());
    }
    let names: Vec<&str> = accepted.iter().flatten().copied().collect();
    Err(ApiError::unsupported_media_type(&names.join(" or ")))
}

/// A body sent as one of `accepted` (`415` otherwise, before it is read), read whole up to
/// `limit` bytes (`413` past it).
pub async fn read_sent_as(
    headers: &HeaderMap,
    body: Body,
    accepted: &[Option<&str>],
    limit: usize,
) -> Result<Bytes, ApiError> {
    require_media_type(headers, accepted)?;
    read_body(body, limit).await
}

/// The whole body, `413` as soon as it passes `limit` bytes: a route's own cap, under the one
/// API Gateway and Lambda put on every request.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    // Under Lambda the body is already in memory, so the only way reading it fails is the cap.
    axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::too_large(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn params(uri: &str) -> HashMap<String, String> {
        let (mut parts, ()) = axum::http::Request::builder().uri(uri).body(()).unwrap().into_parts();
        QueryParams::from_request_parts(&mut parts, &()).await.unwrap().0
    }

    #[tokio::test]
    async fn query_parameters_are_decoded_and_the_first_of_a_name_wins() {
        let found = params("/users?search=Ada%20L+x&limit=5&limit=6&cursor=a%2Bb%3D").await;
        assert_eq!(found["search"], "Ada L x");
        assert_eq!(found["limit"], "5");
        assert_eq!(found["cursor"], "a+b=");
        assert!(params("/users").await.is_empty());
    }

    #[tokio::test]
    async fn a_body_over_the_cap_is_413() {
        assert_eq!(read_body(Body::from("12345"), 5).await.unwrap(), "12345");
        assert_eq!(read_body(Body::from("123456"), 5).await.unwrap_err().status, 413);
    }

    #[test]
    fn media_types_are_compared_without_parameters_or_case() {
        let mut headers = HeaderMap::new();
        assert!(require_media_type(&headers, &[None]).is_ok());
        assert_eq!(require_media_type(&headers, &[Some("application/json")]).unwrap_err().status, 415);
        headers.insert("content-type", "Application/JSON; charset=utf-8".parse().unwrap());
        assert!(require_media_type(&headers, &[Some("application/json")]).is_ok());
    }
}
