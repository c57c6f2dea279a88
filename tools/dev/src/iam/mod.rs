//! IAM for the local runs: every DynamoDB request a function makes, checked against that
//! function's policy statements in `infra/template.yaml` as IAM evaluates them. moto evaluates
//! no IAM at all, so without this a request the deployed role refuses (a `BatchWriteItem` no
//! statement grants) passes every local test and fails only in AWS.
//!
//! A request is attributed to a function by the SDK's app name in its user agent
//! (`app/<name>`): each function's store sets it to its binary's name, which is the last part of
//! the function's `CodeUri`. Requests without a function's name (the tests' own, the local
//! tools') are not a function's and are not checked. The same [`Check`] serves the integration
//! tests (an HTTP client layer in `tests/iam.rs`) and the local stack ([`proxy`], in front of
//! moto); a refused request is answered `400 AccessDeniedException`, as AWS answers it.

mod intrinsics;
pub mod policy;
pub mod proxy;
pub mod report;
pub mod request;
pub mod template;

use policy::{Access, Decision, decide};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use template::{Deployment, Function, KeySchema, Template};

/// Something the check cannot read or does not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError(pub String);

impl std::fmt::Display for IamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IamError {}

/// The template's functions and what they may do, for one deployment.
#[derive(Debug, Clone)]
pub struct Check {
    deployment: Deployment,
    keys: KeySchema,
    /// By name (`ingest`).
    functions: BTreeMap<String, Function>,
}

/// The `x-amz-target` prefix of DynamoDB's own API (the streams API has another).
const DYNAMODB_TARGET: &str = "DynamoDB_20120810.";

impl Check {
    /// The check of `template`'s functions, deployed as `deployment` says.
    pub fn new(template: &Template, deployment: Deployment) -> Result<Self, IamError> {
        let keys = template.key_schema()?;
        let functions = template.functions(&deployment)?.into_iter().map(|f| (f.name.clone(), f)).collect();
        Ok(Self { deployment, keys, functions })
    }

    /// The names of the template's functions.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// The function named `name`, if the template has one.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.get(name)
    }

    /// Decides one DynamoDB request (`x-amz-target` and JSON body) made by `function`; `None`
    /// when it is not a function's request to DynamoDB (no function of that name, or another
    /// API), which is not checked.
    pub fn request(&self, function: Option<&str>, target: &str, body: &[u8]) -> Option<Verdict> {
        let function = self.functions.get(function?)?;
        let operation = target.strip_prefix(DYNAMODB_TARGET)?;
        let decided = serde_json::from_slice(body)
            .map_err(|e| IamError(format!("the body is not JSON: {e}")))
            .and_then(|body| request::accesses(operation, &body, &self.deployment, &self.keys))
            .map(|accesses| {
                accesses.into_iter().map(|access| (decide(&function.statements, &access), access)).collect()
            });
        Some(Verdict {
            function: function.name.clone(),
            logical_id: function.logical_id.clone(),
            operation: operation.to_owned(),
            decided,
        })
    }
}

/// How one request was decided.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The function's name and logical id.
    pub function: String,
    pub logical_id: String,
    /// The DynamoDB operation (`BatchWriteItem`).
    pub operation: String,
    /// Every access of the request with its decision; an error if the request could not be read.
    pub decided: Result<Vec<(Decision, Access)>, IamError>,
}

/// A partition key as a refusal names it: its literal prefix (`CALL#…`), never the id.
pub fn key_prefix(key: &str) -> String {
    match key.split_once('#') {
        Some((prefix, _)) => format!("{prefix}#…"),
        None => key.to_owned(),
    }
}

/// The distinct prefixes of `keys`, comma-separated.
fn prefixes(keys: &[String]) -> String {
    let set: BTreeSet<String> = keys.iter().map(|k| key_prefix(k)).collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}

impl Verdict {
    /// Whether IAM allows the whole request (a batch or transaction fails as a whole).
    pub fn is_allowed(&self) -> bool {
        self.decided.as_ref().is_ok_and(|d| d.iter().all(|(decision, _)| decision.is_allowed()))
    }

