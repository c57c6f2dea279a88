//! The Graph worker's phone-call poll end to end: the stand-in Graph (tools/dev) serves
//! `getPstnCalls` and `getDirectRoutingCalls` in small pages, the worker reads each log from
//! its watermark through the fleet's budget and stores the pages through the core of
//! `POST /pstn-calls`, on a moto table.

use callscope_core::app::connector::{Deadline, Outcome};
use callscope_core::domain::connector::phone_poll::{LAG, OVERLAP};
use callscope_core::domain::connector::{FleetBudget, Job, PhoneLog, Reading, Work};
use callscope_core::store::connector::PhoneWatermark;
use callscope_core::support::clock::rfc3339;
use callscope_dev::graph_standin::Behaviour;
use callscope_tests::connector::Connector;
use callscope_tests::samples::ADA;
use callscope_tests::{graph_record, post_calls};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use time::{Duration, OffsetDateTime};

/// A PSTN row of Ada's, `n` naming it, of a call that started at `start` and lasted a minute.
fn pstn(n: u32, start: OffsetDateTime) -> Value {
    json!({
        "id": format!("9c4984c7-6c3c-427d-a30c-{n:012}"),
        "callId": format!("1835317186_{n}@61.221.3.176"),
        "userId": ADA,
        "userPrincipalName": "ada@contoso.com",
        "userDisplayName": "Ada",
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(start + Duration::MINUTE),
        "duration": 60,
        "callType": "user_out",
        "callerNumber": "+14255550100",
        "calleeNumber": format!("+1425555{:04}", n % 10_000),
    })
}

/// A failed Direct Routing row of Ada's (SIP 404).
fn direct_routing(n: u32, start: OffsetDateTime) -> Value {
    json!({
        "id": format!("9e8bba57-dc14-533a-a7dd-{n:012}"),
        "correlationId": format!("c98e1515-a937-4b81-b8a8-{n:012}"),
        "userId": ADA,
        "userPrincipalName": "ada@contoso.com",
        "userDisplayName": "Ada",
        "startDateTime": rfc3339(start),
        "inviteDateTime": rfc3339(start),
        "failureDateTime": rfc3339(start + Duration::seconds(2)),
        "endDateTime": rfc3339(start + Duration::seconds(2)),
        "duration": 0,
        "callType": "ByotOut",
        "successfulCall": false,
        "callerNumber": "+14255550100",
        "calleeNumber": "+14255550404",
        "finalSipCode": 404,
        "callEndSubReason": 560404,
        "finalSipCodePhrase": "Not Found",
        "trunkFullyQualifiedDomainName": "sbc.contoso.com",
        "mediaBypassEnabled": false
    })
}

/// The connector with the stand-in's phone pages `page` rows long.
async fn connector(page: usize) -> Connector {
    Connector::new(Behaviour { phone_page: page, ..Default::default() }).await
}

/// Runs the poll job once by `deadline`.
async fn poll(connector: &Connector, deadline: Deadline) -> Outcome {
    connector.worker.run(Work::Job(Job::PhonePoll), connector.now(), deadline).await.unwrap()
}

async fn watermark(connector: &Connector, log: PhoneLog) -> Option<PhoneWatermark> {
    connector.pipeline.store().phone_watermark(log, connector.now()).await.unwrap()
}

/// The ids of Ada's history lines, newest first.
async fn history(connector: &Connector) -> Vec<String> {
    let now = connector.now();
    let page = connector.pipeline.store().user_history(ADA, (now - Duration::days(31), now), 100, None, now).await;
    page.unwrap().entries.into_iter().map(|e| e.call_id).collect()
}

fn phone_pages(connector: &Connector) -> u64 {
    connector.stand_in.stats.phone_pages.load(Ordering::Relaxed)
}

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

#[tokio::test]
async fn a_first_poll_reads_the_30_days_page_by_page_and_advances_each_watermark_to_its_window_end() {
    let mut connector = connector(2).await;
    let now = connector.now();
    // Five PSTN rows over the 30 days (the oldest a minute inside them), one older than the
    // 30 days, one in the lag (read by the next poll), and one Direct Routing row.
    let starts =
        [Duration::days(30) - minutes(1), Duration::days(20), Duration::days(3), Duration::hours(2), LAG + minutes(1)];
    let rows: Vec<Value> = starts.iter().zip(1..).map(|(ago, n)| pstn(n, now - *ago)).collect();
    connector.stand_in.publish_phone_rows(PhoneLog::Pstn, rows);
    connector
        .stand_in
        .publish_phone_rows(PhoneLog::Pstn, vec![pstn(90, now - Duration::days(30) - minutes(1)), pstn(91, now - LAG)]);
    connector.stand_in.publish_phone_rows(PhoneLog::DirectRouting, vec![direct_routing(1, now - Duration::hours(1))]);

    assert_eq!(poll(&connector, Deadline::after(connector.invocation)).await, Outcome::JobDone { queued: 6 });
    // Three pages of two for five PSTN rows, one for the Direct Routing row.
    assert_eq!(phone_pages(&connector), 4);
    for log in PhoneLog::ALL {
        let mark = watermark(&connector, log).await.unwrap();
        assert_eq!((mark.through, mark.reading), (Some(now - LAG), None), "{log:?}");
        assert_eq!(mark.expires_at, (now + Duration::days(30)).unix_timestamp());
    }
    let stored = history(&connector).await;
    assert_eq!(stored.len(), 6, "{stored:?}");
    assert!(!stored.iter().any(|id| id.ends_with("000000000090") || id.ends_with("000000000091")));
    connector.drain().await;
}

