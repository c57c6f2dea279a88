//! Escalations in each role's view. What differs is how people are shown: engineers and admins
//! see every author's name; a specialist sees the role of everyone else ("Support engineer")
//! and only their own name. The call data itself is never here: it is served by the call
//! detail in the reader's own role, so a note cannot unlock what a role may not see.

use super::history::defused;
use crate::domain::access::Role;
use crate::domain::escalation::{EscalatedCall, Escalation, EscalationState, Note, Staff};
use serde::Serialize;
use time::OffsetDateTime;

/// How a person who wrote or changed something is shown to one reader.
pub trait AuthorView: Serialize {
    /// `staff` as the reader with person id `reader` sees them.
    fn of(staff: &Staff, reader: &str) -> Self;
}

/// An author as engineers and admins see them: id, name and role.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineerAuthor {
    pub id: String,
    pub role: Role,
    /// Their name, or their id where their token gave no name.
    pub label: String,
    pub you: bool,
}

impl AuthorView for EngineerAuthor {
    fn of(staff: &Staff, reader: &str) -> Self {
        Self {
            id: staff.id.clone(),
            role: staff.role,
            label: staff.name.clone().unwrap_or_else(|| staff.id.clone()),
            you: staff.id == reader,
        }
    }
}

/// An author as a specialist sees them: a role label, and a name only for themselves. There is
/// no id or name field to fill with anyone else's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecialistAuthor {
    pub role: Role,
    /// "Support engineer", "Admin", ...; the reader's own name on what they wrote.
    pub label: String,
    pub you: bool,
}

impl AuthorView for SpecialistAuthor {
    fn of(staff: &Staff, reader: &str) -> Self {
        let you = staff.id == reader;
        let label = match (&staff.name, you) {
            (Some(name), true) => name.clone(),
            _ => staff.role.label().to_owned(),
        };
        Self { role: staff.role, label, you }
    }
}

/// A note in a reader's view; `text` absent (and `removed` set) where an erasure took it out.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteView<A> {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub author: A,
    pub text: Option<String>,
    pub removed: bool,
}

/// `GET /escalations/{id}`: the escalation with its notes, and where its call's detail is.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationView<A> {
    pub id: String,
    pub state: EscalationState,
    pub ticket: Option<String>,
    pub call: EscalatedCall,
    /// The call detail route for this call and user (served in the reader's own role).
    pub call_link: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: A,
    #[serde(with = "time::serde::rfc3339::option")]
    pub claimed_at: Option<OffsetDateTime>,
    pub claimed_by: Option<A>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    pub resolved_by: Option<A>,
    pub notes: Vec<NoteView<A>>,
}

/// One line of the queue: the escalation without its notes, but the first one's start.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationRow<A> {
    pub id: String,
    pub state: EscalationState,
    pub ticket: Option<String>,
    pub call: EscalatedCall,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: A,
    pub claimed_by: Option<A>,
    pub note_count: usize,
    /// The first [`EXCERPT_CHARS`] characters of the opener's note.
    pub excerpt: Option<String>,
}

/// How much of the first note a queue line shows.
pub const EXCERPT_CHARS: usize = 160;

/// A specialist's view of an escalation, and of a queue line.
pub type SpecialistEscalation = EscalationView<SpecialistAuthor>;
pub type SpecialistEscalationRow = EscalationRow<SpecialistAuthor>;
/// An engineer's or admin's view of an escalation, and of a queue line.
pub type EngineerEscalation = EscalationView<EngineerAuthor>;
pub type EngineerEscalationRow = EscalationRow<EngineerAuthor>;

/// `escalation` as the reader with person id `reader` sees it.
pub fn escalation_view<A: AuthorView>(escalation: &Escalation, reader: &str) -> EscalationView<A> {
    let author = |staff: &Staff| A::of(staff, reader);
    EscalationView {
        id: escalation.id.clone(),
        state: escalation.state,
        ticket: escalation.ticket.clone(),
        call_link: call_link(&escalation.call),
        call: escalation.call.clone(),
        opened_at: escalation.opened_at,
        opened_by: author(&escalation.opened_by),
        claimed_at: escalation.claimed_at,
        claimed_by: escalation.claimed_by.as_ref().map(author),
        resolved_at: escalation.resolved_at,
        resolved_by: escalation.resolved_by.as_ref().map(author),
        notes: escalation.notes.iter().map(|note| note_view(note, reader)).collect(),
    }
}

/// `escalation`'s queue line as the reader with person id `reader` sees it.
pub fn escalation_row<A: AuthorView>(escalation: &Escalation, reader: &str) -> EscalationRow<A> {
    EscalationRow {
        id: escalation.id.clone(),
        state: escalation.state,
        ticket: escalation.ticket.clone(),
        call: escalation.call.clone(),
        opened_at: escalation.opened_at,
        opened_by: A::of(&escalation.opened_by, reader),
        claimed_by: escalation.claimed_by.as_ref().map(|s| A::of(s, reader)),
        note_count: escalation.notes.len(),
        excerpt: escalation
            .notes
            .first()
            .and_then(|n| n.text.as_deref())
            .map(|t| t.chars().take(EXCERPT_CHARS).collect()),
    }
}

