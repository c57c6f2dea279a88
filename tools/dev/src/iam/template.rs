//! What `infra/template.yaml` grants: every `AWS::Serverless::Function`, known by the name its
//! `CodeUri` gives it (`../target/lambda/<name>/`), with the statements of its inline policies
//! that can apply to a DynamoDB action, their CloudFormation intrinsics (`!GetAtt`, `!Sub`,
//! `!Ref`, `!If`, `!Join` and the condition functions) resolved for one deployment (`intrinsics`); and the
//! table's key schema, which says what a request's partition keys are.
//!
//! A function's policies are its inline policy documents and the template's own
//! `AWS::IAM::ManagedPolicy` resources it attaches by `!Ref` (one code path that several
//! functions run, say, granted once). Whatever it does not implement fails loudly: an AWS
//! managed policy, a SAM policy template, a function with a `Role` of its own or a permissions
//! boundary, other IAM resources, a managed policy that attaches itself to roles, or an intrinsic
//! it cannot resolve in a statement that could apply to DynamoDB.

use super::IamError;
use super::intrinsics::Resolver;
use super::policy::Statement;
use serde_norway::Value;
use std::collections::BTreeMap;

/// Where the template is deployed: what its intrinsics resolve to. Region and account are
/// moto's, so ARNs compare with the ones the local server hands out.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub partition: String,
    pub region: String,
    pub account: String,
    /// The physical name of the template's table (its `TABLE_NAME`).
    pub table_name: String,
    /// The label of the table's stream in its ARN (`.../stream/<label>`).
    pub stream_label: String,
    /// Values that replace the parameters' defaults.
    pub parameters: BTreeMap<String, String>,
}

impl Deployment {
    /// The deployment the local server stands for, with `table_name` as the template's table.
    pub fn local(table_name: &str) -> Self {
        Self {
            partition: "aws".to_owned(),
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            table_name: table_name.to_owned(),
            stream_label: "local".to_owned(),
            parameters: BTreeMap::new(),
        }
    }

    /// The ARN of the table named `name`.
    pub fn table_arn(&self, name: &str) -> String {
        format!("arn:{}:dynamodb:{}:{}:table/{name}", self.partition, self.region, self.account)
    }
}

/// The partition key attribute of the table and of each of its indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub partition_key: String,
    /// Index name → its partition key attribute.
    pub indexes: BTreeMap<String, String>,
}

/// One function of the template.
#[derive(Debug, Clone)]
pub struct Function {
    /// The template's logical id (`IngestFunction`).
    pub logical_id: String,
    /// Its binary, the last part of its `CodeUri` (`ingest`): the name it gives the SDK.
    pub name: String,
    /// Its statements that can apply to a DynamoDB action, in template order.
    pub statements: Vec<Statement>,
}

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pub(super) root: Value,
}

impl Template {
    /// Parses a SAM template (YAML with CloudFormation's short tags).
    pub fn parse(text: &str) -> Result<Self, IamError> {
        let root: Value =
            serde_norway::from_str(text).map_err(|e| IamError(format!("the template is not YAML: {e}")))?;
        let template = Self { root };
        template.refuse_unimplemented()?;
        Ok(template)
    }

