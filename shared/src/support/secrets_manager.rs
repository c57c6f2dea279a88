//! Secret settings in AWS come from Secrets Manager, not from the environment: `<NAME>_ARN`
//! names the secret, and its value is read once, at cold start, into `<NAME>` — for a setting
//! that rotates ([`ROTATING`]), its previous value too, into `<NAME>_PREVIOUS`, while the
//! secret still has one (the `AWSPREVIOUS` stage). Anyone allowed `lambda:GetFunctionConfiguration`
//! reads environment variables; only the function's own role may read these secrets.
//!
//! Locally (and in tests) the settings themselves are set as before, and nothing is read:
//! a variable that is set wins over its `_ARN`.

use super::config::{Config, ConfigError};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use std::collections::HashMap;

/// The settings whose previous value stays accepted after a rotation: what was issued with it
/// (a subscription's notifications, a page cursor) keeps working until it ages out.
pub const ROTATING: &[&str] = &["GRAPH_CLIENT_STATE", "CURSOR_KEY"];

/// The stage Secrets Manager gives a secret's value before the current one.
const PREVIOUS_STAGE: &str = "AWSPREVIOUS";

/// The process environment, with the secret settings `names` read from Secrets Manager where
/// only their `_ARN` is set. Call it once, at cold start.
pub struct Environment {
    variables: HashMap<String, String>,
    resolved: HashMap<String, String>,
}

impl Environment {
    /// Reads the process environment, and the secrets it names for `names`.
    pub async fn load(names: &[&'static str]) -> Result<Self, ConfigError> {
        let variables: HashMap<String, String> = std::env::vars().collect();
        let lookup = |name: &str| variables.get(name).cloned();
        let resolved = if names.iter().any(|name| secret_arn(&lookup, name).is_some()) {
            let client = Client::new(&aws_config::load_from_env().await);
            resolve(&client, &lookup, names).await?
        } else {
            HashMap::new()
        };
        Ok(Self { variables, resolved })
    }

    /// A variable's value: set in the environment, or read from its secret.
    pub fn get(&self, name: &str) -> Option<String> {
        self.variables.get(name).filter(|v| !v.trim().is_empty()).or_else(|| self.resolved.get(name)).cloned()
    }
}

/// The function's configuration at cold start: the environment, with the secret settings
/// `secrets` read from Secrets Manager where only their `_ARN` is set.
pub async fn load_config(secrets: &[&'static str]) -> Result<Config, ConfigError> {
    let environment = Environment::load(secrets).await?;
    Config::from_lookup(|name| environment.get(name))
}

/// The `_ARN` of setting `name` when the setting itself is not set: where it must be read from.
fn secret_arn(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let set = |variable: &str| lookup(variable).filter(|v| !v.trim().is_empty());
    match set(name) {
        Some(_) => None,
        None => set(&format!("{name}_ARN")),
    }
}

/// Reads, with `client`, the secret of each of `names` that `lookup` gives only an `_ARN` for:
/// its current value as `<NAME>`, and for a [`ROTATING`] setting its previous one (if any) as
/// `<NAME>_PREVIOUS`. One request per value; a secret that cannot be read is a configuration
/// error naming the setting.
pub async fn resolve(
    client: &Client,
    lookup: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Result<HashMap<String, String>, ConfigError> {
    let mut resolved = HashMap::new();
    for &name in names {
        let Some(arn) = secret_arn(lookup, name) else { continue };
        let current = read(client, &arn, None, name).await?;
        resolved.insert(name.to_owned(), current.ok_or_else(|| unreadable(name, "it has no current value"))?);
        if ROTATING.contains(&name)
            && let Some(previous) = read(client, &arn, Some(PREVIOUS_STAGE), name).await?
        {
            resolved.insert(format!("{name}_PREVIOUS"), previous);
        }
    }
    Ok(resolved)
}

/// The secret's string value in `stage` (its current one by default); `None` when the secret
/// has no value in that stage.
async fn read(
    client: &Client,
    arn: &str,
    stage: Option<&str>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match client.get_secret_value().secret_id(arn).set_version_stage(stage.map(str::to_owned)).send().await {
        Ok(answer) => answer
            .secret_string()
            .map(|value| Some(value.to_owned()))
            .ok_or_else(|| unreadable(name, "it holds no string")),
        Err(error)
            if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) && stage.is_some() =>
        {
            Ok(None)
        }
        Err(error) => Err(unreadable(name, &DisplayErrorContext(error).to_string())),
    }
}

fn unreadable(name: &'static str, why: &str) -> ConfigError {
    ConfigError::Invalid { name, reason: format!("its secret ({name}_ARN) could not be read: {why}") }
}
