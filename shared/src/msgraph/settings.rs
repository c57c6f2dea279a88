//! Where Graph is and who we are to it, read and checked at cold start.

use crate::support::config::{ConfigError, check_client_state};

/// Graph's v1.0 endpoint, unless `GRAPH_API_URL` points elsewhere (a local stand-in).
pub const DEFAULT_API_URL: &str = "https://graph.microsoft.com/v1.0";

/// The connector's configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphSettings {
    /// `GRAPH_API_URL`, without a trailing slash. Links Graph hands out are followed only below it.
    pub api_url: String,
    /// `GRAPH_TOKEN_URL`: the OAuth 2.0 token endpoint (default: Entra ID's for `HOME_TENANT_ID`).
    pub token_url: String,
    /// `GRAPH_CLIENT_ID`: the app registration's application (client) id.
    pub client_id: String,
    /// The client secret: `GRAPH_CLIENT_SECRET` locally; in AWS read from Secrets Manager at cold
    /// start (`GRAPH_CLIENT_SECRET_ARN`) by the function's `main`.
    pub client_secret: String,
    /// `GRAPH_CLIENT_STATE`: the secret Graph echoes in every notification.
    pub client_state: String,
    /// `GRAPH_NOTIFICATION_URL`: the public URL of `POST /graph/notifications`; lifecycle
    /// notifications go to the sibling `/graph/lifecycle`.
    pub notification_url: String,
}

impl std::fmt::Debug for GraphSettings {
    /// Secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphSettings")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("notification_url", &self.notification_url)
            .finish_non_exhaustive()
    }
}

impl GraphSettings {
    /// Reads the settings through `lookup`; `client_secret` comes from the caller (the
    /// environment locally, Secrets Manager in AWS).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        home_tenant: &str,
        client_secret: String,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let url = |name: &'static str, value: String| match reqwest::Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "https" | "http") => Ok(value.trim_end_matches('/').to_owned()),
            _ => Err(ConfigError::Invalid { name, reason: format!("`{value}` is not an http(s) URL") }),
        };
        let client_state = get("GRAPH_CLIENT_STATE").ok_or(ConfigError::Missing("GRAPH_CLIENT_STATE"))?;
        check_client_state(&client_state)?;
        if client_secret.trim().is_empty() {
            return Err(ConfigError::Missing("GRAPH_CLIENT_SECRET"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<GraphSettings, ConfigError> {
        GraphSettings::from_lookup(
            |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()),
            "tenant-1",
            "secret".into(),
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
}