    /// Reads and parses the template at `path`.
    pub fn load(path: &std::path::Path) -> Result<Self, IamError> {
        let text = std::fs::read_to_string(path).map_err(|e| IamError(format!("{}: {e}", path.display())))?;
        Self::parse(&text)
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root["Resources"].as_mapping().into_iter().flatten().filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    pub(super) fn resource_type(&self, logical_id: &str) -> Option<&str> {
        self.root["Resources"][logical_id]["Type"].as_str()
    }

    /// Everything that could grant rights beside the functions' own inline policies.
    fn refuse_unimplemented(&self) -> Result<(), IamError> {
        for (id, resource) in self.resources() {
            let kind = resource["Type"].as_str().unwrap_or_default();
            if kind == "AWS::IAM::ManagedPolicy" {
                // Attached only through a function's Policies (`!Ref`), never by itself.
                for attaches in ["Roles", "Users", "Groups"] {
                    if !resource["Properties"][attaches].is_null() {
                        return Err(IamError(format!(
                            "{id}.{attaches} is not evaluated: attach it in a function's Policies"
                        )));
                    }
                }
            } else if kind.starts_with("AWS::IAM::") || kind == "AWS::Lambda::Function" {
                return Err(IamError(format!(
                    "{id} ({kind}) is not evaluated: grant rights through a function's Policies"
                )));
            }
        }
        let globals = &self.root["Globals"]["Function"];
        for property in ["Policies", "Role", "PermissionsBoundary"] {
            if !globals[property].is_null() {
                return Err(IamError(format!("Globals.Function.{property} is not evaluated")));
            }
        }
        Ok(())
    }

    /// The table's key schema (the template's one `AWS::DynamoDB::Table`).
    pub fn key_schema(&self) -> Result<KeySchema, IamError> {
        let table = self.table_id()?;
        let properties = &self.root["Resources"][table]["Properties"];
        let hash_key = |schema: &Value| {
            schema.as_sequence().into_iter().flatten().find(|k| k["KeyType"].as_str() == Some("HASH"))?["AttributeName"]
                .as_str()
                .map(str::to_owned)
        };
        let partition_key =
            hash_key(&properties["KeySchema"]).ok_or_else(|| IamError(format!("{table} has no HASH key")))?;
        let mut indexes = BTreeMap::new();
        for index in properties["GlobalSecondaryIndexes"].as_sequence().into_iter().flatten() {
            let name = index["IndexName"].as_str().ok_or_else(|| IamError("an index without a name".to_owned()))?;
            let key = hash_key(&index["KeySchema"]).ok_or_else(|| IamError(format!("index {name} has no HASH key")))?;
            indexes.insert(name.to_owned(), key);
        }
        for index in properties["LocalSecondaryIndexes"].as_sequence().into_iter().flatten() {
            let name = index["IndexName"].as_str().ok_or_else(|| IamError("an index without a name".to_owned()))?;
            indexes.insert(name.to_owned(), partition_key.clone());
        }
        Ok(KeySchema { partition_key, indexes })
    }

    fn table_id(&self) -> Result<&str, IamError> {
        let tables: Vec<&str> = self
            .resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
            .map(|(id, _)| id)
            .collect();
        match tables.as_slice() {
            [one] => Ok(one),
            _ => Err(IamError(format!("one AWS::DynamoDB::Table is evaluated, the template has {}", tables.len()))),
        }
    }

    /// Every function's name, in template order: what a request is attributed to.
    pub fn function_names(&self) -> Result<Vec<(String, String)>, IamError> {
        self.resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .map(|(id, resource)| Ok((id.to_owned(), function_name(id, resource)?)))
            .collect()
    }

    /// Every function with its DynamoDB statements resolved for `deployment`.
    pub fn functions(&self, deployment: &Deployment) -> Result<Vec<Function>, IamError> {
        let resolver = Resolver { template: self, deployment, table: self.table_id()? };
        let mut functions: Vec<Function> = Vec::new();
        for (id, name) in self.function_names()? {
            if functions.iter().any(|f| f.name == name) {
                return Err(IamError(format!("two functions are named {name} by their CodeUri")));
            }
            let properties = &self.root["Resources"][id.as_str()]["Properties"];
            for property in ["Role", "PermissionsBoundary"] {
                if !properties[property].is_null() {
                    return Err(IamError(format!("{id}.{property} is not evaluated")));
                }
            }
            let mut statements = Vec::new();
            let policies = match &properties["Policies"] {
                Value::Null => Vec::new(),
                Value::Sequence(list) => list.clone(),
                one => vec![one.clone()],
            };
            for policy in &policies {
                let Some(policy) = resolver.choose(policy).map_err(|e| IamError(format!("{id}: {e}")))? else {
                    continue;
                };
                match self.managed_policy(&policy) {
                    Some((name, document)) => statements.extend(resolver.statements(name, document)?),
                    None => statements.extend(resolver.statements(&id, &policy)?),
                }
            }
            functions.push(Function { logical_id: id, name, statements });
        }
        Ok(functions)
    }
}

impl Template {
    /// The template's `AWS::IAM::ManagedPolicy` that `policy` refers to (`!Ref Name`): its name
    /// and policy document.
    fn managed_policy<'a>(&'a self, policy: &Value) -> Option<(&'a str, &'a Value)> {
        let name = match policy {
            Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str()?,
            Value::Mapping(map) if map.len() == 1 => map.get("Ref")?.as_str()?,
            _ => return None,
        };
        let (id, resource) = self.resources().find(|(id, _)| *id == name)?;
        (resource["Type"].as_str() == Some("AWS::IAM::ManagedPolicy"))
            .then(|| (id, &resource["Properties"]["PolicyDocument"]))
    }
}

