//! IAM's evaluation of identity-based policy statements, for the DynamoDB requests a function
//! makes: an explicit `Deny` that applies wins; otherwise the request is allowed only if some
//! `Allow` applies. A statement applies when one of its actions matches (`*` and `?` wildcards,
//! case-insensitive), one of its resources matches (the same wildcards, segment by segment of
//! the ARN) and every clause of its condition holds.
//!
//! Conditions: `ForAllValues:StringLike` and `ForAllValues:StringEquals` on
//! `dynamodb:LeadingKeys`, exactly as IAM defines them (every partition key of the request
//! matches one of the values; over no keys at all, true). Any other operator or key, a policy
//! variable, or a `dynamodb:LeadingKeys` condition on a query of an index makes the statement
//! unevaluable: the request is then refused with the reason, never allowed by a guess.

use super::IamError;
use serde_json::Value as Json;

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One condition clause.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    /// `ForAllValues:StringLike` (`like`) or `ForAllValues:StringEquals` on `dynamodb:LeadingKeys`.
    LeadingKeys { like: bool, values: Vec<String> },
    /// Anything else, with what it is.
    Unevaluable(String),
}

/// One statement, its resources resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `<function>/<Sid>`, or `<function>/#<n>` without a Sid.
    pub id: String,
    pub effect: Effect,
    actions: Vec<String>,
    resources: Vec<String>,
    clauses: Vec<Clause>,
}

/// What a statement is asked about: one action on one resource, with the partition keys it
/// touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `dynamodb:PutItem`.
    pub action: String,
    /// The table's ARN, or `<table ARN>/index/<name>` for an index.
    pub resource: String,
    /// The index, when the request reads one.
    pub index: Option<String>,
    /// Every partition key value the request touches (`dynamodb:LeadingKeys`).
    pub leading_keys: Vec<String>,
}

/// One `Allow` statement that applies to an access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The statement's id (`<function or policy>/<Sid>`).
    pub statement: String,
    /// For each leading key, the condition value it matched (empty without a condition).
    pub matched: Vec<String>,
}

/// How IAM decides an access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed: every `Allow` statement that applies, in template order (one is enough; all
    /// are kept, so that a run shows every right it used, whichever statement grants it).
    Allowed(Vec<Allowance>),
    /// An explicit `Deny` applies.
    Denied { statement: String },
    /// No `Allow` applies.
    NotAllowed,
    /// A statement that might apply cannot be evaluated.
    Unevaluable(String),
}

impl Decision {
    /// Whether the access is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

fn strings(value: &Json, what: &str, id: &str) -> Result<Vec<String>, IamError> {
    match value {
        Json::String(one) => Ok(vec![one.clone()]),
        Json::Array(many) => many
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| IamError(format!("{id}: {what} holds {v}"))))
            .collect(),
        other => Err(IamError(format!("{id}: {what} is {other}"))),
    }
}

impl Statement {
    /// Reads statement `n` of `function`'s policy (intrinsics already resolved).
    pub fn parse(function: &str, n: usize, statement: &Json) -> Result<Self, IamError> {
        let id = match statement["Sid"].as_str() {
            Some(sid) => format!("{function}/{sid}"),
            None => format!("{function}/#{n}"),
        };
        for unsupported in ["NotAction", "NotResource", "Principal", "NotPrincipal"] {
            if !statement[unsupported].is_null() {
                return Err(IamError(format!("{id}: {unsupported} is not evaluated")));
            }
        }
        let effect = match statement["Effect"].as_str() {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => return Err(IamError(format!("{id}: Effect {other:?}"))),
        };
        let actions = strings(&statement["Action"], "Action", &id)?;
        let resources = strings(&statement["Resource"], "Resource", &id)?;
        if let Some(odd) = resources.iter().find(|r| *r != "*" && r.splitn(6, ':').count() != 6) {
            return Err(IamError(format!("{id}: resource {odd:?} is neither * nor an ARN")));
        }
        let mut clauses = Vec::new();
        match &statement["Condition"] {
            Json::Null => {}
            Json::Object(operators) => {
                for (operator, keys) in operators {
                    let Json::Object(keys) = keys else {
                        return Err(IamError(format!("{id}: condition {operator} is not a mapping")));
                    };
                    for (key, values) in keys {
                        clauses.push(clause(operator, key, strings(values, "a condition value", &id)?));
                    }
                }
            }
            other => return Err(IamError(format!("{id}: Condition is {other}"))),
        }
        Ok(Self { id, effect, actions, resources, clauses })
    }

    /// The action patterns.
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// The resource patterns.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The `dynamodb:LeadingKeys` values of the statement's condition (none without one).
    pub fn leading_keys(&self) -> Vec<&str> {
        self.clauses
            .iter()
            .flat_map(|c| match c {
                Clause::LeadingKeys { values, .. } => values.iter().map(String::as_str).collect(),
                Clause::Unevaluable(_) => Vec::new(),
            })
            .collect()
    }

    fn matches_action(&self, action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        self.actions.iter().any(|pattern| glob(&pattern.to_ascii_lowercase(), &action))
    }

