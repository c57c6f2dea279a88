//! A call record as Graph hands it out: the record with its first 60 sessions, then more
//! session pages behind `sessions@odata.nextLink`; the participants in a second request, with
//! more pages behind `participants_v2@odata.nextLink`. `RecordPages` puts them back together
//! into the one whole record that `POST /calls` would take, and refuses to finish while a link
//! is left unfollowed.

use serde_json::{Map, Value};

/// The two paged collections of a call record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Sessions,
    Participants,
}

impl Part {
    /// The record's property holding the collection.
    pub fn property(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Participants => "participants_v2",
        }
    }

    /// The property holding the link to the collection's next page.
    pub fn link_property(self) -> &'static str {
        match self {
            Self::Sessions => "sessions@odata.nextLink",
            Self::Participants => "participants_v2@odata.nextLink",
        }
    }
}

/// Why fetched pages do not make one record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("a Graph response is not a JSON object with {0}")]
    Shape(&'static str),
    /// The record was revised between two of our requests: fetch it again.
    #[error("the record changed from version {0} to {1} while it was fetched")]
    VersionChanged(i64, i64),
}

/// A record being put back together from its pages.
#[derive(Debug, Clone)]
pub struct RecordPages {
    record: Map<String, Value>,
    /// Graph requests this record took so far (the first included).
    pub requests: u32,
}

/// A whole record, ready for the same path as `POST /calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// The record as one JSON document.
    pub body: Vec<u8>,
    /// How many Graph requests it took.
    pub requests: u32,
}

impl RecordPages {
    /// Starts from the response to `GET .../callRecords/{id}?$expand=sessions($expand=segments)`.
    pub fn new(first: Value) -> Result<Self, PageError> {
        match first {
            Value::Object(record) => Ok(Self { record, requests: 1 }),
            _ => Err(PageError::Shape("the call record")),
        }
    }

    /// The record's version, as Graph numbers its revisions.
    pub fn version(&self) -> Option<i64> {
        self.record.get("version").and_then(Value::as_i64)
    }

    /// The link to `part`'s next page, while there is one.
    pub fn next_link(&self, part: Part) -> Option<&str> {
        self.record.get(part.link_property()).and_then(Value::as_str)
    }

    /// Adds a page of `part` (`{"value": [...], "@odata.nextLink": ...}`) and follows its link.
    pub fn add_page(&mut self, part: Part, page: Value) -> Result<(), PageError> {
        let Value::Object(mut page) = page else { return Err(PageError::Shape("a page")) };
        let Some(Value::Array(items)) = page.remove("value") else { return Err(PageError::Shape("a `value` array")) };
        self.requests += 1;
        self.append(part, items, page.remove("@odata.nextLink"));
        Ok(())
    }

    /// Takes the participants from the response to `GET .../callRecords/{id}?$expand=participants_v2`,
    /// which must be the same version of the record.
    pub fn add_participants(&mut self, response: Value) -> Result<(), PageError> {
        let Value::Object(mut other) = response else { return Err(PageError::Shape("the call record")) };
        let version = other.get("version").and_then(Value::as_i64);
        if let (Some(ours), Some(theirs)) = (self.version(), version)
            && ours != theirs
        {
            return Err(PageError::VersionChanged(ours, theirs));
        }
        self.requests += 1;
        let items = match other.remove(Part::Participants.property()) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        self.record.insert(Part::Participants.property().to_owned(), Value::Array(Vec::new()));
        self.append(Part::Participants, items, other.remove(Part::Participants.link_property()));
        Ok(())
    }

    fn append(&mut self, part: Part, items: Vec<Value>, link: Option<Value>) {
        match self.record.entry(part.property()).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(existing) => existing.extend(items),
            other => *other = Value::Array(items),
        }
        match link {
            Some(link @ Value::String(_)) => self.record.insert(part.link_property().to_owned(), link),
            _ => self.record.remove(part.link_property()),
        };
    }

    /// The whole record; `None` while a link is left unfollowed.
    pub fn finish(mut self) -> Option<Assembled> {
        if self.next_link(Part::Sessions).is_some() || self.next_link(Part::Participants).is_some() {
            return None;
        }
        self.record.retain(|key, _| !key.starts_with("@odata.") && !key.contains("@odata.context"));
        let body = serde_json::to_vec(&Value::Object(self.record)).ok()?;
        Some(Assembled { body, requests: self.requests })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_of_sessions_and_participants_make_one_record() {
        let mut pages = RecordPages::new(json!({
            "@odata.context": "x", "id": "c", "version": 2,
            "sessions": [{ "id": "s1" }], "sessions@odata.nextLink": "https://g/next1",
        }))
        .unwrap();
        assert_eq!(pages.next_link(Part::Sessions), Some("https://g/next1"));
        pages
            .add_page(Part::Sessions, json!({ "value": [{ "id": "s2" }], "@odata.nextLink": "https://g/next2" }))
            .unwrap();
        pages.add_page(Part::Sessions, json!({ "value": [{ "id": "s3" }] })).unwrap();
        assert_eq!(pages.next_link(Part::Sessions), None);
        pages
            .add_participants(json!({ "id": "c", "version": 2, "participants_v2": [{ "id": "p1" }],
                "participants_v2@odata.nextLink": "https://g/p2" }))
            .unwrap();
        assert!(pages.clone().finish().is_none(), "a participants link is left");
        pages.add_page(Part::Participants, json!({ "value": [{ "id": "p2" }] })).unwrap();
        let whole = pages.finish().unwrap();
        assert_eq!(whole.requests, 5);
        let record: Value = serde_json::from_slice(&whole.body).unwrap();
        assert_eq!(
            record,
            json!({ "id": "c", "version": 2,
            "sessions": [{ "id": "s1" }, { "id": "s2" }, { "id": "s3" }],
            "participants_v2": [{ "id": "p1" }, { "id": "p2" }] })
        );
    }

    #[test]
    fn a_revision_between_requests_is_noticed() {
        let mut pages = RecordPages::new(json!({ "id": "c", "version": 1, "sessions": [] })).unwrap();
        let error = pages.add_participants(json!({ "id": "c", "version": 2, "participants_v2": [] })).unwrap_err();
        assert_eq!(error, PageError::VersionChanged(1, 2));
    }

    #[test]
    fn responses_that_are_not_pages_are_refused() {
        assert!(RecordPages::new(json!([1])).is_err());
        let mut pages = RecordPages::new(json!({ "id": "c" })).unwrap();
        assert!(pages.add_page(Part::Sessions, json!({ "value": 3 })).is_err());
        assert!(pages.add_page(Part::Sessions, json!("x")).is_err());
    }
}
