//! Escalations: a support specialist (tier 1) hands a bad call to a support engineer (tier 2)
//! inside the product, with a note. An escalation points to one call as one user took part in it
//! (and perhaps one session of it), moves from `open` to `claimed` to `resolved`, and gathers
//! notes: text from people, stored as given and only ever shown as text.

use super::access::{AuthError, Principal, Role};
use super::calls::{LineType, StoredCall};
use super::classify::Rating;
use super::erasure::{ERASED_ID, ERASED_NAME};
use super::phone::PhoneCall;
use super::problem::{Problem, Rejection, read_json};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Longest note, in characters (Unicode scalar values).
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest ticket reference, in characters.
pub const MAX_TICKET_CHARS: usize = 100;
/// Most notes one escalation holds: 40 notes of 2,000 four-byte characters stay well inside
/// DynamoDB's 400 KB item.
pub const MAX_NOTES: usize = 40;
/// Largest body an escalation route reads; a note and a ticket fit many times over, even with
/// every character escaped.
pub const MAX_ESCALATION_BODY_BYTES: usize = 64 * 1024;

/// Where an escalation is in its handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EscalationState {
    /// Waiting in tier 2's queue.
    Open,
    /// An engineer took it.
    Claimed,
    /// Done.
    Resolved,
}

impl EscalationState {
    /// Every state, in the order of the handoff.
    pub const ALL: [Self; 3] = [Self::Open, Self::Claimed, Self::Resolved];

    /// The state's name, as the API and the keys write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Claimed => "claimed",
            Self::Resolved => "resolved",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A change of state an engineer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `open` → `claimed`: one engineer takes it; a second claim loses.
    Claim,
    /// `open` or `claimed` → `resolved`.
    Resolve,
}

impl Transition {
    /// The states it may start from.
    pub fn from(self) -> &'static [EscalationState] {
        match self {
            Self::Claim => &[EscalationState::Open],
            Self::Resolve => &[EscalationState::Open, EscalationState::Claimed],
        }
    }

    /// The state it ends in.
    pub fn to(self) -> EscalationState {
        match self {
            Self::Claim => EscalationState::Claimed,
            Self::Resolve => EscalationState::Resolved,
        }
    }
}

/// A helpdesk person as they acted: their id (what an erasure names), their name as their token
/// gave it, and their role.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Staff {
    pub id: String,
    pub name: Option<String>,
    pub role: Role,
}

impl Staff {
    /// `principal` as an actor: their most trusted support role, and their person id (a token
    /// with neither `oid` nor `sub` cannot author anything).
    pub fn of(principal: &Principal) -> Result<Self, AuthError> {
        let role = principal.support_role().ok_or(AuthError::Forbidden)?;
        let id = principal.person_id().ok_or(AuthError::Unauthenticated)?;
        Ok(Self { id: id.to_owned(), name: principal.name.clone(), role })
    }

    /// The placeholder an erased person is shown under.
    pub fn erased(role: Role) -> Self {
        Self { id: ERASED_ID.to_owned(), name: Some(ERASED_NAME.to_owned()), role }
    }
}

/// One note: who wrote it, when, and the text as given; `None` once an erasure removed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub author: Staff,
    pub text: Option<String>,
}

/// The call an escalation points to, as it was when escalated: what the queue lists it by.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalatedCall {
    pub call_id: String,
    /// The user whose call it is: the detail is opened as seen from them.
    pub user_id: String,
    /// Their name, as the call gave it.
    pub user_name: Option<String>,
    /// The session the specialist pointed at, if they pointed at one.
    pub session_id: Option<String>,
    #[serde(rename = "type")]
    pub call_type: LineType,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    /// The call's rating when it was escalated.
    pub rating: Rating,
}

impl EscalatedCall {
    /// Call `stored` as `user_id` took part in it, with their own rating of it.
    pub fn of_call(stored: &StoredCall, user_id: &str, session_id: Option<String>) -> Self {
        let summary = &stored.summary;
        Self {
            call_id: summary.call_id.clone(),
            user_id: user_id.to_owned(),
            user_name: summary.parties.iter().find(|p| p.id == user_id).and_then(|p| p.display_name.clone()),
            session_id,
            call_type: summary.call_type.into(),
            start_date_time: summary.start_date_time,
            rating: stored.verdict_of(user_id).rating,
        }
    }

