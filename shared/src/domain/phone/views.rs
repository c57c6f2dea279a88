//! A phone-call row as each role may see it (the role table in `docs/api.md`): both numbers
//! masked for everyone, tier 1 the outcome and the cause in plain words, tier 2 also the SIP
//! story and the trunk, admins also the charges. Three types, so a specialist's answer cannot
//! carry an engineer's field even by mistake.

use super::call::{Direction, Outcome, PhoneCall};
use super::row::PhoneRow;
use super::sip::{SentBy, SipCauses};
use crate::domain::calls::LineType;
use crate::domain::classify::{IssueCode, Rating};
use crate::domain::views::party::{EngineerParty, MaskedPhone, PartyView, SpecialistParty, Viewer};
use serde::Serialize;
use time::OffsetDateTime;

/// What every role sees of a phone call; `P` is how the role shows a party.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOverview<P> {
    call_id: String,
    #[serde(rename = "type")]
    line_type: LineType,
    direction: Direction,
    #[serde(with = "time::serde::rfc3339")]
    start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    end_date_time: OffsetDateTime,
    duration_seconds: i64,
    user: Option<P>,
    counterpart: Option<P>,
    caller_number: Option<MaskedPhone>,
    callee_number: Option<MaskedPhone>,
    outcome: Outcome,
    rating: Rating,
    issue_codes: Vec<IssueCode>,
    /// One sentence: connected (and for how long) or not.
    summary: String,
    /// Why it did not connect, in plain words (a failed call only).
    main_cause: Option<String>,
}

/// A support specialist's phone call: the overview, nothing of the network.
pub type SpecialistPhoneCall = PhoneOverview<SpecialistParty>;

/// The final SIP response of a Direct Routing call, in SIP terms.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SipView {
    code: Option<i64>,
    phrase: Option<String>,
    sub_reason: Option<i64>,
    from: Option<SentBy>,
    explanation: Option<String>,
}

/// A support engineer's phone call: the overview with every field of the row but the charges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineerPhoneCall {
    #[serde(flatten)]
    overview: PhoneOverview<EngineerParty>,
    #[serde(flatten)]
    network: PhoneNetwork,
}

/// The phone network's side of a call: the trunk and the SIP story (Direct Routing), the
/// destination, licence and operator (PSTN).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhoneNetwork {
    sip: Option<SipView>,
    trunk_fqdn: Option<String>,
    media_path_location: Option<String>,
    signaling_location: Option<String>,
    media_bypass_enabled: Option<bool>,
    correlation_id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    invite_date_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    failure_date_time: Option<OffsetDateTime>,
    /// Graph's `callType` as it is (`ByotOut`, `user_in`).
    graph_call_type: Option<String>,
    destination_name: Option<String>,
    destination_context: Option<String>,
    usage_country_code: Option<String>,
    tenant_country_code: Option<String>,
    license_capability: Option<String>,
    inventory_type: Option<String>,
    operator: Option<String>,
    call_duration_source: Option<String>,
    conference_id: Option<String>,
    /// A PSTN row's telephony `callId`.
    telephony_call_id: Option<String>,
}

/// An admin's phone call: the engineer's, with what a PSTN call cost.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminPhoneCall {
    #[serde(flatten)]
    engineer: EngineerPhoneCall,
    charge: Option<f64>,
    connection_charge: Option<f64>,
    currency: Option<String>,
}

/// A phone call in the view of the caller's role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PhoneView {
    Specialist(SpecialistPhoneCall),
    Engineer(EngineerPhoneCall),
    Admin(AdminPhoneCall),
}

/// "3 min 39 s", "1 h 2 min", "5 s".
fn spoken(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) if s == 0 => format!("{m} min"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min"),
    }
}