    fn matches_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|pattern| arn_matches(pattern, resource))
    }

    /// Whether every clause holds for `access`; for each leading key, the value it matched.
    fn condition(&self, access: &Access) -> Result<Option<Vec<String>>, String> {
        let mut matched = Vec::new();
        for clause in &self.clauses {
            match clause {
                Clause::Unevaluable(what) => return Err(format!("{}: {what} is not evaluated", self.id)),
                Clause::LeadingKeys { .. } if access.index.is_some() => {
                    return Err(format!(
                        "{}: a dynamodb:LeadingKeys condition on a query of index {} is not evaluated (give index \
                         queries a statement of their own, without it)",
                        self.id,
                        access.index.as_deref().unwrap_or_default()
                    ));
                }
                Clause::LeadingKeys { like, values } => {
                    // ForAllValues: every key matches some value; true over no keys at all.
                    for key in &access.leading_keys {
                        let hit = values.iter().find(|v| if *like { glob(v, key) } else { *v == key });
                        match hit {
                            Some(value) => matched.push(value.clone()),
                            None => return Ok(None),
                        }
                    }
                }
            }
        }
        Ok(Some(matched))
    }
}

/// The clause `operator: { key: values }`.
fn clause(operator: &str, key: &str, values: Vec<String>) -> Clause {
    let like = match operator {
        "ForAllValues:StringLike" => true,
        "ForAllValues:StringEquals" => false,
        _ => return Clause::Unevaluable(format!("condition operator {operator}")),
    };
    if !key.eq_ignore_ascii_case("dynamodb:LeadingKeys") {
        return Clause::Unevaluable(format!("condition key {key}"));
    }
    if let Some(variable) = values.iter().find(|v| v.contains("${")) {
        return Clause::Unevaluable(format!("the policy variable in {variable:?}"));
    }
    Clause::LeadingKeys { like, values }
}

/// Decides `access` against `statements` as IAM does.
pub fn decide(statements: &[Statement], access: &Access) -> Decision {
    let mut allowed = Vec::new();
    for statement in statements {
        if !statement.matches_action(&access.action) || !statement.matches_resource(&access.resource) {
            continue;
        }
        match statement.condition(access) {
            Err(reason) => return Decision::Unevaluable(reason),
            Ok(None) => {}
            Ok(Some(matched)) => match statement.effect {
                Effect::Deny => return Decision::Denied { statement: statement.id.clone() },
                Effect::Allow => allowed.push(Allowance { statement: statement.id.clone(), matched }),
            },
        }
    }
    if allowed.is_empty() { Decision::NotAllowed } else { Decision::Allowed(allowed) }
}

/// IAM's wildcard match: `*` any run of characters (none included), `?` exactly one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether some text that starts with `prefix` matches `pattern` (case-insensitive): which
/// statements can apply to a service's actions at all.
pub fn could_match_prefix(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    // The pattern positions reachable after reading the prefix so far.
    let mut states = vec![0usize];
    let close = |states: &mut Vec<usize>| {
        let mut i = 0;
        while i < states.len() {
            let s = states[i];
            if s < p.len() && p[s] == '*' && !states.contains(&(s + 1)) {
                states.push(s + 1);
            }
            i += 1;
        }
    };
    close(&mut states);
    for c in prefix.to_ascii_lowercase().chars() {
        let mut next = Vec::new();
        for &s in &states {
            if s < p.len() && p[s] == '*' && !next.contains(&s) {
                next.push(s);
            }
            if s < p.len() && (p[s] == '?' || p[s] == c) && !next.contains(&(s + 1)) {
                next.push(s + 1);
            }
        }
        close(&mut next);
        states = next;
        if states.is_empty() {
            return false;
        }
    }
    true
}

