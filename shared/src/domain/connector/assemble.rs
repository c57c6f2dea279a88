//! A call record as Graph hands it out: the record with its first 60 sessions, then more
//! session pages behind `sessions@odata.nextLink`; the participants in a second request, with
//! more pages behind `participants_v2@odata.nextLink`. [`FetchState`] says which request comes
//! next and takes each answer, so that a fetch can stop after any page and resume later
//! (`docs/decisions.md`, the town-hall fetch): the state is a small value, and each page's
//! items leave it at once as [`Items`] (JSON bytes) to be kept elsewhere. [`Body`] puts the
//! kept items back into the one whole record that `POST /calls` would take.
//!
//! A runaway is stopped here: more than [`MAX_PAGES`] pages, more than [`MAX_ITEMS`] sessions
//! or participants, or a next link that was already followed.

use super::pacing::{Pacer, RequestKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The largest record the connector fetches: as many sessions as a record may hold
/// ([`crate::domain::graph::MAX_SESSIONS`]), and as many participants.
pub const MAX_ITEMS: u32 = crate::domain::graph::MAX_SESSIONS as u32;
/// The largest record callscope keeps, in JSON bytes of its items as taken from Graph (72 MiB).
/// The Graph worker holds a record whole while ingest parses it, and ingest's peak is at most
/// ~8.2 times the JSON (568 MiB for the 69.5 MiB repetitive 25,000-session fixture; 171 MiB for
/// 64 MiB of realistic sessions; `BENCHMARKS.md`, a 25,000-session meeting): a record at the cap
/// takes ~660 MiB with its body, inside the worker's share for ingests (`INGEST_MEMORY_MIB`,
/// 700 of its 1,024 MB), and the fixture's 25,000 sessions (2.8 KB each) fit. Real sessions
/// with video and every field are ~11–13 KB of JSON, so ~5,600 of them fit; a legal
/// 25,000-session record of such sessions (~300 MB) is set aside as a dead letter, not stored.
/// The stored call is never larger than this (`store::prepare::COMMIT_BUDGET`).
pub const MAX_RECORD_JSON: usize = 72 * 1024 * 1024;
/// Most pages (Graph responses) one record may take: the largest record at Graph's page sizes
/// is 417 session pages and 193 participant pages (610); the cap leaves room for pages Graph
/// fills only partly, and stops a chain of links that never ends.
pub const MAX_PAGES: u32 = 1_000;
/// Fresh starts allowed when the record is revised while it is fetched.
pub const MAX_RESTARTS: u32 = 3;

/// The two paged collections of a call record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

    /// The `$expand` of the record request that brings the collection's first page.
    pub fn expand(self) -> &'static str {
        match self {
            Self::Sessions => "sessions($expand=segments)",
            Self::Participants => "participants_v2",
        }
    }
}

/// Why fetched pages do not make one record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("a Graph response is not a JSON object with {0}")]
    Shape(&'static str),
    /// The record was revised between two of our requests: fetch it again.
    #[error("the record changed from version {0} to {1} while it was fetched")]
    VersionChanged(i64, i64),
    /// It was revised more often than [`MAX_RESTARTS`] while it was fetched.
    #[error("the record kept changing while it was fetched ({0} fresh starts)")]
    KeptChanging(u32),
    /// Graph handed out a link that was already followed: the pages would never end.
    #[error("Graph repeated a {0} page link; stopped after {1} pages")]
    RepeatedLink(&'static str, u32),
    #[error("more than {MAX_PAGES} pages; stopped")]
    TooManyPages,
    #[error("more than {MAX_ITEMS} {0}: larger than the largest record callscope keeps")]
    TooLarge(&'static str),
    /// Its items came to more than [`MAX_RECORD_JSON`] bytes of JSON (how far it got).
    #[error("larger than callscope keeps: {0} bytes of JSON taken, at most {MAX_RECORD_JSON}")]
    TooManyBytes(u64),
    /// Kept items that do not fit together (a store that lost or reordered them).
    #[error("the kept pages are out of order")]
    OutOfOrder,
}

impl FetchError {
    /// Whether fetching the record again from its first page may work.
    pub fn restarts(&self) -> bool {
        matches!(self, Self::VersionChanged(..))
    }
}

/// Where the fetch stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", content = "link", rename_all = "camelCase")]
enum Cursor {
    /// The record with its first sessions.
    Start,
    /// A later page of sessions.
    Sessions(String),
    /// The record with its first participants.
    Participants,
    /// A later page of participants.
    MoreParticipants(String),
    Done,
}

/// The next request of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `GET .../callRecords/{id}?$expand=<part.expand()>`.
    Record(Part),
    /// A next link of `part`, to be followed only inside the configured Graph.
    Link(Part, &'a str),
}

impl Request<'_> {
    /// How Graph counts it against the record's limits.
    pub fn kind(&self) -> RequestKind {
        match self {
            Self::Record(_) => RequestKind::First,
            Self::Link(..) => RequestKind::Later,
        }
    }
}

/// One page's items of `part`, as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items {
    pub part: Part,
    /// `[...]`, the page's `value` (or the record's collection) as Graph sent it.
    pub json: Vec<u8>,
    /// How many items.
    pub count: u32,
}

