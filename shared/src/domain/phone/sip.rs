//! Why a Direct Routing call failed, in words: a table from the final SIP code (RFC 3261) and
//! Microsoft's response code (`callEndSubReason`) to a plain sentence for tier 1 and an
//! explanation for tier 2. The defaults are in `docs/thresholds.md` ("Phone calls"); a deployment
//! can replace or add entries with `SIP_CAUSES` (JSON, checked at cold start).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one code means: for a support specialist, and for a support engineer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipCause {
    /// Plain words, no SIP terms: what tier 1 tells the user.
    pub plain: String,
    /// What the code means on the trunk and what to check.
    pub explanation: String,
}

/// Who sent the final response, read from Microsoft's response code: one starting `560` means
/// the session border controller sent it, any other a Microsoft service did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SentBy {
    Sbc,
    Microsoft,
}

impl SentBy {
    /// Who sent the final response of a call with Microsoft's response code `sub_reason`.
    pub fn of(sub_reason: i64) -> Self {
        if sub_reason.to_string().starts_with("560") { Self::Sbc } else { Self::Microsoft }
    }
}

/// The default table: key (a SIP code, a Microsoft response code, a class `4xx`/`5xx`/`6xx`, or
/// `default`), plain words, explanation. `docs/thresholds.md` lists the same rows.
const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "402",
        "The phone company refused the call (payment required).",
        "402 Payment Required from the carrier: look for a pattern in the numbers or countries called; the downstream PSTN carrier is likely refusing them.",
    ),
    (
        "403",
        "The call was not allowed: the number or the user is not permitted to make or take this call.",
        "403 Forbidden: the SBC or carrier refused the call. Check the SBC's allowed IP addresses and the trunk in the Teams admin center, the user's Phone System licence and voice routing policy, and whether the number is assigned.",
    ),
    (
        "404",
        "The number called is not in service or was dialled wrongly.",
        "404 Not Found: the number does not exist where the call was routed. Check the dialled number, the dial plan's normalization rules, the SBC's number manipulation, and that the called number is assigned (inbound: to a Teams user with Enterprise Voice).",
    ),
    (
        "408",
        "The call timed out: the other side did not answer the connection in time.",
        "408 Request Timeout: no final answer in time. Check the SBC's reachability from Microsoft's SIP proxies (firewall, TLS, OPTIONS), and the carrier's response times.",
    ),
    (
        "420",
        "The phone system could not agree on how to set up the call.",
        "420 Bad Extension: a side requires a SIP extension the other does not support (for example `Require: 100rel`, or the Replaces header). Check the SBC's configuration with its vendor.",
    ),
    (
        "480",
        "The person called was not available (offline, or not signed in to take calls).",
        "480 Temporarily Unavailable: the callee could not be reached at that moment. Inbound: the Teams user had no signed-in client or device to ring; outbound: the far end was unreachable.",
    ),
    (
        "486",
        "The line called was busy.",
        "486 Busy Here: the callee was busy. Nothing to fix unless it is persistent for one number (then check call forwarding and simultaneous ring).",
    ),
    (
        "487",
        "The call was hung up before it was answered.",
        "487 Request Terminated: the caller cancelled the call before it was answered (CANCEL). Usually nobody answered in time; check ring time-outs if users say calls stop ringing too soon.",
    ),
    (
        "488",
        "The two phone systems could not agree on the audio format.",
        "488 Not Acceptable Here: the media offer was refused: codecs, SRTP/encryption or media bypass settings do not match. Check the SBC's codec list and media security settings.",
    ),
    (
        "500",
        "The phone system had an internal error.",
        "500 Server Internal Error: the side that sent it failed while handling the call. Check the SBC's logs and health (Direct Routing health dashboard) or, if Microsoft sent it, the service health.",
    ),
    (
        "503",
        "The phone service was unavailable or overloaded.",
        "503 Service Unavailable: the SBC or the carrier could not take the call (overload, maintenance, trunk down). Check the SBC's capacity and the carrier trunk; a second SBC in the route gives failover.",
    ),
    (
        "603",
        "The call was declined.",
        "603 Decline: the callee (or a system on its behalf) declined the call. Nothing to fix unless one number always declines (check blocking rules).",
    ),
    (
        "560402",
        "The phone company refused the call (payment required).",
        "560402: the SBC sent 402 Payment Required: look for a pattern in the numbers or countries called; the downstream PSTN carrier is likely refusing them.",
    ),
    (
        "540420",
        "The phone system could not agree on how to set up the call.",
        "540420: Microsoft refused an extension the SBC required (for example `Require: 100rel`). Configure the SBC not to require unsupported SIP extensions.",
    ),
    (
        "560420",
        "The phone system could not agree on how to set up the call.",
        "560420: the SBC sent 420 Bad Extension: configure it to support the headers Teams uses, such as Replaces.",
    ),
    (
        "4xx",
        "The call could not be completed as dialled.",
        "A 4xx response: the request was refused by the side that sent it. Read the phrase and Microsoft's response code; check the SBC's logs when the code starts 560.",
    ),
    (
        "5xx",
        "The phone system failed while setting up the call.",
        "A 5xx response: a server failed. Check the SBC's health and logs when Microsoft's code starts 560, else Microsoft's service health.",
    ),
    (
        "6xx",
        "The call was refused everywhere it was tried.",
        "A 6xx response: a global failure, the call must not be retried elsewhere.",
    ),
    (
        "default",
        "The call did not connect.",
        "The call failed without a final SIP code callscope knows. Use the correlation id with Microsoft support, and the SBC's logs.",
    ),
];

/// The cause table in use: the defaults, with a deployment's entries over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCauses {
    entries: BTreeMap<String, SipCause>,
}