/// Whether ARN `arn` matches `pattern` (`*`, or an ARN: [`Statement::parse`] refuses anything
/// else): the six `:`-separated parts match one by one, so a wildcard does not reach across a
/// `:`; in the last part, the resource, it reaches across `/`.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let pattern_parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    pattern_parts.len() == arn_parts.len() && pattern_parts.iter().zip(&arn_parts).all(|(p, a)| glob(p, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/t";

    fn statement(value: Json) -> Statement {
        Statement::parse("F", 0, &value).unwrap()
    }

    fn access(action: &str, keys: &[&str]) -> Access {
        Access {
            action: format!("dynamodb:{action}"),
            resource: TABLE.to_owned(),
            index: None,
            leading_keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn on_prefixes(actions: &[&str], keys: &[&str]) -> Statement {
        statement(json!({ "Effect": "Allow", "Action": actions, "Resource": TABLE,
            "Condition": { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": keys } } }))
    }

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob("CALL#*", "CALL#"));
        assert!(glob("CALL#*", "CALL#abc#def"));
        assert!(!glob("CALL#*", "CALL"));
        assert!(glob("AUDIT#*#refused", "AUDIT#2026-11-25#refused"));
        assert!(!glob("AUDIT#*#refused", "AUDIT#2026-11-25#3"));
        assert!(glob("USER?", "USERS"));
        assert!(!glob("USER?", "USER"));
        assert!(glob("*", ""));
        assert!(!glob("USERS", "users"), "condition values are case-sensitive");
        assert!(arn_matches("arn:aws:dynamodb:*:*:table/t", TABLE));
        assert!(!arn_matches(TABLE, &format!("{TABLE}/index/GSI1")), "a table grants nothing on its indexes");
        assert!(arn_matches(&format!("{TABLE}/*"), &format!("{TABLE}/index/GSI1")));
        assert!(arn_matches("arn:aws:dynamodb:us-east-1:*:*", TABLE));
        assert!(!arn_matches("arn:aws:dynamodb:eu-west-1:*:*", TABLE));
        assert!(could_match_prefix("dynamodb:PutItem", "dynamodb:"));
        assert!(could_match_prefix("*", "dynamodb:"));
        assert!(could_match_prefix("Dynamo*", "dynamodb:"));
        assert!(!could_match_prefix("sqs:SendMessage", "dynamodb:"));
        assert!(!could_match_prefix("secretsmanager:GetSecretValue", "dynamodb:"));
    }

    #[test]
    fn every_key_of_the_request_must_match_a_value() {
        let allow = [on_prefixes(&["dynamodb:BatchWriteItem"], &["CALL#*", "USERS"])];
        assert!(decide(&allow, &access("BatchWriteItem", &["CALL#a", "USERS", "CALL#b"])).is_allowed());
        assert_eq!(decide(&allow, &access("BatchWriteItem", &["CALL#a", "USER#x"])), Decision::NotAllowed);
        assert_eq!(decide(&allow, &access("PutItem", &["CALL#a"])), Decision::NotAllowed, "an action of its own");
        assert_eq!(
            decide(&allow, &access("BatchWriteItem", &["CALL#a", "USERS"])),
            Decision::Allowed(vec![Allowance {
                statement: "F/#0".to_owned(),
                matched: vec!["CALL#*".to_owned(), "USERS".to_owned()]
            }])
        );
        // ForAllValues over no keys at all holds: a key-less request (a Scan) passes the condition.
        let scan = [on_prefixes(&["dynamodb:Scan"], &["CALL#*"])];
        assert!(decide(&scan, &access("Scan", &[])).is_allowed());
        let exact = [statement(json!({ "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
            "Condition": { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["CALL#*"] } } }))];
        assert!(!decide(&exact, &access("GetItem", &["CALL#a"])).is_allowed(), "StringEquals has no wildcards");
        assert!(decide(&exact, &access("GetItem", &["CALL#*"])).is_allowed());
    }

    #[test]
    fn an_explicit_deny_wins_and_actions_ignore_case() {
        let statements = [
            on_prefixes(&["dynamodb:*"], &["*"]),
            statement(json!({ "Effect": "Deny", "Action": "DynamoDB:DeleteItem", "Resource": "*",
                "Condition": { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } } })),
        ];
        assert!(decide(&statements, &access("deleteitem", &["CALL#a"])).is_allowed());
        assert_eq!(
            decide(&statements, &access("DeleteItem", &["AUDIT#x"])),
            Decision::Denied { statement: "F/#0".to_owned() }
        );
    }

    #[test]
    fn what_is_not_implemented_refuses_instead_of_allowing() {
        let odd = [statement(json!({ "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
            "Condition": { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["CALL#*"] } } }))];
        assert!(matches!(decide(&odd, &access("GetItem", &["CALL#a"])), Decision::Unevaluable(_)));
        let key = [statement(json!({ "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
            "Condition": { "ForAllValues:StringLike": { "dynamodb:Attributes": ["a"] } } }))];
        assert!(matches!(decide(&key, &access("GetItem", &["CALL#a"])), Decision::Unevaluable(_)));
        let variable = [on_prefixes(&["dynamodb:GetItem"], &["${aws:userid}"])];
        assert!(matches!(decide(&variable, &access("GetItem", &["x"])), Decision::Unevaluable(_)));
        // A statement that does not apply is not evaluated at all.
        assert_eq!(decide(&odd, &access("PutItem", &["CALL#a"])), Decision::NotAllowed);
        let index = Access {
            resource: format!("{TABLE}/index/GSI1"),
            index: Some("GSI1".to_owned()),
            ..access("Query", &["HIST#u"])
        };
        let keyed =
            [statement(json!({ "Effect": "Allow", "Action": "dynamodb:Query", "Resource": format!("{TABLE}/*"),
            "Condition": { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["HIST#*"] } } }))];
        assert!(matches!(decide(&keyed, &index), Decision::Unevaluable(_)), "LeadingKeys on an index is not guessed");
        let plain = [statement(
            json!({ "Effect": "Allow", "Action": "dynamodb:Query", "Resource": format!("{TABLE}/index/GSI1") }),
        )];
        assert!(decide(&plain, &index).is_allowed());
        assert!(Statement::parse("F", 0, &json!({ "Effect": "Allow", "NotAction": "x", "Resource": "*" })).is_err());
        let short = json!({ "Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*" });
        assert!(Statement::parse("F", 0, &short).is_err(), "a resource that is not an ARN is not guessed at");
    }
}
