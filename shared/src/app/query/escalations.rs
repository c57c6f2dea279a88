//! The tier 1 → tier 2 handoff: `POST /calls/{callId}/escalations`, `GET /escalations`,
//! `GET /escalations/{id}`, `POST /escalations/{id}/notes|claim|resolve`. Every read and change
//! is audited first (fail-closed, as the other reads); refusals are counted.
//!
//! An erasure's marker holds here as on every write path: who is marked erased before a write
//! is written as the placeholder, and who is marked while it is written is taken out of it after.

use super::{AppError, ListPage, Paging, Query};
use crate::app::authorize::audited;
use crate::domain::access::{AuditAction, AuditEvent, CursorScope, Principal, Role};
use crate::domain::escalation::EscalatedCall;
use crate::domain::escalation::{
    Escalation, EscalationState, MAX_NOTES, Note, Staff, Transition, parse_escalation, parse_note,
};
use crate::domain::idempotency::{IDEMPOTENCY_KEY_HEADER, IdempotencyKey, KeyedRequest, Repeat};
use crate::domain::problem::{Problem, Rejection};
use crate::domain::views::{
    Audience, ByRole, EngineerEscalation, EngineerEscalationRow, SpecialistEscalation, SpecialistEscalationRow,
    escalation_row, escalation_view, escalations_csv,
};
use crate::store::Stored;
use crate::store::{Erasures, Page, covers};
use sha2::{Digest, Sha256};

/// An escalation in the caller's view.
pub type EscalationDetail = ByRole<SpecialistEscalation, EngineerEscalation>;

/// A page of escalations in the caller's view.
pub type EscalationList = ByRole<ListPage<SpecialistEscalationRow>, ListPage<EngineerEscalationRow>>;

impl EscalationList {
    /// The page as CSV (`GET /escalations?format=csv`), in the same view.
    pub fn to_csv(&self) -> String {
        self.render(escalations_csv, escalations_csv)
    }
}

/// Which escalations a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationFilter {
    /// Tier 2's queue of one state (engineers and admins).
    State(EscalationState),
    /// The ones the caller opened (any support role).
    Mine,
}

