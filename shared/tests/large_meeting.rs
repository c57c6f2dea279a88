//! A meeting at any size, as the helpdesk's views show it: the detail of a 25,000-session
//! meeting stays under 1 MB in every role and holds the user's own sessions; pages of sessions
//! and of participants partition the call, with no repeats, in every role and for every filter.

use callscope_core::domain::calls::{CallSummary, StoredCall};
use callscope_core::domain::classify::{Rating, Thresholds, classify_sessions};
use callscope_core::domain::graph::parse_calls;
use callscope_core::domain::sites::Sites;
use callscope_core::domain::views::detail::{
    INLINE_SESSIONS, SessionFilter, SessionView, SessionsIncluded, participant_page, session_page,
};
use callscope_core::domain::views::{
    EngineerCall, EngineerParty, EngineerSession, PartyView, SessionOverview, SpecialistCall, SpecialistParty, Viewer,
    call_detail,
};
use callscope_core::support::fixtures::{self, HOME_TENANT};
use proptest::prelude::*;
use serde::Serialize;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

/// A rated meeting of `sessions` participants, one session each.
fn meeting(sessions: usize) -> StoredCall {
    let record = fixtures::call_json("town-hall", 1, sessions, 1, NOW - time::Duration::hours(2));
    let call = parse_calls(record.to_string().as_bytes(), NOW).unwrap().remove(0);
    let summary = CallSummary::of(&call, NOW);
    let sessions = call.record().sessions.clone();
    let result = classify_sessions(&sessions, &Thresholds::default());
    let summary = CallSummary { rating: result.rating, issue_codes: result.issue_codes, ..summary };
    StoredCall { summary, sessions, results: Some(result.sessions) }
}

fn json_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).unwrap().len()
}