/// A fetch of one record, resumable: everything but the items already taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchState {
    /// The record without its paged collections, from its first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<Map<String, Value>>,
    #[serde(default)]
    cursor: Option<Cursor>,
    /// Hashes of the links followed (the first 8 bytes of their SHA-256).
    #[serde(default)]
    followed: Vec<u64>,
    /// Graph responses taken, over every invocation (fresh starts included).
    #[serde(default)]
    pub requests: u32,
    /// Pages of this start: what [`MAX_PAGES`] counts.
    #[serde(default)]
    pages: u32,
    #[serde(default)]
    sessions: u32,
    #[serde(default)]
    participants: u32,
    #[serde(default)]
    restarts: u32,
    /// JSON bytes of the items taken in this start: what [`MAX_RECORD_JSON`] counts.
    #[serde(default)]
    bytes: u64,
    /// When the record's recent requests were answered.
    #[serde(default)]
    pub pacer: Pacer,
}

impl FetchState {
    /// The request to make next; `None` once the record is whole.
    pub fn next_request(&self) -> Option<Request<'_>> {
        match self.cursor.as_ref().unwrap_or(&Cursor::Start) {
            Cursor::Start => Some(Request::Record(Part::Sessions)),
            Cursor::Sessions(link) => Some(Request::Link(Part::Sessions, link)),
            Cursor::Participants => Some(Request::Record(Part::Participants)),
            Cursor::MoreParticipants(link) => Some(Request::Link(Part::Participants, link)),
            Cursor::Done => None,
        }
    }

    /// The record's version, as Graph numbers its revisions (once its first page is in).
    pub fn version(&self) -> Option<i64> {
        self.record.as_ref()?.get("version")?.as_i64()
    }

    /// The record's `endDateTime`, once its first page is in.
    pub fn end(&self) -> Option<&str> {
        self.record.as_ref()?.get("endDateTime")?.as_str()
    }

    /// How many sessions and participants were taken so far.
    pub fn counts(&self) -> (u32, u32) {
        (self.sessions, self.participants)
    }

    /// Takes the answer to [`Self::next_request`]: the page's items, to be kept in order.
    pub fn take(&mut self, answer: Value) -> Result<Items, FetchError> {
        let Value::Object(mut answer) = answer else { return Err(FetchError::Shape("the call record or a page")) };
        let cursor = self.cursor.clone().unwrap_or(Cursor::Start);
        let (part, items, link) = match cursor {
            Cursor::Start | Cursor::Participants => {
                let part = if cursor == Cursor::Start { Part::Sessions } else { Part::Participants };
                let items = answer.remove(part.property()).unwrap_or_else(|| Value::Array(Vec::new()));
                let link = answer.remove(part.link_property());
                answer.retain(|key, _| !key.starts_with("@odata.") && !key.contains('@'));
                for other in [Part::Sessions, Part::Participants] {
                    answer.remove(other.property());
                }
                if part == Part::Participants {
                    let version = answer.get("version").and_then(Value::as_i64);
                    if let (Some(ours), Some(theirs)) = (self.version(), version)
                        && ours != theirs
                    {
                        return Err(FetchError::VersionChanged(ours, theirs));
                    }
                } else {
                    self.record = Some(answer);
                }
                (part, items, link)
            }
            Cursor::Sessions(_) | Cursor::MoreParticipants(_) => {
                let part = if matches!(cursor, Cursor::Sessions(_)) { Part::Sessions } else { Part::Participants };
                let items = answer.remove("value").ok_or(FetchError::Shape("a `value` array"))?;
                (part, items, answer.remove("@odata.nextLink"))
            }
            Cursor::Done => return Err(FetchError::Shape("no further page")),
        };
        let Value::Array(items) = items else { return Err(FetchError::Shape("an array of items")) };
        self.requests += 1;
        self.pages += 1;
        let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
        let total = match part {
            Part::Sessions => &mut self.sessions,
            Part::Participants => &mut self.participants,
        };
        *total = total.saturating_add(count);
        if *total > MAX_ITEMS {
            return Err(FetchError::TooLarge(part.property()));
        }
        self.cursor = Some(match (part, link) {
            (_, Some(Value::String(link))) => {
                if self.pages >= MAX_PAGES {
                    return Err(FetchError::TooManyPages);
                }
                let hash = link_hash(&link);
                if self.followed.contains(&hash) {
                    return Err(FetchError::RepeatedLink(part.property(), self.pages));
                }
                self.followed.push(hash);
                match part {
                    Part::Sessions => Cursor::Sessions(link),
                    Part::Participants => Cursor::MoreParticipants(link),
                }
            }
            (Part::Sessions, _) => Cursor::Participants,
            (Part::Participants, _) => Cursor::Done,
        });
        let json = serde_json::to_vec(&items).map_err(|_| FetchError::Shape("JSON"))?;
        self.bytes = self.bytes.saturating_add(json.len() as u64);
        if self.bytes > MAX_RECORD_JSON as u64 {
            return Err(FetchError::TooManyBytes(self.bytes));
        }
        Ok(Items { part, json, count })
    }

    /// Starts over from the record's first page after it was revised mid-fetch (the items
    /// taken so far are to be dropped); the request count and pacing carry on.
    pub fn restart(&mut self) -> Result<(), FetchError> {
        if self.restarts >= MAX_RESTARTS {
            return Err(FetchError::KeptChanging(self.restarts));
        }
        *self = Self {
            requests: self.requests,
            restarts: self.restarts + 1,
            pacer: std::mem::take(&mut self.pacer),
            ..Self::default()
        };
        Ok(())
    }

    /// The whole record's body, built from the kept items; `None` while a request is left.
    pub fn body(&self) -> Option<Body> {
        match (self.cursor.as_ref(), self.record.as_ref()) {
            (Some(Cursor::Done), Some(record)) => Some(Body::open(record)),
            _ => None,
        }
    }
}