impl Query<'_> {
    /// Escalates call `call_id` as `user_id` took part in it, with the note of `body`. The
    /// caller must be allowed to see that call for that user, as for its detail. A repeat under
    /// the same `key` answers with the escalation the first created.
    pub async fn escalate(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
        body: &[u8],
        key: Option<&IdempotencyKey>,
    ) -> Result<EscalationDetail, AppError> {
        let mut refused = self.event(principal, AuditAction::Escalate).call(call_id);
        refused.target_user = user_id.map(str::to_owned);
        let staff = self.staff_audited(principal, refused).await?;
        let user_id = super::call_of_user(call_id, user_id)?;
        let request = parse_escalation(body)?;
        let keyed = key.map(|key| KeyedRequest::new(&staff.id, key, "escalate", &[call_id, user_id], body));
        let event = self.event(principal, AuditAction::Escalate).user(user_id).call(call_id);
        let (stored, audit, before, repeat) = tokio::join!(
            self.store.stored_call(call_id, self.now),
            self.audit(event),
            self.store.erasures_among([user_id, staff.id.as_str()]),
            self.repeated(principal, &staff, keyed.as_ref())
        );
        audit?;
        if let Some(answer) = repeat? {
            return Ok(answer);
        }
        let (stored, before) = (stored?, before?);
        let stored = stored
            .filter(|s| s.involves(user_id, self.home_tenant))
            .filter(|s| before.get(user_id).is_none_or(|erased| !covers(*erased, s.start())))
            .ok_or(AppError::NotFound("call"))?;
        let session_id = request.session_id.clone();
        let call = match &stored {
            Stored::Call(call)
                if session_id.as_ref().is_none_or(|id| call.sessions.iter().any(|s| s.id.as_ref() == Some(id))) =>
            {
                EscalatedCall::of_call(call, user_id, session_id)
            }
            Stored::Phone(row) if session_id.is_none() => {
                EscalatedCall::of_phone(&row.phone, user_id, self.home_tenant)
            }
            _ => {
                let problem = Problem::unacceptable("sessionId", "is not a session of this call");
                return Err(Rejection { problems: vec![problem] }.into());
            }
        };
        let opener = as_written(staff.clone(), &before);
        let id = self.new_escalation_id(call_id, user_id);
        let escalation = Escalation::open(id, request, call, opener, self.now);
        let created = self.store.create_escalation(&escalation, stored.expires_at(), keyed.as_ref()).await?;
        if !created {
            if let Some(answer) = self.repeated(principal, &staff, keyed.as_ref()).await? {
                return Ok(answer);
            }
            tracing::info!("a repeated escalation request found its escalation already stored");
        }
        let (id, opener) = (escalation.id.clone(), escalation.opened_by.id.clone());
        self.settled(principal, &id, &[user_id, opener.as_str()], &before, created.then_some(escalation)).await
    }

    /// One page of escalations, newest first: a state's queue (engineers and admins; one Query
    /// per page), or the caller's own.
    pub async fn escalations(
        &self,
        principal: &Principal,
        filter: EscalationFilter,
        paging: &Paging,
    ) -> Result<EscalationList, AppError> {
        let event = self.event(principal, AuditAction::Escalations);
        let staff = self.staff_audited(principal, event.clone()).await?;
        if let EscalationFilter::State(_) = filter {
            audited(self.store, principal.require_any(&[Role::SupportEngineer, Role::Admin]), &event).await?;
        }
        let audience = Audience::of(principal)?;
        let scope = match filter {
            EscalationFilter::State(state) => {
                CursorScope::Escalations { state: state.name(), opener: "", view: audience }
            }
            EscalationFilter::Mine => CursorScope::Escalations { state: "", opener: &staff.id, view: audience },
        };
        let position = self.position(scope, paging)?;
        let start = position.as_ref().map(|p| p.key.clone());
        let returned = position.map_or(0, |p| p.returned);
        let read = async {
            match filter {
                EscalationFilter::State(state) => {
                    self.store.escalation_queue(state, paging.limit, start.as_ref(), self.now).await
                }
                EscalationFilter::Mine => {
                    self.store.escalations_opened_by(&staff.id, paging.limit, start.as_ref(), self.now).await
                }
            }
        };
        let (page, audit) = tokio::join!(read, self.audit(event));
        audit?;
        let Page { entries, last_key } = page?;
        let next_cursor = self.next_cursor(scope, last_key, returned + entries.len() as u32);
        Ok(match audience {
            Audience::Specialist => ByRole::Specialist(ListPage {
                items: entries.iter().map(|e| escalation_row(e, &staff.id)).collect(),
                next_cursor,
            }),
            Audience::Engineer => ByRole::Engineer(ListPage {
                items: entries.iter().map(|e| escalation_row(e, &staff.id)).collect(),
                next_cursor,
            }),
        })
    }

    /// Escalation `id` with its notes; a specialist sees only the ones they opened.
    pub async fn escalation(&self, principal: &Principal, id: &str) -> Result<EscalationDetail, AppError> {
        let event = self.event(principal, AuditAction::Escalation).escalation(id);
        let staff = self.staff_audited(principal, event.clone()).await?;
        AppError::check_id("id", id)?;
        let (item, audit) = tokio::join!(self.store.escalation(id, self.now), self.audit(event));
        audit?;
        let item = item?.filter(|i| i.escalation.visible_to(&staff)).ok_or(AppError::NotFound("escalation"))?;
        Ok(self.detail_view(principal, &item.escalation))
    }

    /// Adds the note of `body` to escalation `id`: engineers and admins, and its opener. A
    /// repeat under the same `key` adds nothing and answers with the escalation as it is.
    pub async fn add_note(
        &self,
        principal: &Principal,
        id: &str,
        body: &[u8],
        key: Option<&IdempotencyKey>,
    ) -> Result<EscalationDetail, AppError> {
        let event = self.event(principal, AuditAction::EscalationNote).escalation(id);
        let staff = self.staff_audited(principal, event.clone()).await?;
        AppError::check_id("id", id)?;
        let text = parse_note(body)?;
        let keyed = key.map(|key| KeyedRequest::new(&staff.id, key, "note", &[id], body));
        let (item, audit, repeat) = tokio::join!(
            self.store.escalation(id, self.now),
            self.audit(event),
            self.repeated(principal, &staff, keyed.as_ref())
        );
        audit?;
        if let Some(answer) = repeat? {
            return Ok(answer);
        }
        let item = item?.filter(|i| i.escalation.visible_to(&staff)).ok_or(AppError::NotFound("escalation"))?;
        if item.escalation.notes.len() >= MAX_NOTES {
            return Err(full());
        }
        let people = [staff.id.clone(), item.escalation.call.user_id];
        let before = self.store.erasures_among(people.iter().map(String::as_str)).await?;
        let note = Note { at: self.now, author: as_written(staff.clone(), &before), text: Some(text.into_inner()) };
        if !self.store.add_note(id, item.expires_at, &note, keyed.as_ref(), self.now).await? {
            if let Some(answer) = self.repeated(principal, &staff, keyed.as_ref()).await? {
                return Ok(answer);
            }
            return Err(self.lost_note(id).await);
        }
        let people = [people[0].as_str(), people[1].as_str()];
        self.settled(principal, id, &people, &before, None).await
    }

    /// Claims or resolves escalation `id` (engineers and admins): `409` if it is no longer in a
    /// state the change starts from, so of two engineers claiming at once, one wins; the winner
    /// asking again gets their claim back.
    pub async fn change_escalation(
        &self,
        principal: &Principal,
        id: &str,
        transition: Transition,
    ) -> Result<EscalationDetail, AppError> {
        let action = match transition {
            Transition::Claim => AuditAction::EscalationClaim,
            Transition::Resolve => AuditAction::EscalationResolve,
        };
        let event = self.event(principal, action).escalation(id);
        let staff = self.staff_audited(principal, event.clone()).await?;
        audited(self.store, principal.require_any(&[Role::SupportEngineer, Role::Admin]), &event).await?;
        AppError::check_id("id", id)?;
        let (audit, before, current) = tokio::join!(
            self.audit(event),
            self.store.erasures_among([staff.id.as_str()]),
            self.store.escalation(id, self.now)
        );
        audit?;
        let before = before?;
        let staff = as_written(staff, &before);
        let expires_at = current?.ok_or(AppError::NotFound("escalation"))?.expires_at;
        if self.store.transition_escalation(id, expires_at, transition, &staff, self.now).await? {
            return self.settled(principal, id, &[staff.id.as_str()], &before, None).await;
        }
        // The same change by the same person already holds (a retry whose first answer was
        // lost): it is theirs, and answered as such, its pointer written again in case the first
        // attempt's was what got lost. Anything else is a conflict.
        let current = self.store.escalation(id, self.now).await?.ok_or(AppError::NotFound("escalation"))?;
        let by = match transition {
            Transition::Claim => current.escalation.claimed_by.as_ref(),
            Transition::Resolve => current.escalation.resolved_by.as_ref(),
        };
        if current.escalation.state == transition.to() && by.is_some_and(|by| *by == staff) {
            self.store.touch_escalation(&staff, id, current.expires_at).await?;
            return Ok(self.detail_view(principal, &current.escalation));
        }
        let verb = if transition == Transition::Claim { "claimed" } else { "resolved" };
        Err(AppError::Conflict(format!(
            "the escalation is {}; it cannot be {verb} now",
            current.escalation.state.name()
        )))
    }

    /// The caller as the author of a write; a caller without a support role (or without an id)
    /// is refused, and the refusal audited.
    async fn staff_audited(&self, principal: &Principal, event: AuditEvent) -> Result<Staff, AppError> {
        audited(self.store, Staff::of(principal), &event).await
    }

    /// The answer to a repeat of `keyed`, the request under an `Idempotency-Key`: the escalation
    /// its first send created or added to, as it is now, in `staff`'s view. `None` if there is
    /// no key or it is new; `422` if the key was used for another request.
    async fn repeated(
        &self,
        principal: &Principal,
        staff: &Staff,
        keyed: Option<&KeyedRequest>,
    ) -> Result<Option<EscalationDetail>, AppError> {
        let Some(keyed) = keyed else { return Ok(None) };
        let Some(record) = self.store.key_record(&keyed.scope, self.now).await? else { return Ok(None) };
        let Repeat::Same(id) = keyed.repeat_of(&record) else {
            let problem = Problem::unacceptable(
                IDEMPOTENCY_KEY_HEADER,
                "was used for a different request (another body, route, call or escalation); send a new key",
            );
            return Err(Rejection { problems: vec![problem] }.into());
        };
        tracing::info!("a repeated request was answered from its idempotency key");
        let item = self.store.escalation(&id, self.now).await?;
        let item = item.filter(|i| i.escalation.visible_to(staff)).ok_or(AppError::NotFound("escalation"))?;
        Ok(Some(self.detail_view(principal, &item.escalation)))
    }

    /// The answer to a write that left escalation `id` as `written` (`None`: as stored): each
    /// of `people` whose erasure was asked for while it was written (not as in `before`) is
    /// taken out of it first, and then it is read again.
    async fn settled(
        &self,
        principal: &Principal,
        id: &str,
        people: &[&str],
        before: &Erasures,
        written: Option<Escalation>,
    ) -> Result<EscalationDetail, AppError> {
        let late = self.store.erasures_among(people.iter().copied()).await?;
        let mut changed = false;
        // Each request counts: a person asked for again while this was written is taken out too.
        for person in late.iter().filter(|(p, at)| before.get(*p) != Some(*at)).map(|(p, _)| p) {
            tracing::info!("an erasure landed while an escalation was written; taking the person out again");
            self.store.erase_from_escalation(id, person).await?;
            changed = true;
        }
        let escalation = match written.filter(|_| !changed) {
            Some(escalation) => escalation,
            None => self.store.escalation(id, self.now).await?.ok_or(AppError::NotFound("escalation"))?.escalation,
        };
        Ok(self.detail_view(principal, &escalation))
    }

    /// Why a note could not be added to escalation `id`: it is gone (`404`), or full (`409`).
    async fn lost_note(&self, id: &str) -> AppError {
        match self.store.escalation(id, self.now).await {
            Ok(Some(_)) => full(),
            Ok(None) => AppError::NotFound("escalation"),
            Err(error) => error.into(),
        }
    }

    /// `escalation` in `principal`'s view.
    fn detail_view(&self, principal: &Principal, escalation: &Escalation) -> EscalationDetail {
        let reader = principal.person_id().unwrap_or_default();
        match Audience::of(principal) {
            Ok(Audience::Engineer) => ByRole::Engineer(escalation_view(escalation, reader)),
            _ => ByRole::Specialist(escalation_view(escalation, reader)),
        }
    }

    /// A new escalation's id: 128 bits of a hash over this request's id (unique per request, so
    /// a repeated request finds its escalation rather than opening a second), the call and the
    /// user. Without a request id, the request's time and a per-process counter stand in for it.
    fn new_escalation_id(&self, call_id: &str, user_id: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let request = if self.request_id.is_empty() {
            let count = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("{}|{}|{count}", self.now.unix_timestamp_nanos(), std::process::id())
        } else {
            self.request_id.to_owned()
        };
        let seed = format!("{request}|{call_id}|{user_id}");
        Sha256::digest(seed.as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `staff` as a write records them: the placeholder if they are marked erased.
fn as_written(staff: Staff, erased: &Erasures) -> Staff {
    if erased.contains_key(&staff.id) { Staff::erased(staff.role) } else { staff }
}

/// The refusal of a note past [`MAX_NOTES`].
fn full() -> AppError {
    AppError::Conflict(format!("the escalation holds {MAX_NOTES} notes, as many as it can"))
}