    /// Phone call `call`, its user's (`user_id`).
    pub fn of_phone(call: &PhoneCall, user_id: &str, home_tenant: &str) -> Self {
        Self {
            call_id: call.id().to_owned(),
            user_id: user_id.to_owned(),
            user_name: call.user(home_tenant).and_then(|u| u.display_name),
            session_id: None,
            call_type: call.line_type(),
            start_date_time: call.start(),
            rating: call.rating(),
        }
    }
}

/// One escalation, whole.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    pub id: String,
    pub call: EscalatedCall,
    /// The helpdesk ticket it belongs to, if the specialist named one.
    pub ticket: Option<String>,
    pub state: EscalationState,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: Staff,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub claimed_at: Option<OffsetDateTime>,
    pub claimed_by: Option<Staff>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    pub resolved_by: Option<Staff>,
    /// Oldest first; the first is the opener's.
    pub notes: Vec<Note>,
}

impl Escalation {
    /// A new, open escalation `id` of `call`, with the note of `request`.
    pub fn open(
        id: String,
        request: EscalationRequest,
        call: EscalatedCall,
        opener: Staff,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            call,
            ticket: request.ticket,
            state: EscalationState::Open,
            opened_at: now,
            notes: vec![Note { at: now, author: opener.clone(), text: Some(request.note.0) }],
            opened_by: opener,
            claimed_at: None,
            claimed_by: None,
            resolved_at: None,
            resolved_by: None,
        }
    }

    /// Whether `staff` may read it and add notes: engineers and admins always, a specialist
    /// only if they opened it.
    pub fn visible_to(&self, staff: &Staff) -> bool {
        staff.role != Role::SupportSpecialist || self.opened_by.id == staff.id
    }

    /// Takes person `id` out (the right to erasure): if the call is theirs, the escalation no
    /// longer names them and every note's text goes (notes about a person are their data);
    /// wherever they acted, they become the placeholder and the text of their notes goes.
    /// Whether anything changed.
    pub fn erase_person(&mut self, id: &str) -> bool {
        let mut changed = false;
        let about_them = self.call.user_id == id;
        if about_them {
            self.call.user_id = ERASED_ID.to_owned();
            self.call.user_name = None;
            changed = true;
        }
        for staff in
            [Some(&mut self.opened_by), self.claimed_by.as_mut(), self.resolved_by.as_mut()].into_iter().flatten()
        {
            if staff.id == id {
                *staff = Staff::erased(staff.role);
                changed = true;
            }
        }
        for note in &mut self.notes {
            let theirs = note.author.id == id;
            if theirs {
                note.author = Staff::erased(note.author.role);
            }
            if (theirs || about_them) && note.text.is_some() {
                note.text = None;
                changed = true;
            }
            changed |= theirs;
        }
        changed
    }
}

/// A note's text, checked: not blank, at most [`MAX_NOTE_CHARS`] characters, no control
/// characters but line breaks and tabs. Otherwise exactly as the person wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteText(String);

