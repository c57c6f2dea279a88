//! The product's one table on the local DynamoDB (moto), created as the template creates it:
//! the schema comes from the core's `store::schema`, so local and deployed tables cannot drift.
//!
//! It must not write items: what is in the table arrives through the functions.

use crate::Error;

/// Whether [`ensure`] found the table or created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Existed,
    Created,
}

/// Creates `table` (stream `NEW_AND_OLD_IMAGES`, TTL on `expiresAt`) unless it exists.
pub async fn ensure(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<Ensured, Error> {
    if client.describe_table().table_name(table).send().await.is_ok() {
        return Ok(Ensured::Existed);
    }
    callscope_core::store::schema::create_table(client, table).await?;
    Ok(Ensured::Created)
}