impl<P: PartyView> PhoneOverview<P> {
    /// What `viewer`'s role sees of `call` whatever the role, causes read from `causes`.
    pub fn of(call: &PhoneCall, viewer: &Viewer, causes: &SipCauses, home_tenant: &str) -> Self {
        let (caller, callee) = call.numbers();
        let outcome = call.outcome();
        let (summary, main_cause) = match (outcome, call.row()) {
            (Outcome::Failed, PhoneRow::DirectRouting(r)) => (
                "Did not connect.".to_owned(),
                Some(causes.cause(r.final_sip_code, r.call_end_sub_reason).plain.clone()),
            ),
            _ => (
                format!(
                    "Connected for {}. Phone calls report no audio quality, so there is no quality rating.",
                    spoken(call.duration_seconds())
                ),
                None,
            ),
        };
        let counterpart = call.history_entry().counterpart;
        Self {
            call_id: call.id().to_owned(),
            line_type: call.line_type(),
            direction: call.direction(),
            start_date_time: call.start(),
            end_date_time: call.end(),
            duration_seconds: call.duration_seconds(),
            user: call.user(home_tenant).map(|u| P::of(&u, viewer)),
            counterpart: counterpart.map(|p| P::of(&p, viewer)),
            caller_number: caller.map(MaskedPhone::new),
            callee_number: callee.map(MaskedPhone::new),
            outcome,
            rating: call.rating(),
            issue_codes: call.issue_codes(),
            summary,
            main_cause,
        }
    }
}

impl EngineerPhoneCall {
    /// A support engineer's view of `call`.
    pub fn of(call: &PhoneCall, viewer: &Viewer, causes: &SipCauses, home_tenant: &str) -> Self {
        let overview = PhoneOverview::of(call, viewer, causes, home_tenant);
        let graph_call_type = call.call_type().map(str::to_owned);
        let network = match call.row() {
            PhoneRow::DirectRouting(r) => PhoneNetwork {
                sip: Some(SipView {
                    code: r.final_sip_code,
                    phrase: r.final_sip_code_phrase.clone(),
                    sub_reason: r.call_end_sub_reason,
                    from: r.call_end_sub_reason.filter(|s| *s > 0).map(SentBy::of),
                    explanation: (call.outcome() == Outcome::Failed)
                        .then(|| causes.cause(r.final_sip_code, r.call_end_sub_reason).explanation.clone()),
                }),
                trunk_fqdn: r.trunk_fully_qualified_domain_name.clone(),
                media_path_location: r.media_path_location.clone(),
                signaling_location: r.signaling_location.clone(),
                media_bypass_enabled: r.media_bypass_enabled,
                correlation_id: r.correlation_id.clone(),
                invite_date_time: r.invite_date_time,
                failure_date_time: r.failure_date_time,
                graph_call_type,
                ..PhoneNetwork::default()
            },
            PhoneRow::Pstn(r) => PhoneNetwork {
                graph_call_type,
                destination_name: r.destination_name.clone(),
                destination_context: r.destination_context.clone(),
                usage_country_code: r.usage_country_code.clone(),
                tenant_country_code: r.tenant_country_code.clone(),
                license_capability: r.license_capability.clone(),
                inventory_type: r.inventory_type.clone(),
                operator: r.operator.clone(),
                call_duration_source: r.call_duration_source.clone(),
                conference_id: r.conference_id.clone(),
                telephony_call_id: r.call_id.clone(),
                ..PhoneNetwork::default()
            },
        };
        Self { overview, network }
    }
}

