//! A DynamoDB request as IAM sees it: the actions it is authorized as, each on its resource
//! with the partition keys it touches (`dynamodb:LeadingKeys`).
//!
//! `GetItem`, `PutItem`, `UpdateItem`, `DeleteItem`: the item's partition key. `Query`: the
//! partition key value of its key condition (on an index, the index's partition key), through
//! `ExpressionAttributeNames` and `ExpressionAttributeValues`. `BatchGetItem` and
//! `BatchWriteItem` are actions of their own, one access per table with every item's key.
//! `TransactWriteItems` and `TransactGetItems` are authorized per contained action
//! (`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`, `GetItem`), each with its own
//! key. PartiQL is not evaluated (refused with the reason).

use super::IamError;
use super::policy::Access;
use super::template::{Deployment, KeySchema};
use serde_json::Value as Json;

/// The accesses request `operation` (`PutItem`, from `x-amz-target`) with `body` makes.
pub fn accesses(
    operation: &str,
    body: &Json,
    deployment: &Deployment,
    keys: &KeySchema,
) -> Result<Vec<Access>, IamError> {
    let reader = Reader { deployment, keys };
    match operation {
        "GetItem" | "DeleteItem" | "UpdateItem" => reader.item(operation, body, "Key").map(|a| vec![a]),
        "PutItem" => reader.item(operation, body, "Item").map(|a| vec![a]),
        "Query" => reader.query(body).map(|a| vec![a]),
        "BatchGetItem" => reader.batch(operation, body, |request| {
            request["Keys"].as_array().cloned().ok_or_else(|| IamError("BatchGetItem without Keys".to_owned()))
        }),
        "BatchWriteItem" => reader.batch(operation, body, |requests| {
            let requests = requests.as_array().ok_or_else(|| IamError("BatchWriteItem without requests".to_owned()))?;
            requests
                .iter()
                .map(|r| match (&r["PutRequest"]["Item"], &r["DeleteRequest"]["Key"]) {
                    (item @ Json::Object(_), _) | (_, item @ Json::Object(_)) => Ok(item.clone()),
                    _ => Err(IamError(format!("a BatchWriteItem request of neither kind: {r}"))),
                })
                .collect()
        }),
        "TransactWriteItems" | "TransactGetItems" => {
            let items = body["TransactItems"]
                .as_array()
                .ok_or_else(|| IamError(format!("{operation} without TransactItems")))?;
            items
                .iter()
                .map(|entry| {
                    let (kind, action) = [
                        ("Put", "PutItem"),
                        ("Update", "UpdateItem"),
                        ("Delete", "DeleteItem"),
                        ("ConditionCheck", "ConditionCheckItem"),
                        ("Get", "GetItem"),
                    ]
                    .into_iter()
                    .find(|(kind, _)| entry[*kind].is_object())
                    .ok_or_else(|| IamError(format!("a {operation} entry of no known kind: {entry}")))?;
                    let field = if kind == "Put" { "Item" } else { "Key" };
                    reader.item(action, &entry[kind], field)
                })
                .collect()
        }
        "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => {
            Err(IamError(format!("PartiQL ({operation}) is not evaluated")))
        }
        "Scan" => Ok(vec![reader.access(operation, body, Vec::new())?]),
        // Table-level operations (DescribeTable, ...): the table, no keys.
        _ if body["TableName"].is_string() => Ok(vec![reader.access(operation, body, Vec::new())?]),
        _ => Err(IamError(format!("{operation} is not evaluated"))),
    }
}

struct Reader<'a> {
    deployment: &'a Deployment,
    keys: &'a KeySchema,
}

