//! Dev tokens: HS256 JWTs signed with a key generated on first use and kept in `.local/`
//! (never committed). The local gateway verifies them as API Gateway's JWT authorizer verifies
//! the real issuer's.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use std::path::Path;

/// The issuer and audience of dev tokens.
pub const ISSUER: &str = "https://callscope.local/dev";
pub const AUDIENCE: &str = "callscope-local";

/// The signing key, created at `path` on first use.
pub fn key(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Ok(key) = std::fs::read(path) {
        return Ok(key);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key: [u8; 32] = rand::random();
    std::fs::write(path, key)?;
    Ok(key.to_vec())
}

/// The name a dev token of `role` carries, as an identity provider's `name` claim would: what
/// escalations and notes show as their author.
pub fn persona(role: &str) -> &'static str {
    match role {
        "support-specialist" => "Sam Specialist",
        "support-engineer" => "Erin Engineer",
        "admin" => "Alex Admin",
        _ => "Local service",
    }
}

/// A token for `subject` with `roles` (named for the first role's persona), valid for 12 hours.
pub fn mint(key: &[u8], subject: &str, roles: &[&str]) -> String {
    let name = persona(roles.first().copied().unwrap_or_default());
    sign(key, json!({ "sub": subject, "name": name, "roles": roles }))
}

/// A token for `subject` with no app role but the Entra directory role of template id
/// `template_id` in `wids`, as Entra ID issues it (named for the persona of the support role it
/// grants), valid for 12 hours.
pub fn mint_directory_role(key: &[u8], subject: &str, template_id: &str, persona_role: &str) -> String {
    sign(key, json!({ "sub": subject, "name": persona(persona_role), "wids": [template_id] }))
}

/// `claims` with the dev issuer, audience and a 12-hour lifetime, signed.
fn sign(key: &[u8], mut claims: Value) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let fixed = json!({ "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 12 * 3600 });
    if let (Some(claims), Value::Object(fixed)) = (claims.as_object_mut(), fixed) {
        claims.extend(fixed);
    }
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
        .expect("HS256 signing cannot fail")
}

/// The claims of a valid token (signature, issuer, audience, expiry), or why not.
pub fn verify(key: &[u8], token: &str) -> Result<Map<String, Value>, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    Ok(jsonwebtoken::decode::<Map<String, Value>>(token, &DecodingKey::from_secret(key), &validation)?.claims)
}

/// Claims as API Gateway's JWT authorizer hands them to the function: every value a string,
/// arrays flattened to `[a b]`.
pub fn as_authorizer_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => {
                    let items: Vec<String> =
                        items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect();
                    format!("[{}]", items.join(" "))
                }
                other => other.to_string(),
            };
            (k.clone(), Value::String(text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_key_and_claims_flatten_like_api_gateway() {
        let token = mint(b"key-one", "agent-1", &["support-specialist", "admin"]);
        let claims = verify(b"key-one", &token).unwrap();
        assert!(verify(b"key-two", &token).is_err());
        assert!(verify(b"key-one", &format!("{token}x")).is_err());
        let flat = as_authorizer_claims(&claims);
        assert_eq!(flat["roles"], "[support-specialist admin]");
        assert_eq!(flat["sub"], "agent-1");
        assert_eq!(flat["name"], "Sam Specialist");
    }
}
