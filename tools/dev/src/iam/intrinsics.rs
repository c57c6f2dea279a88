//! CloudFormation's intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!If` and the
//! condition functions), resolved for one deployment: what a statement of `infra/template.yaml`
//! grants once deployed. Whatever it does not implement fails loudly.

use super::IamError;
use super::policy::{Statement, could_match_prefix};
use super::template::{Deployment, Template};
use serde_json::Value as Json;
use serde_norway::Value;
use std::collections::HashSet;

/// Resolves CloudFormation intrinsics for one deployment.
pub(super) struct Resolver<'a> {
    pub(super) template: &'a Template,
    pub(super) deployment: &'a Deployment,
    /// The logical id of the table.
    pub(super) table: &'a str,
}

impl Resolver<'_> {
    /// `value` with the `!If`s around it decided; `None` for `AWS::NoValue`.
    pub(super) fn choose(&self, value: &Value) -> Result<Option<Value>, IamError> {
        let (name, argument) = match value {
            Value::Tagged(tagged) => (tagged.tag.to_string(), &tagged.value),
            Value::Mapping(map) if map.len() == 1 => {
                let (key, argument) = map.iter().next().expect("one entry");
                (key.as_str().unwrap_or_default().replace("Fn::", "!"), argument)
            }
            _ => return Ok(Some(value.clone())),
        };
        match (name.as_str(), argument.as_sequence()) {
            ("!If", Some(items)) if items.len() == 3 => {
                let condition = items[0].as_str().ok_or_else(|| IamError("!If names no condition".to_owned()))?;
                self.choose(if self.condition(condition, &mut HashSet::new())? { &items[1] } else { &items[2] })
            }
            ("!Ref", _) if argument.as_str() == Some("AWS::NoValue") => Ok(None),
            _ => Ok(Some(value.clone())),
        }
    }

    /// The statements of `function`'s policy `policy` that can apply to a DynamoDB action, each
    /// resolved (statements that cannot are not resolved at all).
    pub(super) fn statements(&self, function: &str, policy: &Value) -> Result<Vec<Statement>, IamError> {
        let document = match policy {
            Value::Mapping(map) if map.contains_key("Statement") => &policy["Statement"],
            Value::String(name) => {
                return Err(IamError(format!("{function}: managed policy {name} is not evaluated; write it inline")));
            }
            other => {
                return Err(IamError(format!("{function}: policy {other:?} is not evaluated; write it inline")));
            }
        };
        let raw = match document {
            Value::Sequence(list) => list.clone(),
            one => vec![one.clone()],
        };
        let mut kept = Vec::new();
        for (n, statement) in raw.iter().enumerate() {
            let Some(statement) = self.choose(statement)? else { continue };
            let in_function = |e: IamError| IamError(format!("{function}: {e}"));
            let actions = match self.resolve(&statement["Action"]).map_err(in_function)? {
                Some(Json::String(one)) => vec![Json::String(one)],
                Some(Json::Array(many)) => many,
                _ => Vec::new(),
            };
            let dynamodb = actions.iter().any(|a| a.as_str().is_some_and(|a| could_match_prefix(a, "dynamodb:")));
            if dynamodb || !statement["NotAction"].is_null() {
                let resolved = self.resolve(&statement).map_err(in_function)?.unwrap_or_default();
                kept.push(Statement::parse(function, n, &resolved)?);
            }
        }
        Ok(kept)
    }

    /// `value` with every intrinsic resolved; `None` for `AWS::NoValue`.
    fn resolve(&self, value: &Value) -> Result<Option<Json>, IamError> {
        Ok(Some(match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::String(n.to_string()),
            Value::String(s) => Json::String(s.clone()),
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.resolve(item)?);
                }
                Json::Array(out)
            }
            Value::Mapping(map) => {
                if map.len() == 1
                    && let Some((Value::String(key), argument)) = map.iter().next()
                    && (key == "Ref" || key.starts_with("Fn::"))
                {
                    return self.intrinsic(key.trim_start_matches("Fn::"), argument);
                }
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    let key =
                        key.as_str().ok_or_else(|| IamError(format!("a mapping key that is not text: {key:?}")))?;
                    if let Some(item) = self.resolve(item)? {
                        out.insert(key.to_owned(), item);
                    }
                }
                Json::Object(out)
            }
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                return self.intrinsic(tag.trim_start_matches('!'), &tagged.value);
            }
        }))
    }

    fn text(&self, value: &Value) -> Result<String, IamError> {
        match self.resolve(value)? {
            Some(Json::String(s)) => Ok(s),
            other => Err(IamError(format!("expected text, got {other:?}"))),
        }
    }

    fn intrinsic(&self, name: &str, argument: &Value) -> Result<Option<Json>, IamError> {
        let list = |n: usize| match argument.as_sequence() {
            Some(items) if items.len() == n => Ok(items),
            _ => Err(IamError(format!("!{name} takes {n} arguments: {argument:?}"))),
        };
        match name {
            "Ref" => self.reference(argument.as_str().ok_or_else(|| IamError("!Ref of a non-name".to_owned()))?),
            "GetAtt" => {
                let (id, attribute) = match argument {
                    Value::String(dotted) => dotted
                        .split_once('.')
                        .map(|(a, b)| (a.to_owned(), b.to_owned()))
                        .ok_or_else(|| IamError(format!("!GetAtt {dotted}: no attribute")))?,
                    _ => {
                        let items = list(2)?;
                        (self.text(&items[0])?, self.text(&items[1])?)
                    }
                };
                self.attribute(&id, &attribute).map(|s| Some(Json::String(s)))
            }
            "Sub" => {
                let (text, variables) = match argument {
                    Value::String(text) => (text.clone(), serde_json::Map::new()),
                    _ => {
                        let items = list(2)?;
                        match self.resolve(&items[1])? {
                            Some(Json::Object(vars)) => (self.text(&items[0])?, vars),
                            _ => return Err(IamError("!Sub's variables are not a mapping".to_owned())),
                        }
                    }
                };
                self.substitute(&text, &variables).map(|s| Some(Json::String(s)))
            }
            "Join" => {
                let items = list(2)?;
                let delimiter = self.text(&items[0])?;
                let parts = match self.resolve(&items[1])? {
                    Some(Json::Array(parts)) => parts,
                    _ => return Err(IamError("!Join of a non-list".to_owned())),
                };
                let parts: Result<Vec<String>, IamError> = parts
                    .into_iter()
                    .map(|p| match p {
                        Json::String(s) => Ok(s),
                        other => Err(IamError(format!("!Join of {other}"))),
                    })
                    .collect();
                Ok(Some(Json::String(parts?.join(&delimiter))))
            }
            "If" => {
                let items = list(3)?;
                let condition = items[0].as_str().ok_or_else(|| IamError("!If names no condition".to_owned()))?;
                let chosen = if self.condition(condition, &mut HashSet::new())? { &items[1] } else { &items[2] };
                self.resolve(chosen)
            }
            "Equals" | "Not" | "And" | "Or" | "Condition" => {
                let tagged = serde_norway::value::TaggedValue {
                    tag: serde_norway::value::Tag::new(name),
                    value: argument.clone(),
                };
                Ok(Some(Json::Bool(self.truth(&Value::Tagged(Box::new(tagged)), &mut HashSet::new())?)))
            }
            other => Err(IamError(format!("!{other} is not resolved"))),
        }
    }

    /// `!Ref name`.
    fn reference(&self, name: &str) -> Result<Option<Json>, IamError> {
        let d = self.deployment;
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::Region" => Some(d.region.clone()),
            "AWS::AccountId" => Some(d.account.clone()),
            "AWS::Partition" => Some(d.partition.clone()),
            "AWS::URLSuffix" => Some("amazonaws.com".to_owned()),
            _ => None,
        };
        if let Some(value) = pseudo {
            return Ok(Some(Json::String(value)));
        }
        if name == self.table {
            return Ok(Some(Json::String(d.table_name.clone())));
        }
        let parameter = &self.template.root["Parameters"][name];
        if !parameter.is_null() {
            let value = match d.parameters.get(name) {
                Some(value) => value.clone(),
                None => match &parameter["Default"] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(IamError(format!("parameter {name} has no default and no value"))),
                },
            };
            return Ok(Some(Json::String(value)));
        }
        Err(IamError(format!("!Ref {name} is not resolved")))
    }

    /// `!GetAtt id.attribute`.
    fn attribute(&self, id: &str, attribute: &str) -> Result<String, IamError> {
        let table_arn = self.deployment.table_arn(&self.deployment.table_name);
        match (id == self.table, attribute) {
            (true, "Arn") => Ok(table_arn),
            (true, "StreamArn") => Ok(format!("{table_arn}/stream/{}", self.deployment.stream_label)),
            _ => Err(IamError(format!(
                "!GetAtt {id}.{attribute} ({}) is not resolved",
                self.template.resource_type(id).unwrap_or("no such resource")
            ))),
        }
    }

    /// `!Sub text`, with `variables` before the template's names.
    fn substitute(&self, text: &str, variables: &serde_json::Map<String, Json>) -> Result<String, IamError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| IamError(format!("!Sub {text:?}: an unclosed ${{")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.get(name) {
                out.push_str(value.as_str().ok_or_else(|| IamError(format!("!Sub variable {name} is not text")))?);
            } else if let Some((id, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(id, attribute)?);
            } else {
                match self.reference(name)? {
                    Some(Json::String(value)) => out.push_str(&value),
                    _ => return Err(IamError(format!("!Sub {text:?}: ${{{name}}} is not text"))),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The template's condition `name`.
    fn condition(&self, name: &str, seen: &mut HashSet<String>) -> Result<bool, IamError> {
        if !seen.insert(name.to_owned()) {
            return Err(IamError(format!("condition {name} refers to itself")));
        }
        let definition = &self.template.root["Conditions"][name];
        if definition.is_null() {
            return Err(IamError(format!("no condition {name}")));
        }
        let truth = self.truth(definition, seen);
        seen.remove(name);
        truth
    }

    /// A condition function's value.
    fn truth(&self, value: &Value, seen: &mut HashSet<String>) -> Result<bool, IamError> {
        let (name, argument) = match value {
            Value::Tagged(tagged) => (tagged.tag.to_string().trim_start_matches('!').to_owned(), &tagged.value),
            Value::Mapping(map) if map.len() == 1 => {
                let (key, argument) = map.iter().next().expect("one entry");
                (key.as_str().unwrap_or_default().trim_start_matches("Fn::").to_owned(), argument)
            }
            Value::Bool(b) => return Ok(*b),
            Value::String(s) if s == "true" || s == "false" => return Ok(s == "true"),
            other => return Err(IamError(format!("not a condition: {other:?}"))),
        };
        let items = argument.as_sequence();
        match (name.as_str(), items) {
            ("Equals", Some(items)) if items.len() == 2 => Ok(self.resolve(&items[0])? == self.resolve(&items[1])?),
            ("Not", Some(items)) if items.len() == 1 => Ok(!self.truth(&items[0], seen)?),
            ("And", Some(items)) => {
                items.iter().try_fold(true, |all, item| Ok::<_, IamError>(all && self.truth(item, seen)?))
            }
            ("Or", Some(items)) => {
                items.iter().try_fold(false, |any, item| Ok::<_, IamError>(any || self.truth(item, seen)?))
            }
            ("Condition", None) => self.condition(argument.as_str().unwrap_or_default(), seen),
            _ => Err(IamError(format!("condition function {name} is not evaluated"))),
        }
    }
}