impl Reader<'_> {
    /// The ARN a table name (or ARN) in a request stands for.
    fn table_arn(&self, table: &str) -> String {
        if table.starts_with("arn:") { table.to_owned() } else { self.deployment.table_arn(table) }
    }

    /// `operation` on the table (or index) `body` names, touching `leading_keys`.
    fn access(&self, operation: &str, body: &Json, leading_keys: Vec<String>) -> Result<Access, IamError> {
        let table = body["TableName"].as_str().ok_or_else(|| IamError(format!("{operation} names no table")))?;
        let index = body["IndexName"].as_str().map(str::to_owned);
        let mut resource = self.table_arn(table);
        if let Some(index) = &index {
            resource = format!("{resource}/index/{index}");
        }
        Ok(Access { action: format!("dynamodb:{operation}"), resource, index, leading_keys })
    }

    /// A one-item action whose key is in `body[field]`.
    fn item(&self, operation: &str, body: &Json, field: &str) -> Result<Access, IamError> {
        let key = self.partition_key(&body[field], &self.keys.partition_key)?;
        self.access(operation, body, vec![key])
    }

    /// The value of attribute `name` in an item or key, as `dynamodb:LeadingKeys` holds it.
    fn partition_key(&self, item: &Json, name: &str) -> Result<String, IamError> {
        key_text(&item[name]).ok_or_else(|| IamError(format!("no partition key {name} in {item}")))
    }

    /// One access per table of a batch, with every item's key; `items` lists a table's items.
    fn batch(
        &self,
        operation: &str,
        body: &Json,
        items: impl Fn(&Json) -> Result<Vec<Json>, IamError>,
    ) -> Result<Vec<Access>, IamError> {
        let tables =
            body["RequestItems"].as_object().ok_or_else(|| IamError(format!("{operation} without RequestItems")))?;
        tables
            .iter()
            .map(|(table, request)| {
                let keys: Result<Vec<String>, IamError> =
                    items(request)?.iter().map(|item| self.partition_key(item, &self.keys.partition_key)).collect();
                self.access(operation, &serde_json::json!({ "TableName": table }), keys?)
            })
            .collect()
    }

    /// A query: the partition key value its key condition names.
    fn query(&self, body: &Json) -> Result<Access, IamError> {
        let attribute = match body["IndexName"].as_str() {
            None => &self.keys.partition_key,
            Some(index) => {
                self.keys.indexes.get(index).ok_or_else(|| IamError(format!("the table has no index {index}")))?
            }
        };
        let key = match (&body["KeyConditionExpression"], &body["KeyConditions"]) {
            (Json::String(expression), _) => key_condition_value(expression, body, attribute)?,
            (_, Json::Object(conditions)) => {
                let condition =
                    &conditions.get(attribute).ok_or_else(|| IamError(format!("KeyConditions without {attribute}")))?;
                if condition["ComparisonOperator"] != "EQ" {
                    return Err(IamError(format!("KeyConditions on {attribute} is not EQ")));
                }
                key_text(&condition["AttributeValueList"][0])
                    .ok_or_else(|| IamError(format!("KeyConditions on {attribute} without a value")))?
            }
            _ => return Err(IamError("a Query without a key condition".to_owned())),
        };
        self.access("Query", body, vec![key])
    }
}

/// A key attribute value as text (`S` or `N`; binary keys are not evaluated).
fn key_text(value: &Json) -> Option<String> {
    value["S"].as_str().or(value["N"].as_str()).map(str::to_owned)
}

/// The value `expression` compares partition key `attribute` with (`#pk = :pk`, in any of the
/// forms DynamoDB accepts: either side, parenthesized, beside a sort key condition).
fn key_condition_value(expression: &str, body: &Json, attribute: &str) -> Result<String, IamError> {
    let tokens = tokenize(expression);
    let names = &body["ExpressionAttributeNames"];
    let is_attribute = |token: &str| {
        let name = if token.starts_with('#') { names[token].as_str() } else { Some(token) };
        name == Some(attribute)
    };
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token != "=" || i == 0 || i + 1 >= tokens.len() {
            continue;
        }
        let (left, right) = (&tokens[i - 1], &tokens[i + 1]);
        let placeholder = match (is_attribute(left), is_attribute(right)) {
            (true, false) if right.starts_with(':') => right,
            (false, true) if left.starts_with(':') => left,
            _ => continue,
        };
        let value = key_text(&body["ExpressionAttributeValues"][placeholder.as_str()])
            .ok_or_else(|| IamError(format!("key condition value {placeholder} is not given")))?;
        found.push(value);
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(IamError(format!("the key condition {expression:?} names no single value of {attribute}"))),
    }
}