impl Default for SipCauses {
    fn default() -> Self {
        let entries = DEFAULTS
            .iter()
            .map(|(key, plain, explanation)| {
                ((*key).to_owned(), SipCause { plain: (*plain).to_owned(), explanation: (*explanation).to_owned() })
            })
            .collect();
        Self { entries }
    }
}

/// Why a `SIP_CAUSES` table was refused.
#[derive(Debug, thiserror::Error)]
pub enum SipCausesError {
    #[error("not a JSON object of {{\"<code>\": {{\"plain\", \"explanation\"}}}}: {0}")]
    Json(#[from] serde_json::Error),
    #[error("key {0:?} is not a SIP code (100-699), a Microsoft response code (6 to 9 digits), 4xx/5xx/6xx or default")]
    Key(String),
    #[error("entry {0:?} has an empty text")]
    Empty(String),
}

/// Whether `key` names something the lookup can find.
fn valid_key(key: &str) -> bool {
    let digits = key.bytes().all(|b| b.is_ascii_digit());
    match key.len() {
        _ if ["4xx", "5xx", "6xx", "default"].contains(&key) => true,
        3 if digits => (100..700).contains(&key.parse::<u32>().unwrap_or(0)),
        6..=9 if digits => true,
        _ => false,
    }
}

impl SipCauses {
    /// The defaults with the entries of `json` (`{"404": {"plain": "...", "explanation": "..."}}`)
    /// added or put over them.
    pub fn from_json(json: &str) -> Result<Self, SipCausesError> {
        let given: BTreeMap<String, SipCause> = serde_json::from_str(json)?;
        let mut table = Self::default();
        for (key, cause) in given {
            if !valid_key(&key) {
                return Err(SipCausesError::Key(key));
            }
            if cause.plain.trim().is_empty() || cause.explanation.trim().is_empty() {
                return Err(SipCausesError::Empty(key));
            }
            table.entries.insert(key, cause);
        }
        Ok(table)
    }

    /// The cause of a call that ended with SIP code `code` and Microsoft's `sub_reason`: the
    /// sub-reason's entry, else the code's, else its class's, else the default.
    pub fn cause(&self, code: Option<i64>, sub_reason: Option<i64>) -> &SipCause {
        let keys = [
            sub_reason.filter(|s| *s > 0).map(|s| s.to_string()),
            code.filter(|c| *c > 0).map(|c| c.to_string()),
            code.filter(|c| (100..700).contains(c)).map(|c| format!("{}xx", c / 100)),
        ];
        keys.into_iter().flatten().find_map(|key| self.entries.get(&key)).unwrap_or_else(|| &self.entries["default"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_code_has_its_own_words() {
        let table = SipCauses::default();
        let generic = [&table.entries["4xx"], &table.entries["5xx"], &table.entries["6xx"]];
        for code in [403, 404, 408, 480, 486, 487, 488, 500, 503, 603] {
            let cause = table.cause(Some(code), None);
            assert!(!generic.contains(&cause), "{code} falls back to its class");
            assert!(cause.explanation.starts_with(&code.to_string()), "{code}: {}", cause.explanation);
            assert!(!cause.plain.contains(&code.to_string()), "tier 1's words carry no code: {}", cause.plain);
        }
        assert!(table.cause(Some(404), None).plain.contains("not in service"));
    }

    #[test]
    fn the_sub_reason_goes_first_then_the_code_then_its_class() {
        let table = SipCauses::default();
        assert!(table.cause(Some(420), Some(540420)).explanation.starts_with("540420"));
        assert!(table.cause(Some(404), Some(560404)).explanation.starts_with("404 "), "no entry of its own");
        assert_eq!(table.cause(Some(499), None), &table.entries["4xx"]);
        assert_eq!(table.cause(Some(599), Some(0)), &table.entries["5xx"]);
        assert_eq!(table.cause(None, None), &table.entries["default"]);
        assert_eq!(table.cause(Some(0), None), &table.entries["default"]);
    }

    #[test]
    fn who_sent_it_is_read_from_microsofts_code() {
        assert_eq!(SentBy::of(560404), SentBy::Sbc);
        assert_eq!(SentBy::of(510404), SentBy::Microsoft);
        assert_eq!(SentBy::of(540487), SentBy::Microsoft);
        assert_eq!(SentBy::of(0), SentBy::Microsoft);
    }

    #[test]
    fn a_deployment_adds_or_replaces_entries_and_bad_tables_are_refused() {
        let json = r#"{"404": {"plain": "Wrong number.", "explanation": "404: check the dial plan."},
                       "510403": {"plain": "Not allowed.", "explanation": "510403: no licence."}}"#;
        let table = SipCauses::from_json(json).unwrap();
        assert_eq!(table.cause(Some(404), None).plain, "Wrong number.");
        assert_eq!(table.cause(Some(403), Some(510403)).plain, "Not allowed.");
        assert_eq!(table.cause(Some(486), None), SipCauses::default().cause(Some(486), None), "the rest stay");
        for bad in [
            r#"{"99": {"plain": "x", "explanation": "y"}}"#,
            r#"{"4041": {"plain": "x", "explanation": "y"}}"#,
            r#"{"404": {"plain": " ", "explanation": "y"}}"#,
            r#"{"404": {"plain": "x"}}"#,
            r#"{"404": {"plain": "x", "explanation": "y", "extra": 1}}"#,
            "[]",
        ] {
            assert!(SipCauses::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_documented_table_is_the_default_table() {
        let doc = include_str!("../../../../docs/thresholds.md");
        for (key, plain, explanation) in DEFAULTS {
            let row = format!("| `{key}` | {plain} | {explanation} |");
            assert!(doc.contains(&row), "docs/thresholds.md lacks the row\n{row}");
        }
    }
}
