//! Configuration from environment variables, read and checked once at cold start. Secret
//! settings are [`Secret`]s (never printed); in AWS their values come from Secrets Manager
//! (`super::secrets_manager`), locally from the variables themselves.

use super::secret::{Rotating, Secret};
use crate::domain::access::RoleNames;
use crate::domain::classify::Thresholds;
use crate::domain::phone::sip::SipCauses;

/// Everything a function needs from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `TABLE_NAME`: the one DynamoDB table (required).
    pub table_name: String,
    /// `ROLE_CLAIM`, `ROLE_ADMIN`, `ROLE_SUPPORT_ENGINEER`, `ROLE_SUPPORT_SPECIALIST`, `ROLE_INGEST`.
    pub roles: RoleNames,
    /// `MAX_BODY_BYTES`: largest request body accepted (default 5 MiB).
    pub max_body_bytes: usize,
    /// `HOME_TENANT_ID` (required): the organization the helpdesk serves. Its users are
    /// "internal", and only they have a history and are in the directory.
    pub home_tenant_id: String,
    /// `CLASSIFY_THRESHOLDS`: a JSON thresholds table replacing the defaults (optional).
    pub thresholds: Thresholds,
    /// `SIP_CAUSES`: entries added to or put over the failed phone calls' cause table (JSON,
    /// optional; `docs/thresholds.md`).
    pub sip_causes: SipCauses,
    /// `CURSOR_KEY` (and `CURSOR_KEY_PREVIOUS` after a rotation): the secret that signs page
    /// cursors (the query function requires it).
    pub cursor_key: Option<Rotating>,
    /// `SITES_REFRESH_SECONDS`: how often a warm function re-checks the active building and
    /// endpoint files (default 60).
    pub sites_refresh: time::Duration,
    /// `ERASURE_BUDGET_SECONDS`: how long `DELETE /users/{id}` erases inside the request before
    /// it hands the rest over to run asynchronously and answers `202` (default 20, under the
    /// ingest function's 30-second timeout).
    pub erasure_budget: std::time::Duration,
    /// `CONSOLE_OIDC_ISSUER`, `CONSOLE_OIDC_CLIENT_ID`, `CONSOLE_OIDC_SCOPE`: how the web console
    /// signs in. Without an issuer, with the local gateway's dev tokens.
    pub console_sign_in: ConsoleSignIn,
    /// `GRAPH_CLIENT_STATE` (and `GRAPH_CLIENT_STATE_PREVIOUS` after a rotation): the secret
    /// Graph echoes in every notification of our subscription (the webhook requires it).
    pub graph_client_state: Option<Rotating>,
}

/// How the web console gets its bearer token; served to it as `/console/config.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "signIn", rename_all = "camelCase")]
pub enum ConsoleSignIn {
    /// The local gateway's role picker (`GET /dev/token?role=`); never in AWS.
    Dev,
    /// OpenID Connect authorization code flow with PKCE against `issuer`, as public client
    /// `client_id`.
    #[serde(rename_all = "camelCase")]
    Oidc { issuer: String, client_id: String, scope: String },
}

/// A missing or malformed environment variable, named so the operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Default cap on request bodies.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Shortest accepted `CURSOR_KEY`: a guessable key would let clients forge cursors.
pub const MIN_CURSOR_KEY_LEN: usize = 32;

/// Shortest accepted `GRAPH_CLIENT_STATE` (Graph allows at most 128 characters).
pub const MIN_CLIENT_STATE_LEN: usize = 32;
pub const MAX_CLIENT_STATE_LEN: usize = 128;

/// Checks a `GRAPH_CLIENT_STATE` value: long enough not to be guessed, short enough for Graph.
pub fn check_client_state(value: &str) -> Result<(), ConfigError> {
    if (MIN_CLIENT_STATE_LEN..=MAX_CLIENT_STATE_LEN).contains(&value.chars().count()) {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            name: "GRAPH_CLIENT_STATE",
            reason: format!("must be {MIN_CLIENT_STATE_LEN} to {MAX_CLIENT_STATE_LEN} characters"),
        })
    }
}

/// Checks a `CURSOR_KEY` value: long enough not to be guessed.
fn check_cursor_key(value: &str) -> Result<(), ConfigError> {
    if value.len() >= MIN_CURSOR_KEY_LEN {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            name: "CURSOR_KEY",
            reason: format!("must be at least {MIN_CURSOR_KEY_LEN} characters"),
        })
    }
}

impl Config {
    /// The Graph client states (current, and previous during a rotation), for the function that
    /// takes Graph's notifications; each value checked.
    pub fn require_graph_client_state(&self) -> Result<&Rotating, ConfigError> {
        let states = self.graph_client_state.as_ref().ok_or(ConfigError::Missing("GRAPH_CLIENT_STATE"))?;
        states.accepted().into_iter().try_for_each(check_client_state)?;
        Ok(states)
    }

