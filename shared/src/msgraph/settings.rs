//! Where Graph is and who we are to it, read and checked at cold start.

use crate::support::config::{ConfigError, check_client_state};
use crate::support::secret::Secret;

/// Graph's v1.0 endpoint, unless `GRAPH_API_URL` points elsewhere (a local stand-in).
pub const DEFAULT_API_URL: &str = "https://graph.microsoft.com/v1.0";

/// The connector's configuration. Its secrets are [`Secret`]s: `Debug` prints none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSettings {
    /// `GRAPH_API_URL`, without a trailing slash. Links Graph hands out are followed only below
    /// it. `https`, or `http` to a loopback host only (a local stand-in).
    pub api_url: String,
    /// `GRAPH_TOKEN_URL`: the OAuth 2.0 token endpoint (default: Entra ID's for `HOME_TENANT_ID`).
    pub token_url: String,
    /// `GRAPH_CLIENT_ID`: the app registration's application (client) id.
    pub client_id: String,
    /// `GRAPH_CLIENT_SECRET`: the app registration's client secret (in AWS read from Secrets
    /// Manager at cold start, `GRAPH_CLIENT_SECRET_ARN`).
    pub client_secret: Secret,
    /// `GRAPH_CLIENT_STATE`: the secret Graph echoes in every notification; a new subscription
    /// is given the current value.
    pub client_state: Secret,
    /// `GRAPH_NOTIFICATION_URL`: the public URL of `POST /graph/notifications`; lifecycle
    /// notifications go to the sibling `/graph/lifecycle`.
    pub notification_url: String,
}

impl GraphSettings {
    /// Reads the settings through `lookup` (the environment, with the secrets read from Secrets
    /// Manager in AWS).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, home_tenant: &str) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        // Our token is sent to these: over TLS, but for a stand-in on this machine.
        let url = |name: &'static str, value: String| match reqwest::Url::parse(&value) {
            Ok(url) if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) => {
                Ok(value.trim_end_matches('/').to_owned())
            }
            _ => Err(ConfigError::Invalid {
                name,
                reason: format!(
                    "`{value}` is not an https URL (http only to this machine: localhost, 127.0.0.1, [::1])"
                ),
            }),
        };
        let client_state = get("GRAPH_CLIENT_STATE").ok_or(ConfigError::Missing("GRAPH_CLIENT_STATE"))?;
        check_client_state(&client_state)?;
        let (client_state, client_secret) = (
            Secret::new(client_state),
            Secret::new(get("GRAPH_CLIENT_SECRET").ok_or(ConfigError::Missing("GRAPH_CLIENT_SECRET"))?),
        );
        Ok(Self {
            api_url: url("GRAPH_API_URL", get("GRAPH_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned()))?,
            token_url: url(
                "GRAPH_TOKEN_URL",
                get("GRAPH_TOKEN_URL")
                    .unwrap_or_else(|| format!("https://login.microsoftonline.com/{home_tenant}/oauth2/v2.0/token")),
            )?,
            client_id: get("GRAPH_CLIENT_ID").ok_or(ConfigError::Missing("GRAPH_CLIENT_ID"))?,
            client_secret,
            client_state,
            notification_url: url(
                "GRAPH_NOTIFICATION_URL",
                get("GRAPH_NOTIFICATION_URL").ok_or(ConfigError::Missing("GRAPH_NOTIFICATION_URL"))?,
            )?,
        })
    }

    /// The URL lifecycle notifications go to: `/graph/lifecycle` beside the notification URL.
    pub fn lifecycle_url(&self) -> String {
        match self.notification_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/lifecycle"),
            None => self.notification_url.clone(),
        }
    }

    /// The OAuth scope of an app-only token for this Graph: `<origin>/.default`.
    pub fn scope(&self) -> String {
        match reqwest::Url::parse(&self.api_url) {
            Ok(url) => format!("{}/.default", url.origin().ascii_serialization()),
            Err(_) => "https://graph.microsoft.com/.default".to_owned(),
        }
    }
}

/// Whether `url`'s host is this machine.
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<GraphSettings, ConfigError> {
        let secret = ("GRAPH_CLIENT_SECRET", "secret");
        GraphSettings::from_lookup(
            |name| vars.iter().chain([&secret]).find(|(k, _)| *k == name).map(|(_, v)| v.to_string()),
            "tenant-1",
        )
    }

    const STATE: (&str, &str) = ("GRAPH_CLIENT_STATE", "0123456789abcdef0123456789abcdef");

    #[test]
    fn defaults_point_at_graph_and_entra() {
        let s = settings(&[
            STATE,
            ("GRAPH_CLIENT_ID", "app"),
            ("GRAPH_NOTIFICATION_URL", "https://api.x/graph/notifications"),
        ])
        .unwrap();
        assert_eq!(s.api_url, DEFAULT_API_URL);
        assert_eq!(s.token_url, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
        assert_eq!(s.scope(), "https://graph.microsoft.com/.default");
        assert_eq!(s.lifecycle_url(), "https://api.x/graph/lifecycle");
        assert!(!format!("{s:?}").contains("0123456789abcdef"), "no secret in Debug");
    }

    #[test]
    fn missing_and_bad_values_are_named() {
        assert_eq!(settings(&[]).unwrap_err(), ConfigError::Missing("GRAPH_CLIENT_STATE"));
        let short = settings(&[("GRAPH_CLIENT_STATE", "short")]).unwrap_err();
        assert!(matches!(short, ConfigError::Invalid { name: "GRAPH_CLIENT_STATE", .. }));
        assert_eq!(settings(&[STATE]).unwrap_err(), ConfigError::Missing("GRAPH_CLIENT_ID"));
        let bad =
            settings(&[STATE, ("GRAPH_CLIENT_ID", "a"), ("GRAPH_NOTIFICATION_URL", "x"), ("GRAPH_API_URL", "ftp://g")]);
        assert!(matches!(bad.unwrap_err(), ConfigError::Invalid { .. }));
    }

    #[test]
    fn our_token_goes_over_http_only_to_this_machine() {
        let with_api = |api: &str| {
            let vars =
                [STATE, ("GRAPH_CLIENT_ID", "a"), ("GRAPH_NOTIFICATION_URL", "https://x/n"), ("GRAPH_API_URL", api)];
            settings(&vars).map(|s| s.api_url)
        };
        for local in
            ["http://127.0.0.1:8080/v1.0", "http://localhost:1/v1.0", "http://[::1]:9/v1.0", "http://127.8.9.1/"]
        {
            assert!(with_api(local).is_ok(), "{local}");
        }
        let remote = [
            "http://graph.microsoft.com/v1.0",
            "http://10.0.0.1/v1.0",
            "http://localhost.evil.example/",
            "http://127.0.0.1.evil.example/",
            "http://localhost@evil.example/",
            "http://[::ffff:10.0.0.1]/",
            "ftp://x/",
        ];
        for remote in remote {
            let error = with_api(remote).unwrap_err();
            assert!(matches!(error, ConfigError::Invalid { name: "GRAPH_API_URL", .. }), "{remote}: {error}");
        }
        let token = [
            STATE,
            ("GRAPH_CLIENT_ID", "a"),
            ("GRAPH_NOTIFICATION_URL", "https://x/n"),
            ("GRAPH_TOKEN_URL", "http://login.example/t"),
        ];
        assert!(matches!(settings(&token).unwrap_err(), ConfigError::Invalid { name: "GRAPH_TOKEN_URL", .. }));
    }
}