/// Names, placeholders, operators and parentheses of an expression.
fn tokenize(expression: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = expression.chars().peekable();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => flush(&mut current, &mut tokens),
            '(' | ')' | ',' => {
                flush(&mut current, &mut tokens);
                tokens.push(c.to_string());
            }
            '=' | '<' | '>' => {
                flush(&mut current, &mut tokens);
                let mut operator = c.to_string();
                if let Some(&next) = chars.peek()
                    && (next == '=' || (c == '<' && next == '>'))
                {
                    operator.push(next);
                    chars.next();
                }
                tokens.push(operator);
            }
            c => current.push(c),
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn keys() -> KeySchema {
        KeySchema {
            partition_key: "PK".to_owned(),
            indexes: BTreeMap::from([("GSI1".to_owned(), "GSI1PK".to_owned())]),
        }
    }

    fn read(operation: &str, body: Json) -> Vec<(String, String, Vec<String>)> {
        accesses(operation, &body, &Deployment::local("t"), &keys())
            .unwrap()
            .into_iter()
            .map(|a| (a.action, a.resource.rsplit(":table/").next().unwrap().to_owned(), a.leading_keys))
            .collect()
    }

    fn one(action: &str, resource: &str, keys: &[&str]) -> (String, String, Vec<String>) {
        (format!("dynamodb:{action}"), resource.to_owned(), keys.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn item_actions_touch_their_items_partition() {
        let key = json!({ "PK": { "S": "CALL#c" }, "SK": { "S": "#HEADER" } });
        assert_eq!(read("GetItem", json!({ "TableName": "t", "Key": key })), [one("GetItem", "t", &["CALL#c"])]);
        assert_eq!(read("PutItem", json!({ "TableName": "t", "Item": key })), [one("PutItem", "t", &["CALL#c"])]);
        assert_eq!(read("DeleteItem", json!({ "TableName": "t", "Key": key })), [one("DeleteItem", "t", &["CALL#c"])]);
    }

    #[test]
    fn a_query_touches_the_partition_of_its_key_condition() {
        let body = json!({ "TableName": "t", "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": { "#pk": "PK", "#sk": "SK" },
            "ExpressionAttributeValues": { ":pk": { "S": "USER#u" }, ":low": { "S": "a" }, ":high": { "S": "b" } } });
        assert_eq!(read("Query", body), [one("Query", "t", &["USER#u"])]);
        let index = json!({ "TableName": "t", "IndexName": "GSI1", "KeyConditionExpression": "(:v = GSI1PK) and begins_with(GSI1SK, :s)",
            "ExpressionAttributeValues": { ":v": { "S": "HIST#u" }, ":s": { "S": "2026" } } });
        assert_eq!(read("Query", index), [one("Query", "t/index/GSI1", &["HIST#u"])]);
        let legacy = json!({ "TableName": "t", "KeyConditions": { "PK": { "ComparisonOperator": "EQ", "AttributeValueList": [{ "S": "USERS" }] } } });
        assert_eq!(read("Query", legacy), [one("Query", "t", &["USERS"])]);
        let sort_only = json!({ "TableName": "t", "KeyConditionExpression": "#sk = :v",
            "ExpressionAttributeNames": { "#sk": "SK" }, "ExpressionAttributeValues": { ":v": { "S": "x" } } });
        assert!(accesses("Query", &sort_only, &Deployment::local("t"), &keys()).is_err());
    }

    #[test]
    fn batches_are_actions_of_their_own_and_transactions_are_not() {
        let key = |pk: &str| json!({ "PK": { "S": pk }, "SK": { "S": "x" } });
        let write = json!({ "RequestItems": { "t": [
            { "PutRequest": { "Item": key("CALL#a") } }, { "DeleteRequest": { "Key": key("USERS") } } ] } });
        assert_eq!(read("BatchWriteItem", write), [one("BatchWriteItem", "t", &["CALL#a", "USERS"])]);
        let get = json!({ "RequestItems": { "t": { "Keys": [key("ERASED#a"), key("ERASED#b")] } } });
        assert_eq!(read("BatchGetItem", get), [one("BatchGetItem", "t", &["ERASED#a", "ERASED#b"])]);
        let transaction = json!({ "TransactItems": [
            { "Put": { "TableName": "t", "Item": key("ESC#1") } },
            { "Update": { "TableName": "t", "Key": key("ESCBY#p") } },
            { "ConditionCheck": { "TableName": "t", "Key": key("CALL#c") } },
            { "Delete": { "TableName": "t", "Key": key("ESCFOR#u") } } ] });
        assert_eq!(
            read("TransactWriteItems", transaction),
            [
                one("PutItem", "t", &["ESC#1"]),
                one("UpdateItem", "t", &["ESCBY#p"]),
                one("ConditionCheckItem", "t", &["CALL#c"]),
                one("DeleteItem", "t", &["ESCFOR#u"]),
            ]
        );
        let reads = json!({ "TransactItems": [{ "Get": { "TableName": "t", "Key": key("CALL#c") } }] });
        assert_eq!(read("TransactGetItems", reads), [one("GetItem", "t", &["CALL#c"])]);
        assert!(
            accesses("ExecuteStatement", &json!({ "Statement": "SELECT" }), &Deployment::local("t"), &keys()).is_err()
        );
    }
}
