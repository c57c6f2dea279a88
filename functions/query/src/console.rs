//! The web console's static files, compiled into the query function and served without a
//! token: they hold no data. Everything the console shows it reads from this API with the
//! signed-in user's bearer token, so it can show no more than the API gives that role.

use axum::body::Body;
use axum::response::Response;
use callscope_core::support::config::ConsoleSignIn;

/// The console's files: name under `/console/`, content type, text.
const FILES: &[(&str, &str, &str)] = &[
    ("", "text/html; charset=utf-8", include_str!("../console/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../console/app.js")),
    ("admin.js", "text/javascript; charset=utf-8", include_str!("../console/admin.js")),
    ("lib.js", "text/javascript; charset=utf-8", include_str!("../console/lib.js")),
    ("details.js", "text/javascript; charset=utf-8", include_str!("../console/details.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../console/style.css")),
];

/// `GET /console` (`asset` empty) and `GET /console/{asset}`; `None` for an unknown file.
/// `config.json` tells the page how to sign in.
pub fn serve(asset: &str, sign_in: &ConsoleSignIn) -> Option<Response> {
    let (content_type, body) = if asset == "config.json" {
        ("application/json", serde_json::to_string(sign_in).expect("the sign-in settings serialize"))
    } else {
        let (_, content_type, text) = FILES.iter().find(|(name, _, _)| *name == asset)?;
        (*content_type, (*text).to_owned())
    };
    // Scripts and styles only from this origin; API calls to this origin, and in AWS to the
    // sign-in issuer's origin (its discovery document and token endpoint), nowhere else.
    let connect = match sign_in {
        ConsoleSignIn::Dev => "'self'".to_owned(),
        ConsoleSignIn::Oidc { issuer, .. } => format!("'self' {}", origin(issuer)),
    };
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let response = Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("cache-control", "no-cache")
        .header("content-security-policy", policy)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .body(Body::from(body))
        .expect("status and headers are valid");
    Some(response)
}

/// The origin (`scheme://host[:port]`) of `url`, for a CSP source; the whole text if it has no
/// path.
fn origin(url: &str) -> &str {
    let host_start = url.find("://").map_or(0, |i| i + 3);
    let end = url[host_start..].find(['/', '?', '#']).map_or(url.len(), |i| host_start + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(sign_in: &ConsoleSignIn) -> String {
        let response = serve("", sign_in).unwrap();
        response.headers()["content-security-policy"].to_str().unwrap().to_owned()
    }

    #[test]
    fn the_console_may_connect_only_to_itself_and_the_sign_in_issuer() {
        assert!(policy(&ConsoleSignIn::Dev).contains("connect-src 'self';"));
        let oidc = ConsoleSignIn::Oidc {
            issuer: "https://login.microsoftonline.com/tenant-id/v2.0".into(),
            client_id: "c".into(),
            scope: "openid".into(),
        };
        assert!(policy(&oidc).contains("connect-src 'self' https://login.microsoftonline.com;"), "{}", policy(&oidc));
        assert!(!policy(&oidc).contains("https:;"), "not any https host");
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