fn link_hash(link: &str) -> u64 {
    let digest = Sha256::digest(link.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
}

/// A whole record being written out as JSON: the record's own properties, then every kept
/// session, then every kept participant, each chunk appended as it comes (nothing parsed).
#[derive(Debug)]
pub struct Body {
    json: Vec<u8>,
    /// The collection being written, once one is open.
    open: Option<Part>,
    /// Whether the open collection has an item yet.
    any: bool,
    /// Whether the record has a property before the collections.
    fields: bool,
}

impl Body {
    fn open(record: &Map<String, Value>) -> Self {
        let mut json = serde_json::to_vec(record).unwrap_or_else(|_| b"{}".to_vec());
        json.pop(); // the closing brace
        Self { json, open: None, any: false, fields: !record.is_empty() }
    }

    fn begin(&mut self, part: Part) {
        if self.open.is_some() {
            self.json.push(b']');
        }
        if self.fields || self.open.is_some() {
            self.json.push(b',');
        }
        self.json.extend_from_slice(format!("\"{}\":[", part.property()).as_bytes());
        (self.open, self.any) = (Some(part), false);
    }

    /// Appends one kept chunk of `part`'s items (a JSON array). Every chunk of sessions must
    /// come before any of participants.
    pub fn push(&mut self, part: Part, items: &[u8]) -> Result<(), FetchError> {
        match (self.open, part) {
            (Some(open), _) if open == part => {}
            (None, Part::Sessions) => self.begin(Part::Sessions),
            (None | Some(Part::Sessions), Part::Participants) => {
                if self.open.is_none() {
                    self.begin(Part::Sessions);
                }
                self.begin(Part::Participants);
            }
            _ => return Err(FetchError::OutOfOrder),
        }
        let inner = trim_brackets(items).ok_or(FetchError::Shape("an array of items"))?;
        if !inner.is_empty() {
            if self.any {
                self.json.push(b',');
            }
            self.json.extend_from_slice(inner);
            self.any = true;
        }
        Ok(())
    }

    /// The record as one JSON document.
    pub fn finish(mut self) -> Vec<u8> {
        match self.open {
            None => {
                self.begin(Part::Sessions);
                self.begin(Part::Participants);
            }
            Some(Part::Sessions) => self.begin(Part::Participants),
            Some(Part::Participants) => {}
        }
        self.json.extend_from_slice(b"]}");
        self.json
    }
}

/// The inside of a JSON array's text, without its brackets (and surrounding whitespace).
fn trim_brackets(array: &[u8]) -> Option<&[u8]> {
    let array = array.trim_ascii();
    let inner = array.strip_prefix(b"[")?.strip_suffix(b"]")?;
    Some(inner.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Takes every answer in turn, keeping the items; the record it makes.
    fn fetch(state: &mut FetchState, answers: Vec<Value>) -> Result<Vec<Items>, FetchError> {
        answers.into_iter().map(|answer| state.take(answer)).collect()
    }

    fn whole(state: &FetchState, kept: &[Items]) -> Value {
        let mut body = state.body().expect("whole");
        for items in kept {
            body.push(items.part, &items.json).unwrap();
        }
        serde_json::from_slice(&body.finish()).unwrap()
    }

    #[test]
    fn pages_of_sessions_and_participants_make_one_record() {
        let mut state = FetchState::default();
        assert_eq!(state.next_request(), Some(Request::Record(Part::Sessions)));
        let first = json!({
            "@odata.context": "x", "id": "c", "version": 2,
            "sessions": [{ "id": "s1" }], "sessions@odata.nextLink": "https://g/next1",
        });
        let kept = fetch(&mut state, vec![first]).unwrap();
        assert_eq!(state.next_request(), Some(Request::Link(Part::Sessions, "https://g/next1")));
        assert_eq!(state.next_request().unwrap().kind(), RequestKind::Later);
        // The state alone (as kept between invocations) carries on.
        let mut state: FetchState = serde_json::from_value(serde_json::to_value(&state).unwrap()).unwrap();
        let more = fetch(
            &mut state,
            vec![
                json!({ "value": [{ "id": "s2" }], "@odata.nextLink": "https://g/next2" }),
                json!({ "value": [{ "id": "s3" }] }),
                json!({ "id": "c", "version": 2, "participants_v2": [{ "id": "p1" }],
                    "participants_v2@odata.nextLink": "https://g/p2" }),
            ],
        )
        .unwrap();
        assert!(state.body().is_none(), "a participants link is left");
        let last = fetch(&mut state, vec![json!({ "value": [{ "id": "p2" }] })]).unwrap();
        assert_eq!(state.next_request(), None);
        assert_eq!((state.requests, state.counts()), (5, (3, 2)));
        let kept: Vec<Items> = kept.into_iter().chain(more).chain(last).collect();
        assert_eq!(
            whole(&state, &kept),
            json!({ "id": "c", "version": 2,
            "sessions": [{ "id": "s1" }, { "id": "s2" }, { "id": "s3" }],
            "participants_v2": [{ "id": "p1" }, { "id": "p2" }] })
        );
    }

    #[test]
    fn empty_collections_and_empty_pages_still_make_a_record() {
        let mut state = FetchState::default();
        let kept = fetch(
            &mut state,
            vec![
                json!({ "id": "c", "sessions": [], "sessions@odata.nextLink": "https://g/1" }),
                json!({ "value": [] }),
                json!({ "id": "c" }),
            ],
        )
        .unwrap();
        assert_eq!(whole(&state, &kept), json!({ "id": "c", "sessions": [], "participants_v2": [] }));
        assert_eq!(whole(&state, &[]), json!({ "id": "c", "sessions": [], "participants_v2": [] }));
    }

    #[test]
    fn a_revision_between_requests_is_noticed_and_starts_over_a_bounded_number_of_times() {
        let mut state = FetchState::default();
        state.take(json!({ "id": "c", "version": 1, "sessions": [] })).unwrap();
        let error = state.take(json!({ "id": "c", "version": 2, "participants_v2": [] })).unwrap_err();
        assert_eq!(error, FetchError::VersionChanged(1, 2));
        assert!(error.restarts());
        for _ in 0..MAX_RESTARTS {
            state.restart().unwrap();
            assert_eq!(state.next_request(), Some(Request::Record(Part::Sessions)));
        }
        assert_eq!(state.requests, 1, "requests are counted across starts");
        assert_eq!(state.restart().unwrap_err(), FetchError::KeptChanging(MAX_RESTARTS));
    }

    #[test]
    fn a_repeated_link_stops_the_fetch() {
        let mut state = FetchState::default();
        state.take(json!({ "id": "c", "sessions": [], "sessions@odata.nextLink": "https://g/a" })).unwrap();
        state.take(json!({ "value": [], "@odata.nextLink": "https://g/b" })).unwrap();
        let error = state.take(json!({ "value": [], "@odata.nextLink": "https://g/a" })).unwrap_err();
        assert_eq!(error, FetchError::RepeatedLink("sessions", 3));
    }

    #[test]
    fn a_chain_of_links_stops_at_the_page_cap_and_a_record_at_the_item_cap() {
        let mut state = FetchState::default();
        state.take(json!({ "id": "c", "sessions": [], "sessions@odata.nextLink": "https://g/0" })).unwrap();
        let error = (1..=MAX_PAGES)
            .find_map(|n| state.take(json!({ "value": [], "@odata.nextLink": format!("https://g/{n}") })).err())
            .unwrap();
        assert_eq!(error, FetchError::TooManyPages);
        assert_eq!(state.pages, MAX_PAGES);

        let mut state = FetchState::default();
        let sixty: Vec<Value> = (0..60).map(|n| json!({ "id": n })).collect();
        state.take(json!({ "id": "c", "sessions": sixty, "sessions@odata.nextLink": "https://g/0" })).unwrap();
        let error = (1..)
            .find_map(|n| state.take(json!({ "value": sixty, "@odata.nextLink": format!("https://g/{n}") })).err())
            .unwrap();
        assert_eq!(error, FetchError::TooLarge("sessions"));
        assert!(state.counts().0 > MAX_ITEMS && state.counts().0 <= MAX_ITEMS + 60);
    }

    #[test]
    fn a_record_stops_past_its_json_cap_counted_across_invocations() {
        let mut state = FetchState::default();
        let big = json!([{ "id": "x".repeat(4 << 20) }]);
        state.take(json!({ "id": "c", "sessions": big, "sessions@odata.nextLink": "https://g/0" })).unwrap();
        let mut n = 0;
        let error = loop {
            n += 1;
            // Each page is taken by a fresh invocation, from the state as it was kept.
            state = serde_json::from_value(serde_json::to_value(&state).unwrap()).unwrap();
            match state.take(json!({ "value": big, "@odata.nextLink": format!("https://g/{n}") })) {
                Ok(items) => assert!(state.bytes >= items.json.len() as u64),
                Err(error) => break error,
            }
        };
        let FetchError::TooManyBytes(taken) = error else { panic!("{error:?}") };
        assert!(taken > MAX_RECORD_JSON as u64 && taken <= MAX_RECORD_JSON as u64 + (4 << 20) + 16);
        assert_eq!(n + 1, MAX_RECORD_JSON >> 22, "the pages up to the cap are taken, the one past it refused");
        assert!(error.to_string().contains("larger than callscope keeps"));

        // A state kept before the count existed reads as none taken.
        let old: FetchState =
            serde_json::from_value(json!({ "cursor": { "at": "participants" }, "sessions": 3 })).unwrap();
        assert_eq!((old.bytes, old.counts()), (0, (3, 0)));
    }

    #[test]
    fn responses_that_are_not_pages_are_refused_and_chunks_must_come_in_order() {
        assert!(FetchState::default().take(json!([1])).is_err());
        let mut state = FetchState::default();
        state.take(json!({ "id": "c", "sessions": [], "sessions@odata.nextLink": "https://g/a" })).unwrap();
        assert!(state.clone().take(json!({ "value": 3 })).is_err());
        assert!(state.take(json!("x")).is_err());

        let mut state = FetchState::default();
        fetch(&mut state, vec![json!({ "id": "c", "sessions": [] }), json!({ "id": "c" })]).unwrap();
        let mut body = state.body().unwrap();
        body.push(Part::Participants, b"[1]").unwrap();
        assert_eq!(body.push(Part::Sessions, b"[2]").unwrap_err(), FetchError::OutOfOrder);
    }
}