#[tokio::test]
async fn the_next_poll_reads_back_a_day_picks_up_a_late_row_and_stores_the_rows_read_again_once() {
    let connector = connector(3).await;
    let now = connector.now();
    connector
        .stand_in
        .publish_phone_rows(PhoneLog::Pstn, vec![pstn(1, now - Duration::hours(3)), pstn(2, now - Duration::days(2))]);
    poll(&connector, Deadline::after(connector.invocation)).await;
    assert_eq!(history(&connector).await.len(), 2);

    // 15 minutes later: a row of a call that started 20 hours before the watermark (a long call
    // that just ended), and one that started before the overlap (not read: the overlap's edge).
    connector.offset.fetch_add(15 * 60, Ordering::Relaxed);
    let through = now - LAG;
    connector.stand_in.publish_phone_rows(
        PhoneLog::Pstn,
        vec![pstn(3, through - Duration::hours(20)), pstn(4, through - OVERLAP - Duration::SECOND)],
    );
    let before = phone_pages(&connector);
    poll(&connector, Deadline::after(connector.invocation)).await;
    let stored = history(&connector).await;
    assert_eq!(stored.len(), 3, "the late row is stored, the row read again once: {stored:?}");
    assert!(stored.iter().any(|id| id.ends_with("000000000003")));
    assert!(!stored.iter().any(|id| id.ends_with("000000000004")));
    // The window [through − a day, now − lag) holds rows 1 and 3: one page of each log.
    assert_eq!(phone_pages(&connector) - before, 2);
    let mark = watermark(&connector, PhoneLog::Pstn).await.unwrap();
    assert_eq!(mark.through, Some(connector.now() - LAG));
}

#[tokio::test]
async fn a_poll_cut_off_by_its_deadline_keeps_the_watermark_and_goes_on_from_its_queue() {
    let mut connector = connector(2).await;
    let now = connector.now();
    let rows: Vec<Value> = (1..=3).map(|n| pstn(n, now - Duration::hours(i64::from(n)))).collect();
    connector.stand_in.publish_phone_rows(PhoneLog::Pstn, rows);
    // Less than twice the margin left: no page is asked for; the poll is queued to go on.
    assert_eq!(
        poll(&connector, Deadline::after(std::time::Duration::from_secs(1))).await,
        Outcome::JobDone { queued: 0 }
    );
    assert_eq!(phone_pages(&connector), 0);
    assert_eq!(watermark(&connector, PhoneLog::Pstn).await, None, "no window read whole yet");
    assert_eq!(connector.backfill.pending().await.unwrap(), 1);
    connector.drain().await;
    assert_eq!(history(&connector).await.len(), 3);
    assert_eq!(watermark(&connector, PhoneLog::Pstn).await.unwrap().through, Some(now - LAG));
}

#[tokio::test]
async fn a_poll_resumes_a_window_where_its_reading_stopped_and_only_then_advances_the_watermark() {
    let connector = connector(2).await;
    let now = connector.now();
    let rows: Vec<Value> = (1..=5).map(|n| pstn(n, now - Duration::hours(i64::from(n)))).collect();
    connector.stand_in.publish_phone_rows(PhoneLog::Pstn, rows);
    // A reading cut off after its first page (rows 1 and 2, stored then), through a day ago.
    let (from, to) = (now - Duration::days(2), now - minutes(30));
    let graph = &connector.worker.graph;
    let first =
        graph.phone_page(PhoneLog::Pstn, from, to, None, OffsetDateTime::now_utc() + Duration::MINUTE).await.unwrap();
    let link = first["@odata.nextLink"].as_str().unwrap().to_owned();
    let reading = Reading { from, to, next_link: Some(link) };
    let store = connector.pipeline.store();
    assert!(
        store
            .save_phone_watermark(PhoneLog::Pstn, Some(now - Duration::days(1)), Some(reading.clone()), 7, now)
            .await
            .unwrap()
    );
    // A second writer of the same version loses.
    assert!(!store.save_phone_watermark(PhoneLog::Pstn, None, None, 7, now).await.unwrap());

    let before = phone_pages(&connector);
    poll(&connector, Deadline::after(connector.invocation)).await;
    // Pages two and three of the PSTN window; the Direct Routing log's first poll, one page.
    assert_eq!(phone_pages(&connector) - before, 3);
    let stored = history(&connector).await;
    assert_eq!(stored.len(), 3, "rows 3 to 5 only (the first page was stored by the run cut off): {stored:?}");
    let mark = watermark(&connector, PhoneLog::Pstn).await.unwrap();
    assert_eq!((mark.through, mark.reading, mark.version), (Some(to), None, 9));
}