    /// Why the request is refused, one line per refused access: the function, the action and
    /// the key prefixes (`ingest may not dynamodb:BatchWriteItem on CALL#… (no statement of
    /// IngestFunction allows it)`).
    pub fn refusals(&self) -> Vec<String> {
        let decided = match &self.decided {
            Ok(decided) => decided,
            Err(error) => {
                return vec![format!(
                    "{} may not {}: the request could not be checked ({error})",
                    self.function, self.operation
                )];
            }
        };
        decided
            .iter()
            .filter(|(decision, _)| !decision.is_allowed())
            .map(|(decision, access)| {
                let on = match &access.index {
                    Some(index) => format!("index {index}, {}", prefixes(&access.leading_keys)),
                    None if access.leading_keys.is_empty() => "the table".to_owned(),
                    None => prefixes(&access.leading_keys),
                };
                let why = match decision {
                    Decision::NotAllowed => format!("no statement of {} allows it", self.logical_id),
                    Decision::Denied { statement } => format!("denied by {statement}"),
                    Decision::Unevaluable(reason) => reason.clone(),
                    Decision::Allowed { .. } => unreachable!("filtered out"),
                };
                format!("{} may not {} on {on} ({why})", self.function, access.action)
            })
            .collect()
    }

    /// The answer AWS gives a refused request: `400` and this body.
    pub fn access_denied_body(&self) -> String {
        let (action, resource) = match &self.decided {
            Ok(decided) => decided
                .iter()
                .find(|(decision, _)| !decision.is_allowed())
                .map(|(_, access)| (access.action.clone(), access.resource.clone()))
                .unwrap_or_default(),
            Err(_) => (format!("dynamodb:{}", self.operation), "*".to_owned()),
        };
        let message = format!(
            "User: arn:aws:sts::123456789012:assumed-role/{}Role/{} is not authorized to perform: {action} on \
             resource: {resource} because no identity-based policy allows the {action} action",
            self.logical_id, self.function
        );
        json!({ "__type": "com.amazon.coral.service#AccessDeniedException", "Message": message }).to_string()
    }

    /// One JSON line per access, for [`report`]: who, what, which prefixes, and what allowed it.
    pub fn log_lines(&self) -> Vec<String> {
        let refusals = self.refusals();
        let Ok(decided) = &self.decided else {
            return vec![
                json!({ "function": self.function, "operation": self.operation, "refused": refusals[0] }).to_string(),
            ];
        };
        decided
            .iter()
            .map(|(decision, access)| {
                let keys: BTreeSet<String> = access.leading_keys.iter().map(|k| key_prefix(k)).collect();
                let mut line = json!({
                    "function": self.function,
                    "operation": self.operation,
                    "action": access.action,
                    "index": access.index,
                    "keys": keys,
                });
                match decision {
                    Decision::Allowed(by) => {
                        let by: Vec<_> = by
                            .iter()
                            .map(|a| json!({ "statement": a.statement, "matched": a.matched.iter().collect::<BTreeSet<_>>() }))
                            .collect();
                        line["allowedBy"] = json!(by);
                    }
                    _ => line["refused"] = json!(refusals.iter().find(|r| r.contains(&access.action))),
                }
                line.to_string()
            })
            .collect()
    }
}

/// The function a request's user agent names (`app/<name>`), if any.
pub fn app_name(user_agent: &str) -> Option<&str> {
    user_agent.split_whitespace().find_map(|part| part.strip_prefix("app/"))
}

/// The check of the repository's template (`infra/template.yaml`, from the working directory).
pub fn repository_check(table_name: &str) -> Result<Check, IamError> {
    let template = Template::load(std::path::Path::new(TEMPLATE))?;
    Check::new(&template, Deployment::local(table_name))
}

/// The template, from the repository's root.
pub const TEMPLATE: &str = "infra/template.yaml";