/// A function's name: the last part of its `CodeUri`.
fn function_name(id: &str, resource: &Value) -> Result<String, IamError> {
    let uri = resource["Properties"]["CodeUri"]
        .as_str()
        .ok_or_else(|| IamError(format!("{id} has no CodeUri path: its requests could not be attributed")))?;
    uri.split('/')
        .rfind(|part| !part.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| IamError(format!("{id}'s CodeUri {uri:?} names no directory")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> Template {
        Template::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml")).unwrap()
    }

    /// A template with one table and one function whose policies are `policies` (YAML).
    fn with_policies(policies: &str) -> Template {
        let text = format!(
            "Parameters:\n  Protect: {{ Type: String, Default: \"true\" }}\n  Key: {{ Type: String }}\n\
             Conditions:\n  Protected: !Equals [!Ref Protect, \"true\"]\n  Open: !Not [!Condition Protected]\n\
             Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n\
             \x20     KeySchema: [{{ AttributeName: PK, KeyType: HASH }}, {{ AttributeName: SK, KeyType: RANGE }}]\n\
             \x20     GlobalSecondaryIndexes:\n        - IndexName: GSI1\n\
             \x20         KeySchema: [{{ AttributeName: GSI1PK, KeyType: HASH }}]\n\
             \x20 Queue: {{ Type: AWS::SQS::Queue }}\n\
             \x20 Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ../target/lambda/fn/\n\
             \x20     Policies:\n{policies}"
        );
        Template::parse(&text).unwrap()
    }

    fn resources(template: &Template, deployment: &Deployment) -> Result<Vec<Vec<String>>, IamError> {
        let functions = template.functions(deployment)?;
        Ok(functions[0].statements.iter().map(|s| s.resources().to_vec()).collect())
    }

    #[test]
    fn the_repository_template_names_every_function_by_its_code() {
        let template = repository();
        let names: Vec<String> = template.function_names().unwrap().into_iter().map(|(_, name)| name).collect();
        for name in ["ingest", "webhook", "graph-worker", "classify", "query"] {
            assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
        }
        let functions = template.functions(&Deployment::local("t")).unwrap();
        let table = "arn:aws:dynamodb:us-east-1:123456789012:table/t";
        for function in &functions {
            for statement in &function.statements {
                for resource in statement.resources() {
                    assert!(resource.starts_with(table), "{} grants {resource}", statement.id);
                }
            }
        }
        let keys = template.key_schema().unwrap();
        assert_eq!(keys.partition_key, "PK");
        assert_eq!(keys.indexes.get("GSI1").map(String::as_str), Some("GSI1PK"));
    }

    #[test]
    fn intrinsics_resolve_for_the_deployment() {
        let template = with_policies(
            "        - Statement:\n\
             \x20           - { Effect: Allow, Action: dynamodb:Query, Resource: !Sub \"${Table.Arn}/index/GSI1\" }\n\
             \x20           - { Effect: Allow, Action: [dynamodb:GetItem], Resource: [!GetAtt Table.Arn, !GetAtt [Table, StreamArn]] }\n\
             \x20           - { Effect: Allow, Action: dynamodb:PutItem, Resource: !Join [\"\", [\"arn:aws:dynamodb:\", !Ref \"AWS::Region\", \":*:table/\", !Ref Table]] }\n\
             \x20           - { Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn }\n\
             \x20       - !If\n          - Protected\n\
             \x20         - Statement: [{ Effect: Deny, Action: \"dynamodb:Delete*\", Resource: \"*\" }]\n\
             \x20         - !Ref AWS::NoValue\n\
             \x20       - !Ref Shared\n\
             \x20 Shared:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n\
             \x20       Statement: [{ Sid: One, Effect: Allow, Action: dynamodb:DeleteItem, Resource: !GetAtt Table.Arn }]\n",
        );
        let deployment = Deployment::local("t");
        let table = "arn:aws:dynamodb:us-east-1:123456789012:table/t";
        assert_eq!(
            resources(&template, &deployment).unwrap(),
            [
                vec![format!("{table}/index/GSI1")],
                vec![table.to_owned(), format!("{table}/stream/local")],
                vec!["arn:aws:dynamodb:us-east-1:*:table/t".to_owned()],
                vec!["*".to_owned()],
                vec![table.to_owned()],
            ],
            "the SQS statement is not DynamoDB's and is left out unresolved; the Deny is in while Protected; the \
             template's managed policy is the function's"
        );
        let functions = template.functions(&deployment).unwrap();
        assert_eq!(functions[0].statements.last().unwrap().id, "Shared/One");
        let mut open = deployment.clone();
        open.parameters.insert("Protect".to_owned(), "false".to_owned());
        assert_eq!(resources(&template, &open).unwrap().len(), 4, "the Deny is gone with the parameter");
    }

    #[test]
    fn what_is_not_implemented_fails_loudly() {
        let deployment = Deployment::local("t");
        let unresolved = with_policies(
            "        - Statement: [{ Effect: Allow, Action: \"dynamodb:*\", Resource: !GetAtt Queue.Arn }]\n",
        );
        assert!(unresolved.functions(&deployment).is_err(), "a resource it cannot resolve, in a DynamoDB statement");
        let no_default =
            with_policies("        - Statement: [{ Effect: Allow, Action: \"dynamodb:*\", Resource: !Ref Key }]\n");
        assert!(no_default.functions(&deployment).is_err(), "a parameter without a value");
        let managed = with_policies("        - AmazonDynamoDBFullAccess\n");
        assert!(managed.functions(&deployment).is_err(), "a managed policy");
        let sam = with_policies("        - DynamoDBCrudPolicy: { TableName: !Ref Table }\n");
        assert!(sam.functions(&deployment).is_err(), "a SAM policy template");
        let role = Template::parse("Resources:\n  R: { Type: AWS::IAM::Policy }\n");
        assert!(role.is_err(), "IAM resources beside the functions' own policies");
        let attached =
            Template::parse("Resources:\n  M: { Type: AWS::IAM::ManagedPolicy, Properties: { Roles: [r] } }\n");
        assert!(attached.is_err(), "a managed policy that attaches itself");
    }
}