#[tokio::test]
async fn throttled_pages_are_waited_for_and_every_request_takes_the_fleets_backfill_budget() {
    let mut connector = Connector::new(Behaviour { phone_page: 1, throttle_percent: 30, ..Default::default() }).await;
    // One backfill request per 2-second window for the whole fleet.
    connector.worker.budget = FleetBudget { window: Duration::seconds(2), live: 10, backfill: 1 };
    let now = connector.now();
    let rows: Vec<Value> = (1..=3).map(|n| pstn(n, now - Duration::hours(i64::from(n)))).collect();
    connector.stand_in.publish_phone_rows(PhoneLog::Pstn, rows);
    connector.stand_in.publish_phone_rows(PhoneLog::DirectRouting, vec![direct_routing(1, now - Duration::hours(1))]);
    let started = std::time::Instant::now();
    connector.worker.dispatch.job(Job::PhonePoll, now).await.unwrap();
    connector.drain().await;
    assert_eq!(history(&connector).await.len(), 4);
    let stats = &connector.stand_in.stats;
    assert!(stats.throttled.load(Ordering::Relaxed) > 0, "some pages were throttled");
    // Four pages served at one a window (a throttled try is retried by the client within its
    // grant): between the first grant and the fourth, at least two whole windows.
    assert_eq!(phone_pages(&connector), 4);
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "{:?}", started.elapsed());
    for log in PhoneLog::ALL {
        assert_eq!(watermark(&connector, log).await.unwrap().through, Some(now - LAG));
    }
}

#[tokio::test]
async fn rows_ingest_refuses_are_left_out_and_the_rest_of_the_page_is_stored() {
    let connector = connector(10).await;
    let now = connector.now();
    let mut broken = pstn(2, now - Duration::hours(2));
    broken["startDateTime"] = json!(rfc3339(now - Duration::hours(2)));
    broken["endDateTime"] = json!("not a time");
    // A row taking a stored Teams call's id is refused only once the page parses: a later round.
    let teams_call = graph_record("p2p-pstn.json")["id"].as_str().unwrap().to_owned();
    post_calls(&connector.pipeline.ingest, &graph_record("p2p-pstn.json")).await;
    let mut taken = pstn(4, now - Duration::hours(4));
    taken["id"] = json!(teams_call);
    connector.stand_in.publish_phone_rows(
        PhoneLog::Pstn,
        vec![pstn(1, now - Duration::hours(1)), broken, pstn(3, now - Duration::hours(3)), taken],
    );
    poll(&connector, Deadline::after(connector.invocation)).await;
    let stored: Vec<_> = history(&connector).await.into_iter().filter(|id| id.starts_with("9c4984c7-")).collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(!stored.iter().any(|id| id.ends_with("000000000002")));
    assert!(
        connector.pipeline.store().phone_row(&teams_call, now).await.unwrap().is_none(),
        "the Teams call keeps its id"
    );
    assert_eq!(watermark(&connector, PhoneLog::Pstn).await.unwrap().through, Some(now - LAG), "the poll is not wedged");
}

#[tokio::test]
async fn the_schedule_queues_one_poll_on_the_backfill_queue_however_often_it_fires() {
    let mut connector = connector(1000).await;
    let now = connector.now();
    connector.stand_in.publish_phone_rows(PhoneLog::DirectRouting, vec![direct_routing(1, now - Duration::hours(1))]);
    let scheduled: ingest::worker::Invocation = serde_json::from_str(r#"{"job": {"kind": "phonePoll"}}"#).unwrap();
    let deadline = Deadline::after(connector.invocation);
    ingest::worker::handle(&connector.worker, &connector.clock(), scheduled, deadline).await.unwrap();
    let again: ingest::worker::Invocation = serde_json::from_str(r#"{"job": {"kind": "phonePoll"}}"#).unwrap();
    ingest::worker::handle(&connector.worker, &connector.clock(), again, deadline).await.unwrap();
    assert_eq!(phone_pages(&connector), 0, "queued, not run in the schedule's invocation");
    assert_eq!(connector.backfill.pending().await.unwrap(), 1, "once: its GRAPHJOB#phonePoll marker");
    assert_eq!(connector.live.pending().await.unwrap(), 0);
    connector.drain().await;
    assert_eq!(history(&connector).await.len(), 1);
}

#[tokio::test]
async fn a_page_that_links_to_itself_ends_the_window_instead_of_being_read_for_ever() {
    let connector =
        Connector::new(Behaviour { phone_page: 1, phone_page_links_itself: true, ..Default::default() }).await;
    let now = connector.now();
    connector
        .stand_in
        .publish_phone_rows(PhoneLog::Pstn, (1..=3).map(|n| pstn(n, now - Duration::hours(n.into()))).collect());
    poll(&connector, Deadline::after(connector.invocation)).await;
    // The Direct Routing log's one empty page, the PSTN log's first page and its link once.
    assert_eq!(phone_pages(&connector), 3);
    assert_eq!(history(&connector).await.len(), 1, "the first row, read twice, stored once");
    assert_eq!(watermark(&connector, PhoneLog::Pstn).await.unwrap().through, Some(now - LAG), "the poll is not wedged");
}