impl NoteText {
    /// The text, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// What `POST /calls/{callId}/escalations` asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRequest {
    pub session_id: Option<String>,
    pub note: NoteText,
    pub ticket: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EscalationBody {
    session_id: Option<String>,
    note: String,
    ticket: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: String,
}

/// Reads `POST /calls/{callId}/escalations`' body: `{"sessionId"?, "note", "ticket"?}`.
pub fn parse_escalation(body: &[u8]) -> Result<EscalationRequest, Rejection> {
    let body: EscalationBody = read_json(body)?;
    let mut problems = Vec::new();
    let note = note_text(body.note, &mut problems);
    if let Some(ticket) = &body.ticket {
        text_problem("ticket", ticket, MAX_TICKET_CHARS, false, &mut problems);
    }
    if let Some(problem) = body.session_id.as_deref().and_then(super::ids::id_problem) {
        problems.push(Problem::invalid("sessionId", problem));
    }
    match note {
        Some(note) if problems.is_empty() => {
            Ok(EscalationRequest { session_id: body.session_id, note, ticket: body.ticket })
        }
        _ => Err(Rejection { problems }),
    }
}

/// Reads `POST /escalations/{id}/notes`' body: `{"note"}`.
pub fn parse_note(body: &[u8]) -> Result<NoteText, Rejection> {
    let body: NoteBody = read_json(body)?;
    let mut problems = Vec::new();
    note_text(body.note, &mut problems).ok_or(Rejection { problems })
}

fn note_text(text: String, problems: &mut Vec<Problem>) -> Option<NoteText> {
    let before = problems.len();
    text_problem("note", &text, MAX_NOTE_CHARS, true, problems);
    (problems.len() == before).then_some(NoteText(text))
}

/// Adds the problem with text field `path`, if any: blank, longer than `max` characters, or
/// holding control characters (line breaks and tabs allowed where `multiline`).
fn text_problem(path: &str, text: &str, max: usize, multiline: bool, problems: &mut Vec<Problem>) {
    let count = text.chars().count();
    let message = if text.trim().is_empty() {
        "must not be blank".to_owned()
    } else if count > max {
        format!("is {count} characters long; at most {max}")
    } else if text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        "must not contain control characters".to_owned()
    } else {
        return;
    };
    problems.push(Problem::invalid(path, message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::RoleNames;
    use std::collections::HashMap;
    use time::macros::datetime;

    const ADA: &str = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";

    fn staff(id: &str, role: Role) -> Staff {
        Staff { id: id.into(), name: Some(format!("{id}'s name")), role }
    }

    fn escalation() -> Escalation {
        let request = parse_escalation(br#"{"note":"Choppy audio","ticket":"INC-1","sessionId":"s1"}"#).unwrap();
        let now = datetime!(2026-11-25 12:00 UTC);
        let record = include_str!("../../../events/graph/meeting.json");
        let summary = crate::domain::calls::CallSummary::of(
            &crate::domain::graph::parse_calls(record.as_bytes(), now).unwrap()[0],
            now,
        );
        let opener = staff("tier1", Role::SupportSpecialist);
        let stored = StoredCall { summary, sessions: Vec::new(), results: None };
        let session = request.session_id.clone();
        let mut escalation =
            Escalation::open("e1".into(), request, EscalatedCall::of_call(&stored, ADA, session), opener, now);
        escalation.notes.push(Note {
            at: datetime!(2026-11-25 11:00 UTC),
            author: staff("tier2", Role::SupportEngineer),
            text: Some("On it".into()),
        });
        escalation.claimed_by = Some(staff("tier2", Role::SupportEngineer));
        escalation
    }

    #[test]
    fn notes_and_tickets_at_and_past_their_bounds() {
        let body = |note: &str, ticket: &str| serde_json::json!({ "note": note, "ticket": ticket }).to_string();
        assert!(parse_escalation(body(&"é".repeat(MAX_NOTE_CHARS), &"t".repeat(MAX_TICKET_CHARS)).as_bytes()).is_ok());
        let long = parse_escalation(body(&"é".repeat(MAX_NOTE_CHARS + 1), "T").as_bytes()).unwrap_err();
        assert_eq!(long.problems[0].path, "note");
        assert!(long.problems[0].message.contains("2001 characters"), "{:?}", long.problems);
        let ticket = parse_escalation(body("n", &"t".repeat(MAX_TICKET_CHARS + 1)).as_bytes()).unwrap_err();
        assert_eq!(ticket.problems[0].path, "ticket");
        for blank in ["", "  \n "] {
            assert_eq!(
                parse_note(serde_json::json!({ "note": blank }).to_string().as_bytes()).unwrap_err().problems[0]
                    .message,
                "must not be blank"
            );
        }
        assert!(parse_note(br#"{"note":"line one\nline two\ttabbed"}"#).is_ok());
        assert!(parse_note(br#"{"note":"bell\u0007"}"#).is_err());
        assert!(parse_escalation(br#"{"note":"n","ticket":"INC\n1"}"#).is_err(), "a ticket is one line");
    }

    #[test]
    fn hostile_text_is_kept_as_given() {
        let text = r#"<script>alert(1)</script> =HYPERLINK("http://x") @SUM(1)"#;
        let note = parse_note(serde_json::json!({ "note": text }).to_string().as_bytes()).unwrap();
        assert_eq!(note.into_inner(), text);
    }

    #[test]
    fn malformed_bodies_name_the_field_line_and_column() {
        let unknown = parse_escalation(b"{\n  \"note\": \"n\",\n  \"role\": \"admin\"\n}").unwrap_err();
        assert_eq!(unknown.problems[0].path, "role");
        assert_eq!((unknown.problems[0].line, unknown.problems[0].column), (Some(3), Some(8)));
        let wrong = parse_escalation(br#"{"note": 5}"#).unwrap_err();
        assert_eq!(wrong.problems[0].path, "note");
        assert_eq!(parse_note(b"not json").unwrap_err().problems[0].path, "$");
        assert_eq!(parse_escalation(br#"{"ticket":"T"}"#).unwrap_err().problems[0].path, "$", "note is required");
    }

    #[test]
    fn a_specialist_sees_only_what_they_opened() {
        let escalation = escalation();
        assert!(escalation.visible_to(&staff("tier1", Role::SupportSpecialist)));
        assert!(!escalation.visible_to(&staff("other", Role::SupportSpecialist)));
        assert!(escalation.visible_to(&staff("anyone", Role::SupportEngineer)));
        assert!(escalation.visible_to(&staff("anyone", Role::Admin)));
    }

    #[test]
    fn erasing_the_user_removes_every_note_and_erasing_an_author_their_own() {
        let mut about = escalation();
        assert_eq!(about.call.user_name.as_deref(), Some("Ada Lovelace"));
        assert!(about.erase_person(ADA));
        assert_eq!((about.call.user_id.as_str(), &about.call.user_name), (ERASED_ID, &None));
        assert!(about.notes.iter().all(|n| n.text.is_none()));
        assert_eq!(about.opened_by.id, "tier1", "the opener is someone else");
        assert!(!about.erase_person(ADA), "a second erasure changes nothing");

        let mut opener = escalation();
        assert!(opener.erase_person("tier1"));
        assert_eq!(opener.opened_by, Staff::erased(Role::SupportSpecialist));
        assert_eq!(opener.notes[0].text, None);
        assert_eq!(opener.notes[1].text.as_deref(), Some("On it"), "the engineer's note stays");
        assert_eq!(opener.claimed_by.as_ref().unwrap().id, "tier2");
        assert!(!opener.erase_person("nobody"));
    }

    #[test]
    fn an_author_needs_a_support_role_and_an_id() {
        let names = RoleNames::default();
        let claims = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let p = names
            .principal(Some(&claims(&[("sub", "s"), ("oid", "o"), ("name", "Sam"), ("roles", "[support-specialist]")])))
            .unwrap();
        assert_eq!(
            Staff::of(&p),
            Ok(Staff { id: "o".into(), name: Some("Sam".into()), role: Role::SupportSpecialist })
        );
        let ingest = names.principal(Some(&claims(&[("sub", "s"), ("roles", "[ingest]")]))).unwrap();
        assert_eq!(Staff::of(&ingest), Err(AuthError::Forbidden));
        let anonymous = names.principal(Some(&claims(&[("roles", "[admin]")]))).unwrap();
        assert_eq!(Staff::of(&anonymous), Err(AuthError::Unauthenticated));
    }

    #[test]
    fn transitions_name_where_they_start_and_end() {
        assert_eq!(Transition::Claim.from(), [EscalationState::Open]);
        assert_eq!(Transition::Resolve.to(), EscalationState::Resolved);
        assert_eq!(EscalationState::parse("claimed"), Some(EscalationState::Claimed));
        assert_eq!(EscalationState::parse("closed"), None);
    }
}