#[test]
fn a_25000_session_meetings_detail_holds_the_users_own_sessions_under_a_megabyte() {
    let stored = meeting(25_000);
    let user = fixtures::user_id(7_777);
    let viewer = Viewer { searched_user: &user, home_tenant: HOME_TENANT };
    let sites = Sites::default();
    let specialist: SpecialistCall = call_detail(&stored, &viewer, &sites);
    let engineer: EngineerCall = call_detail(&stored, &viewer, &sites);
    for (size, detail) in [
        (json_len(&specialist), serde_json::to_value(&specialist).unwrap()),
        (json_len(&engineer), serde_json::to_value(&engineer).unwrap()),
    ] {
        assert!(size < 1_000_000, "{size} bytes");
        assert_eq!(
            (detail["sessionCount"].as_u64(), detail["participantCount"].as_u64()),
            (Some(25_000), Some(25_000))
        );
        assert_eq!(detail["sessionsIncluded"], "own");
        let sessions = detail["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 1, "Ada's one session of the 25,000");
        assert_eq!((sessions[0]["index"].as_u64(), sessions[0]["id"].as_str()), (Some(7_777), Some("town-hall-s7777")));
        let counts = &detail["sessionRatings"];
        let total: u64 = ["good", "poor", "unavailable"].iter().map(|r| counts[r].as_u64().unwrap()).sum();
        assert_eq!(total, 25_000);
        assert_eq!(detail["participantsComplete"], false);
        assert_eq!(detail["participants"].as_array().unwrap().len(), 2, "the organizer and the user");
    }
    // A page of sessions, at the largest limit, fits too.
    let filter = SessionFilter { rating: None, start: 0, limit: 100 };
    let (page, next): (Vec<EngineerSession>, _) =
        session_page(&stored.summary, &viewer, &sites, &filter.select(&stored), filter.limit);
    assert!(json_len(&page) < 1_000_000 && next.is_some());
}

#[test]
fn a_session_of_a_thousand_segments_shows_its_first_ones_within_budget_in_every_role() {
    // The sample phone call, its session made 1,000 segments (the most a session may hold) of
    // three media each: 2 MB of JSON, a view of ~9 MB if every segment were shown.
    let mut record: serde_json::Value = serde_json::from_str(include_str!("../../events/graph/p2p-pstn.json")).unwrap();
    let sessions = record["sessions"].as_array_mut().unwrap();
    sessions.truncate(1);
    let mut segment = sessions[0]["segments"][0].clone();
    let media = segment["media"][0].clone();
    segment["media"] = serde_json::json!([media.clone(), media.clone(), media]);
    sessions[0]["segments"] = serde_json::Value::Array(vec![segment; 1_000]);
    let call = parse_calls(record.to_string().as_bytes(), NOW).expect("a legal record").remove(0);
    let summary = CallSummary::of(&call, NOW);
    let sessions = call.record().sessions.clone();
    let result = classify_sessions(&sessions, &Thresholds::default());
    let stored = StoredCall { summary, sessions, results: Some(result.sessions) };
    let ada = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";
    let viewer = Viewer { searched_user: ada, home_tenant: HOME_TENANT };
    let specialist: SpecialistCall = call_detail(&stored, &viewer, &Sites::default());
    let engineer: EngineerCall = call_detail(&stored, &viewer, &Sites::default());
    for detail in [serde_json::to_value(&specialist).unwrap(), serde_json::to_value(&engineer).unwrap()] {
        let size = detail.to_string().len();
        assert!(size < 1_000_000, "{size} bytes");
        let session = &detail["sessions"][0];
        let shown = session["segmentsShown"].as_u64().expect("not every segment shown");
        assert_eq!(session["segmentCount"], 1_000);
        assert!(shown > 1 && shown < 1_000, "{shown}");
        let last = session["metrics"].as_array().unwrap().iter().filter_map(|m| m["segment"].as_u64()).max();
        assert_eq!(last, Some(shown - 1), "metrics of the segments shown only");
        if let Some(timeline) = session["timeline"].as_array() {
            assert_eq!(timeline.len() as u64, shown);
        }
    }
}

#[test]
fn a_small_calls_detail_still_holds_every_session() {
    let stored = meeting(INLINE_SESSIONS);
    let user = fixtures::user_id(3);
    let viewer = Viewer { searched_user: &user, home_tenant: HOME_TENANT };
    let detail: SpecialistCall = call_detail(&stored, &viewer, &Sites::default());
    assert_eq!(
        (detail.sessions_included, detail.sessions.len(), detail.more_sessions),
        (SessionsIncluded::All, 50, false)
    );
    assert!(detail.participants_complete);
    assert!(detail.sessions.iter().all(|s| s.segments_shown.is_none()), "every segment of an ordinary session");
}

/// Every page of sessions of `stored` in the view `S` for `rating`, `limit` a page: the
/// indexes they hold, in order.
fn paged_indexes<S: SessionView>(
    stored: &StoredCall,
    viewer: &Viewer,
    rating: Option<Rating>,
    limit: usize,
) -> Vec<usize> {
    let (mut indexes, mut start) = (Vec::new(), Some(0));
    while let Some(at) = start {
        let filter = SessionFilter { rating, start: at, limit };
        let (page, next): (Vec<S>, _) =
            session_page(&stored.summary, viewer, &Sites::default(), &filter.select(stored), limit);
        assert!(page.len() <= limit && (next.is_none() || !page.is_empty()), "every page but the last is non-empty");
        indexes.extend(page.iter().map(|s| serde_json::to_value(s).unwrap()["index"].as_u64().unwrap() as usize));
        start = next;
    }
    indexes
}

/// Every page of participants in the view `P`: their labels, in order.
fn paged_parties<P: PartyView>(stored: &StoredCall, viewer: &Viewer, limit: usize) -> usize {
    let (mut count, mut start) = (0, Some(0));
    while let Some(at) = start {
        let (page, next): (Vec<P>, _) = participant_page(&stored.summary, viewer, at, limit);
        count += page.len();
        start = next;
    }
    count
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn pages_partition_the_sessions_in_every_role(limit in 1usize..=100, filter in 0usize..4, user in 0usize..300) {
        let stored = meeting(300);
        let user = fixtures::user_id(user);
        let viewer = Viewer { searched_user: &user, home_tenant: HOME_TENANT };
        let rating = [None, Some(Rating::Good), Some(Rating::Poor), Some(Rating::Unavailable)][filter];
        let results = stored.results.as_ref().unwrap();
        let expected: Vec<usize> = (0..300).filter(|&i| rating.is_none_or(|r| results[i].rating == r)).collect();
        prop_assert_eq!(&paged_indexes::<SessionOverview<SpecialistParty>>(&stored, &viewer, rating, limit), &expected);
        prop_assert_eq!(&paged_indexes::<EngineerSession>(&stored, &viewer, rating, limit), &expected);
        prop_assert_eq!(paged_parties::<SpecialistParty>(&stored, &viewer, limit), 300);
        prop_assert_eq!(paged_parties::<EngineerParty>(&stored, &viewer, limit), 300);
    }
}
