//! The compact encoding of a page's list: its JSON, deflated, in one binary attribute.
//!
//! DynamoDB bills an item by its bytes, and a session stored as a nested attribute map pays for
//! every attribute name in every stream of every segment. The same list as deflated JSON is a
//! fraction of that (`docs/cost.md`), costs no more to read back, and round-trips through the
//! same serde types. Used as `#[serde(with = "compact")]` on a page's list.

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::{Read, Write};

/// `values` as deflated JSON bytes. The JSON reaches the encoder in 64 KiB blocks: the encoder
/// does work per write, and serde_json writes a token at a time (unbuffered, a 25,000-session
/// meeting's results took 20 s to encode instead of one).
pub fn encode<T: Serialize>(values: &[T]) -> Result<Vec<u8>, serde_json::Error> {
    let mut buffered =
        std::io::BufWriter::with_capacity(64 * 1024, DeflateEncoder::new(Vec::new(), Compression::default()));
    serde_json::to_writer(&mut buffered, values)?;
    let encoder = buffered.into_inner().map_err(|e| serde_json::Error::io(e.into_error()))?;
    encoder.finish().map_err(serde_json::Error::io)
}

/// The values `bytes` encode.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, serde_json::Error> {
    let mut json = Vec::new();
    DeflateDecoder::new(bytes).read_to_end(&mut json).map_err(serde_json::Error::io)?;
    serde_json::from_slice(&json)
}

/// Serializes a list as one binary value (see [`encode`]).
pub fn serialize<T: Serialize, S: Serializer>(values: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    let bytes = encode(values).map_err(serde::ser::Error::custom)?;
    serializer.serialize_bytes(&bytes)
}

/// Reads a list written by [`serialize`].
pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(deserializer)?;
    decode(&bytes).map_err(serde::de::Error::custom)
}

/// A writer that only counts, for sizing a value's JSON without keeping it.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How many bytes `value`'s JSON takes: what a page's budget counts, as deflating never grows
/// JSON by more than a few bytes per 64 KiB block.
pub fn json_len<T: Serialize>(value: &T) -> Result<usize, serde_json::Error> {
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    Ok(count.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Page {
        #[serde(with = "super")]
        values: Vec<String>,
    }

    #[test]
    fn a_list_round_trips_through_a_binary_attribute() {
        let page = Page { values: (0..200).map(|i| format!("stream {i} of the main audio")).collect() };
        let item: serde_dynamo::Item = serde_dynamo::to_item(&page).unwrap();
        let stored: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> = item.into();
        let bytes = stored["values"].as_b().unwrap().as_ref().len();
        assert!(bytes * 5 < json_len(&page.values).unwrap(), "{bytes} bytes");
        let back: Page = serde_dynamo::from_item(stored).unwrap();
        assert_eq!(back, page);
    }

    #[test]
    fn what_is_not_a_deflated_list_is_an_error() {
        assert!(decode::<String>(b"not deflate").is_err());
        assert!(decode::<String>(&encode(&[1, 2]).unwrap()).is_err());
        assert_eq!(json_len(&["ab"]).unwrap(), 6);
    }
}