    /// The cursor keys (current, and previous during a rotation), for functions that page.
    pub fn require_cursor_key(&self) -> Result<&Rotating, ConfigError> {
        let keys = self.cursor_key.as_ref().ok_or(ConfigError::Missing("CURSOR_KEY"))?;
        keys.accepted().into_iter().try_for_each(check_cursor_key)?;
        Ok(keys)
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let defaults = RoleNames::default();
        // API Gateway hands an array claim over as `[a b]`: a role name must be one such word.
        let role_name = |name: &'static str, default: String| match get(name) {
            None => Ok(default),
            Some(value) if RoleNames::is_single_token(&value) => Ok(value),
            Some(value) => Err(ConfigError::Invalid {
                name,
                reason: format!(
                    "`{value}` is not a single word: a role name may not contain spaces, commas, brackets or quotes"
                ),
            }),
        };
        // A secret setting, and its previous value after a rotation (`<NAME>_PREVIOUS`).
        let rotating = |name: &str| {
            get(name).map(|current| Rotating {
                current: Secret::new(current),
                previous: get(&format!("{name}_PREVIOUS")).map(Secret::new),
            })
        };
        let max_body_bytes = match get("MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(raw) => raw.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
                name: "MAX_BODY_BYTES",
                reason: format!("`{raw}` is not a positive number of bytes"),
            })?,
        };
        Ok(Self {
            table_name: get("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?,
            roles: RoleNames {
                claim: get("ROLE_CLAIM").unwrap_or(defaults.claim),
                admin: role_name("ROLE_ADMIN", defaults.admin)?,
                support_engineer: role_name("ROLE_SUPPORT_ENGINEER", defaults.support_engineer)?,
                support_specialist: role_name("ROLE_SUPPORT_SPECIALIST", defaults.support_specialist)?,
                ingest: role_name("ROLE_INGEST", defaults.ingest)?,
            },
            max_body_bytes,
            home_tenant_id: get("HOME_TENANT_ID").ok_or(ConfigError::Missing("HOME_TENANT_ID"))?,
            cursor_key: rotating("CURSOR_KEY"),
            sites_refresh: match get("SITES_REFRESH_SECONDS") {
                None => time::Duration::seconds(60),
                Some(raw) => {
                    raw.parse::<u32>().map(|s| time::Duration::seconds(s.into())).map_err(|_| ConfigError::Invalid {
                        name: "SITES_REFRESH_SECONDS",
                        reason: format!("`{raw}` is not a whole number of seconds"),
                    })?
                }
            },
            erasure_budget: match get("ERASURE_BUDGET_SECONDS") {
                None => std::time::Duration::from_secs(20),
                Some(raw) => {
                    raw.parse::<u64>().map(std::time::Duration::from_secs).map_err(|_| ConfigError::Invalid {
                        name: "ERASURE_BUDGET_SECONDS",
                        reason: format!("`{raw}` is not a whole number of seconds"),
                    })?
                }
            },
            console_sign_in: match (get("CONSOLE_OIDC_ISSUER"), get("CONSOLE_OIDC_CLIENT_ID")) {
                (None, _) => ConsoleSignIn::Dev,
                (Some(_), None) => return Err(ConfigError::Missing("CONSOLE_OIDC_CLIENT_ID")),
                (Some(issuer), Some(client_id)) => ConsoleSignIn::Oidc {
                    issuer: issuer.trim_end_matches('/').to_owned(),
                    client_id,
                    scope: get("CONSOLE_OIDC_SCOPE").unwrap_or_else(|| "openid profile".to_owned()),
                },
            },
            graph_client_state: rotating("GRAPH_CLIENT_STATE"),
            thresholds: match get("CLASSIFY_THRESHOLDS") {
                None => Thresholds::default(),
                Some(json) => Thresholds::from_json(&json)
                    .map_err(|e| ConfigError::Invalid { name: "CLASSIFY_THRESHOLDS", reason: e.to_string() })?,
            },
            sip_causes: match get("SIP_CAUSES") {
                None => SipCauses::default(),
                Some(json) => SipCauses::from_json(&json)
                    .map_err(|e| ConfigError::Invalid { name: "SIP_CAUSES", reason: e.to_string() })?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let home = ("HOME_TENANT_ID", "home-tenant");
        Config::from_lookup(|name| vars.iter().chain([&home]).find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn role_names_must_be_single_words() {
        for bad in ["admin assistants", "a,b", "[admin]", "\"admin\""] {
            let error = config(&[("TABLE_NAME", "t"), ("ROLE_ADMIN", bad)]).unwrap_err();
            assert!(matches!(error, ConfigError::Invalid { name: "ROLE_ADMIN", .. }), "{bad}: {error}");
            assert!(error.to_string().contains("single word"));
        }
        let c = config(&[("TABLE_NAME", "t"), ("ROLE_SUPPORT_ENGINEER", "cs.tier-2_engineers")]).unwrap();
        assert_eq!(c.roles.support_engineer, "cs.tier-2_engineers");
    }

    #[test]
    fn table_name_is_required() {
        assert_eq!(config(&[]), Err(ConfigError::Missing("TABLE_NAME")));
        assert_eq!(config(&[("TABLE_NAME", "  ")]), Err(ConfigError::Missing("TABLE_NAME")));
    }

    #[test]
    fn defaults_and_overrides() {
        let c = config(&[("TABLE_NAME", "t")]).unwrap();
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(c.roles, RoleNames::default());
        let c = config(&[("TABLE_NAME", "t"), ("ROLE_CLAIM", "groups"), ("MAX_BODY_BYTES", "1024")]).unwrap();
        assert_eq!((c.roles.claim.as_str(), c.max_body_bytes), ("groups", 1024));
    }

    #[test]
    fn the_sip_causes_can_be_extended_and_are_validated() {
        let json = r#"{"510403": {"plain": "Not allowed.", "explanation": "510403: no licence."}}"#;
        let c = config(&[("TABLE_NAME", "t"), ("SIP_CAUSES", json)]).unwrap();
        assert_eq!(c.sip_causes.cause(Some(403), Some(510403)).plain, "Not allowed.");
        let err = config(&[("TABLE_NAME", "t"), ("SIP_CAUSES", r#"{"4041": {}}"#)]).unwrap_err();
        assert!(err.to_string().contains("SIP_CAUSES"), "{err}");
    }

    #[test]
    fn thresholds_can_be_overridden_and_are_validated() {
        let table = Thresholds { min_packet_utilization: 100, ..Thresholds::default() };
        let json = serde_json::to_string(&table).unwrap();
        assert_eq!(config(&[("TABLE_NAME", "t"), ("CLASSIFY_THRESHOLDS", &json)]).unwrap().thresholds, table);
        let err = config(&[("TABLE_NAME", "t"), ("CLASSIFY_THRESHOLDS", "{}")]).unwrap_err();
        assert!(err.to_string().contains("CLASSIFY_THRESHOLDS"), "{err}");
    }

    #[test]
    fn the_home_tenant_is_required() {
        let only_table = Config::from_lookup(|name| (name == "TABLE_NAME").then(|| "t".to_owned()));
        assert_eq!(only_table, Err(ConfigError::Missing("HOME_TENANT_ID")));
        assert_eq!(config(&[("TABLE_NAME", "t")]).unwrap().home_tenant_id, "home-tenant");
    }

    #[test]
    fn query_settings_are_required_where_needed() {
        let c = config(&[("TABLE_NAME", "t")]).unwrap();
        assert_eq!(c.require_cursor_key(), Err(ConfigError::Missing("CURSOR_KEY")));
        let c = config(&[("TABLE_NAME", "t"), ("CURSOR_KEY", "short")]).unwrap();
        assert!(matches!(c.require_cursor_key(), Err(ConfigError::Invalid { name: "CURSOR_KEY", .. })));
        let long = "k".repeat(MIN_CURSOR_KEY_LEN);
        let c = config(&[("TABLE_NAME", "t"), ("CURSOR_KEY", &long), ("CURSOR_KEY_PREVIOUS", "short")]).unwrap();
        assert!(matches!(c.require_cursor_key(), Err(ConfigError::Invalid { name: "CURSOR_KEY", .. })), "both checked");
    }

    #[test]
    fn a_rotated_secret_is_accepted_in_both_values_and_printed_in_neither() {
        let (now, before) = ("n".repeat(MIN_CLIENT_STATE_LEN), "b".repeat(MIN_CLIENT_STATE_LEN));
        let vars =
            [("TABLE_NAME", "t"), ("GRAPH_CLIENT_STATE", now.as_str()), ("GRAPH_CLIENT_STATE_PREVIOUS", &before)];
        let c = config(&vars).unwrap();
        assert_eq!(c.require_graph_client_state().unwrap().accepted(), [now.as_str(), before.as_str()]);
        let printed = format!("{c:?}");
        assert!(!printed.contains(&now) && !printed.contains(&before), "{printed}");
        let c = config(&[("TABLE_NAME", "t"), ("GRAPH_CLIENT_STATE", &now), ("GRAPH_CLIENT_STATE_PREVIOUS", "short")]);
        assert!(matches!(c.unwrap().require_graph_client_state(), Err(ConfigError::Invalid { .. })));
    }

    #[test]
    fn the_console_signs_in_with_oidc_only_when_fully_configured() {
        assert_eq!(config(&[("TABLE_NAME", "t")]).unwrap().console_sign_in, ConsoleSignIn::Dev);
        let issuer = ("CONSOLE_OIDC_ISSUER", "https://login.example.com/tenant/v2.0/");
        assert_eq!(config(&[("TABLE_NAME", "t"), issuer]), Err(ConfigError::Missing("CONSOLE_OIDC_CLIENT_ID")));
        let c = config(&[("TABLE_NAME", "t"), issuer, ("CONSOLE_OIDC_CLIENT_ID", "spa")]).unwrap();
        assert_eq!(
            serde_json::to_value(&c.console_sign_in).unwrap(),
            serde_json::json!({ "signIn": "oidc", "issuer": "https://login.example.com/tenant/v2.0", "clientId": "spa", "scope": "openid profile" })
        );
    }

    #[test]
    fn a_bad_number_is_named() {
        let err = config(&[("TABLE_NAME", "t"), ("MAX_BODY_BYTES", "lots")]).unwrap_err();
        assert!(err.to_string().contains("MAX_BODY_BYTES"), "{err}");
    }
}