fn note_view<A: AuthorView>(note: &Note, reader: &str) -> NoteView<A> {
    NoteView { at: note.at, author: A::of(&note.author, reader), text: note.text.clone(), removed: note.text.is_none() }
}

/// The call detail route of `call` (`/calls/{callId}?user={userId}`), ids percent-encoded.
fn call_link(call: &EscalatedCall) -> String {
    format!("/calls/{}?user={}", encode(&call.call_id), encode(&call.user_id))
}

/// `text` with everything but RFC 3986's unreserved characters percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The columns of a queue download.
pub const ESCALATIONS_CSV_HEADER: [&str; 9] =
    ["openedAt", "state", "ticket", "callId", "userId", "userName", "openedBy", "claimedBy", "excerpt"];

/// Queue lines as CSV: every cell a person typed or a name defused, so a spreadsheet shows it
/// as text and never runs it as a formula.
pub fn escalations_csv<A: AuthorView + Labelled>(rows: &[EscalationRow<A>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(ESCALATIONS_CSV_HEADER).expect("writing to memory");
    for row in rows {
        let opened = crate::support::clock::rfc3339(row.opened_at);
        let record = [
            opened,
            row.state.name().to_owned(),
            defused(row.ticket.clone().unwrap_or_default()),
            defused(row.call.call_id.clone()),
            defused(row.call.user_id.clone()),
            defused(row.call.user_name.clone().unwrap_or_default()),
            defused(row.opened_by.label().to_owned()),
            defused(row.claimed_by.as_ref().map(|a| a.label().to_owned()).unwrap_or_default()),
            defused(row.excerpt.clone().unwrap_or_default()),
        ];
        writer.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings is UTF-8")
}

/// The one line of text an author view shows for a person.
pub trait Labelled {
    fn label(&self) -> &str;
}

impl Labelled for EngineerAuthor {
    fn label(&self) -> &str {
        &self.label
    }
}

impl Labelled for SpecialistAuthor {
    fn label(&self) -> &str {
        &self.label
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calls::LineType;
    use crate::domain::classify::Rating;
    use crate::domain::escalation::Note;
    use time::macros::datetime;

    fn staff(id: &str, name: &str, role: Role) -> Staff {
        Staff { id: id.into(), name: Some(name.into()), role }
    }

    fn escalation(note: &str) -> Escalation {
        let at = datetime!(2026-11-25 10:00 UTC);
        let sam = staff("sam", "Sam Specialist", Role::SupportSpecialist);
        let erin = staff("erin", "Erin Engineer", Role::SupportEngineer);
        Escalation {
            id: "e1".into(),
            call: EscalatedCall {
                call_id: "call/1 #2".into(),
                user_id: "ada".into(),
                user_name: Some("Ada Lovelace".into()),
                session_id: None,
                call_type: LineType::PeerToPeer,
                start_date_time: at,
                rating: Rating::Poor,
            },
            ticket: Some("=cmd|' /C calc'!A0".into()),
            state: EscalationState::Claimed,
            opened_at: at,
            opened_by: sam.clone(),
            claimed_at: Some(at),
            claimed_by: Some(erin.clone()),
            resolved_at: None,
            resolved_by: None,
            notes: vec![Note { at, author: sam, text: Some(note.into()) }, Note { at, author: erin, text: None }],
        }
    }

    #[test]
    fn a_specialist_sees_roles_for_others_and_their_own_name() {
        let view: SpecialistEscalation = escalation_view(&escalation("Choppy"), "sam");
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            json["openedBy"],
            serde_json::json!({ "role": "support-specialist", "label": "Sam Specialist", "you": true })
        );
        assert_eq!(json["claimedBy"]["label"], "Support engineer");
        assert_eq!(
            json["notes"][1],
            serde_json::json!({ "at": "2026-11-25T10:00:00Z", "author": { "role": "support-engineer", "label": "Support engineer", "you": false }, "removed": true })
        );
        assert!(!json.to_string().contains("Erin") && !json.to_string().contains("\"erin\""), "{json}");
        let other: SpecialistEscalation = escalation_view(&escalation("Choppy"), "someone-else");
        assert_eq!(serde_json::to_value(&other).unwrap()["openedBy"]["label"], "Support specialist");
    }

    #[test]
    fn an_engineer_sees_every_name_and_the_link_is_encoded() {
        let view: EngineerEscalation = escalation_view(&escalation("Choppy"), "erin");
        assert_eq!(view.opened_by.label, "Sam Specialist");
        assert!(view.claimed_by.as_ref().unwrap().you);
        assert_eq!(view.call_link, "/calls/call%2F1%20%232?user=ada");
    }

    #[test]
    fn queue_lines_excerpt_the_first_note_and_csv_defuses_what_people_typed() {
        let long = "x".repeat(EXCERPT_CHARS + 50);
        let row: EngineerEscalationRow = escalation_row(&escalation(&long), "erin");
        assert_eq!((row.note_count, row.excerpt.as_ref().unwrap().len()), (2, EXCERPT_CHARS));
        let hostile: EngineerEscalationRow = escalation_row(&escalation("@SUM(A1) <b>hi</b>"), "erin");
        let csv = escalations_csv(&[hostile]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.contains("'=cmd") && line.contains("'@SUM(A1) <b>hi</b>"), "{line}");
    }
}