impl AdminPhoneCall {
    /// An admin's view of `call`.
    pub fn of(call: &PhoneCall, viewer: &Viewer, causes: &SipCauses, home_tenant: &str) -> Self {
        let engineer = EngineerPhoneCall::of(call, viewer, causes, home_tenant);
        match call.row() {
            PhoneRow::Pstn(r) => Self {
                engineer,
                charge: r.charge,
                connection_charge: r.connection_charge,
                currency: r.currency.clone(),
            },
            PhoneRow::DirectRouting(_) => Self { engineer, charge: None, connection_charge: None, currency: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::row::{DirectRoutingRow, PstnCallRow};
    use crate::domain::sites::Sites;
    use crate::domain::views::history::{HistoryLine, history_csv, history_line};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    const HOME: &str = "home-tenant";
    const USER: &str = "db03c14b-06eb-4189-939b-7cbf3a20ba27";

    fn direct_routing(caller: &str, callee: &str, kind: &str, success: bool, code: i64, sub: i64) -> PhoneCall {
        let row: DirectRoutingRow = serde_json::from_value(json!({
            "id": "9e8bba57-dc14-533a-a7dd-f0da6575eed1", "correlationId": "c98e1515-a937-4b81-b8a8-3992afde64e0",
            "userId": USER, "userPrincipalName": "richard.malk@contoso.com", "userDisplayName": "Richard Malk",
            "startDateTime": "2026-11-25T10:00:00Z", "inviteDateTime": "2026-11-25T09:59:58Z",
            "failureDateTime": if success { "0001-01-01T00:00:00Z" } else { "2026-11-25T10:00:03Z" },
            "endDateTime": if success { "2026-11-25T10:03:39Z" } else { "0001-01-01T00:00:00Z" },
            "duration": if success { 219 } else { 0 }, "callType": kind, "successfulCall": success,
            "callerNumber": caller, "calleeNumber": callee, "mediaPathLocation": "USWE", "signalingLocation": "EUNO",
            "finalSipCode": code, "callEndSubReason": sub, "finalSipCodePhrase": "Not Found",
            "trunkFullyQualifiedDomainName": "sbc1.contoso.com", "mediaBypassEnabled": false
        }))
        .unwrap();
        PhoneCall::accepted(PhoneRow::DirectRouting(row))
    }

    fn pstn(caller: &str, callee: &str, kind: &str) -> PhoneCall {
        let row: PstnCallRow = serde_json::from_value(json!({
            "id": "9c4984c7-6c3c-427d-a30c-bd0b2eacee90", "callId": "1835317186_112562680@61.221.3.176",
            "userId": USER, "userPrincipalName": "richard.malk@contoso.com", "userDisplayName": "Richard Malk",
            "startDateTime": "2026-11-25T10:00:08Z", "endDateTime": "2026-11-25T10:03:47Z", "duration": 219,
            "charge": 0.42, "callType": kind, "currency": "USD", "callerNumber": caller, "calleeNumber": callee,
            "usageCountryCode": "US", "tenantCountryCode": "US", "connectionCharge": 0.05,
            "destinationName": "United States", "licenseCapability": "MCOPSTNU", "inventoryType": "Subscriber",
            "operator": "Microsoft", "callDurationSource": "microsoft"
        }))
        .unwrap();
        PhoneCall::accepted(PhoneRow::Pstn(row))
    }

    fn viewer() -> Viewer<'static> {
        Viewer { searched_user: USER, home_tenant: HOME }
    }

    /// The three role views of `call`, as JSON.
    fn views(call: &PhoneCall) -> [Value; 3] {
        let (v, causes) = (viewer(), SipCauses::default());
        [
            serde_json::to_value(PhoneOverview::<SpecialistParty>::of(call, &v, &causes, HOME)).unwrap(),
            serde_json::to_value(EngineerPhoneCall::of(call, &v, &causes, HOME)).unwrap(),
            serde_json::to_value(AdminPhoneCall::of(call, &v, &causes, HOME)).unwrap(),
        ]
    }

    #[test]
    fn a_failed_direct_routing_call_explains_itself_to_each_tier() {
        let call = direct_routing("+14255550123", "+12065550199", "ByotOut", false, 404, 560404);
        let [specialist, engineer, admin] = views(&call);
        assert_eq!(specialist["rating"], "poor");
        assert_eq!(specialist["outcome"], "failed");
        assert_eq!(specialist["direction"], "outbound");
        assert_eq!(specialist["mainCause"], "The number called is not in service or was dialled wrongly.");
        assert_eq!(specialist["counterpart"]["phone"], "+12065550***");
        assert_eq!(specialist["user"]["displayName"], "Richard Malk");
        let text = specialist.to_string();
        for hidden in ["404", "sip", "trunk", "USWE", "correlation"] {
            assert!(!text.contains(hidden), "a specialist sees {hidden}: {text}");
        }
        assert_eq!(engineer["sip"]["code"], 404);
        assert_eq!(engineer["sip"]["subReason"], 560404);
        assert_eq!(engineer["sip"]["from"], "sbc");
        assert!(engineer["sip"]["explanation"].as_str().unwrap().starts_with("404 Not Found"));
        assert_eq!(engineer["trunkFqdn"], "sbc1.contoso.com");
        assert_eq!(engineer["signalingLocation"], "EUNO");
        assert_eq!(engineer["mainCause"], specialist["mainCause"]);
        assert_eq!(admin, engineer, "a Direct Routing row has no charges");
    }

    #[test]
    fn a_connected_call_says_so_and_only_admins_see_charges() {
        let call = pstn("+0123456789", "+14255550123", "user_in");
        let [specialist, engineer, admin] = views(&call);
        assert_eq!(specialist["rating"], "unavailable");
        assert_eq!(specialist["outcome"], "connected");
        assert_eq!(specialist["direction"], "inbound");
        assert_eq!(
            specialist["summary"],
            "Connected for 3 min 39 s. Phone calls report no audio quality, so there is no quality rating."
        );
        assert!(specialist.get("mainCause").is_none());
        assert_eq!(specialist["counterpart"]["phone"], "+0123456***", "the caller is the other end");
        assert_eq!(engineer["operator"], "Microsoft");
        assert_eq!(engineer["licenseCapability"], "MCOPSTNU");
        assert_eq!(engineer["telephonyCallId"], "1835317186_112562680@61.221.3.176");
        assert!(engineer.get("charge").is_none() && specialist.get("operator").is_none());
        assert_eq!((admin["charge"].as_f64(), admin["currency"].as_str()), (Some(0.42), Some("USD")));
        let connected = direct_routing("+14255550123", "+12065550199", "ByotIn", true, 0, 540000);
        let [_, engineer, _] = views(&connected);
        assert_eq!(engineer["rating"], "unavailable");
        assert_eq!(engineer["sip"]["from"], "microsoft");
        assert!(engineer["sip"].get("explanation").is_none(), "nothing to explain");
    }

    #[test]
    fn spoken_durations() {
        assert_eq!(spoken(0), "0 s");
        assert_eq!(spoken(59), "59 s");
        assert_eq!(spoken(60), "1 min");
        assert_eq!(spoken(219), "3 min 39 s");
        assert_eq!(spoken(3600), "1 h 0 min");
        assert_eq!(spoken(3725), "1 h 2 min");
    }

    const FIELDS_BEYOND_TIER_1: [&str; 9] = [
        "sip",
        "trunkFqdn",
        "mediaPathLocation",
        "signalingLocation",
        "operator",
        "licenseCapability",
        "destinationName",
        "charge",
        "correlationId",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// No role sees either number whole, in any kind of row, in the detail, the history
        /// line or the CSV; and a specialist sees nothing of the network.
        #[test]
        fn no_role_ever_sees_a_full_number(
            caller in "\\+[1-9][0-9]{7,13}",
            callee in "[1-9][0-9]{6,12}",
            direct in any::<bool>(),
            kind in prop::sample::select(vec!["ByotIn", "ByotOut", "ByotOutUserForwarding", "user_in", "user_out", "conf_in", "emergency_out", "odd"]),
            success in any::<bool>(),
            code in prop::sample::select(vec![0i64, 403, 404, 408, 480, 486, 487, 488, 500, 503, 603, 699]),
            // What a source may put around a number: a scheme, stars, parameters, a host.
            scheme in prop::sample::select(vec!["", "sip:", "tel:"]),
            suffix in prop::sample::select(vec!["", "*", "***", ";ext=42", "@sbc.contoso.com:5061"]),
        ) {
            let sent = format!("{scheme}{caller}{suffix}");
            let call = if direct { direct_routing(&sent, &callee, kind, success, code, 560_000 + code) } else { pstn(&sent, &callee, kind) };
            let [specialist, engineer, admin] = views(&call);
            let entry = call.history_entry();
            let v = viewer();
            let lines: [HistoryLine<SpecialistParty, ()>; 1] = [history_line(&entry, &v, &Sites::default())];
            let engineer_lines: [HistoryLine<EngineerParty, ()>; 1] = [history_line(&entry, &v, &Sites::default())];
            let shown = [
                specialist.to_string(), engineer.to_string(), admin.to_string(),
                serde_json::to_string(&lines).unwrap(), serde_json::to_string(&engineer_lines).unwrap(),
                history_csv(&lines), history_csv(&engineer_lines),
            ];
            for text in &shown {
                for number in [&caller, &callee] {
                    let whole = number.trim_start_matches('+');
                    prop_assert!(!text.contains(whole), "{number} whole in {text}");
                }
            }
            for field in FIELDS_BEYOND_TIER_1 {
                prop_assert!(specialist.get(field).is_none(), "a specialist sees {field}");
            }
            prop_assert!(engineer.get("charge").is_none());
        }
    }
}
