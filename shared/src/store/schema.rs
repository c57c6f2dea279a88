//! The table, described once as data: `create_table` builds it for local runs and tests, and
//! the IaC drift test compares `infra/template.yaml` against the same description.

use super::StoreError;
use super::keys::{EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

/// A global secondary index: name, hash key and range key (all projected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// Everything about the table that code depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// Every key attribute is a string.
    pub indexes: Vec<IndexDefinition>,
    pub ttl_attribute: &'static str,
    /// `NEW_AND_OLD_IMAGES`: classify compares versions across an update.
    pub stream_view: &'static str,
}

impl TableDefinition {
    /// Every attribute used in a key of the table or an index.
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let mut names = vec![self.partition_key, self.sort_key];
        for index in &self.indexes {
            names.extend([index.partition_key, index.sort_key]);
        }
        names
    }
}

/// The one table of callscope.
pub fn table_definition() -> TableDefinition {
    TableDefinition {
        partition_key: PK,
        sort_key: SK,
        indexes: vec![IndexDefinition { name: GSI1, partition_key: GSI1PK, sort_key: GSI1SK }],
        ttl_attribute: EXPIRES_AT,
        stream_view: "NEW_AND_OLD_IMAGES",
    }
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("name and type are set")
}

/// Creates the table (on-demand, stream on, TTL on) for local runs and tests. In AWS the SAM
/// template creates it.
pub async fn create_table(client: &Client, table_name: &str) -> Result<(), StoreError> {
    let def = table_definition();
    let mut request = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(def.partition_key, KeyType::Hash))
        .key_schema(key(def.sort_key, KeyType::Range))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(def.stream_view))
                .build()
                .expect("enabled is set"),
        );
    for name in def.key_attributes() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        );
    }
    for index in &def.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.partition_key, KeyType::Hash))
                .key_schema(key(index.sort_key, KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("name, keys and projection are set"),
        );
    }
    request.send().await.map_err(|e| StoreError::request("CreateTable", e))?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(def.ttl_attribute)
                .build()
                .expect("enabled and attribute are set"),
        )
        .send()
        .await
        .map_err(|e| StoreError::request("UpdateTimeToLive", e))?;
    Ok(())
}
