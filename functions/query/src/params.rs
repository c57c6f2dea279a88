//! The query parameters of the helpdesk routes, parsed into the core's typed inputs. Every
//! malformed parameter is a `400` that names it.

use callscope_core::app::AppError;
use callscope_core::app::query::{DEFAULT_LIMIT, EscalationFilter, MAX_LIMIT, Paging, TimeFilter};
use callscope_core::domain::access::AuditAction;
use callscope_core::domain::classify::Rating;
use callscope_core::domain::escalation::EscalationState;
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The query parameters of a request (first value of each).
pub type Params = HashMap<String, String>;

/// How a list is answered: `format=json` (the default) or `format=csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// `format`.
pub fn format(params: &Params) -> Result<Format, AppError> {
    match params.get("format").map(String::as_str) {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(bad("format", "must be `json` or `csv`")),
    }
}

/// `limit` (1 to 100, default 50) and `cursor`.
pub fn paging(params: &Params) -> Result<Paging, AppError> {
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", &format!("must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    Ok(Paging { limit, cursor: params.get("cursor").cloned() })
}

/// `state` (`open`, the default, `claimed` or `resolved`) or `mine=true`, not both.
pub fn escalation_filter(params: &Params) -> Result<EscalationFilter, AppError> {
    let mine = match params.get("mine").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("mine", "must be `true` or `false`")),
    };
    let state = params
        .get("state")
        .map(|raw| EscalationState::parse(raw).ok_or_else(|| bad("state", "must be `open`, `claimed` or `resolved`")))
        .transpose()?;
    match (mine, state) {
        (true, Some(_)) => Err(bad("state", "lists one state's queue; leave it out with `mine=true`")),
        (true, None) => Ok(EscalationFilter::Mine),
        (false, state) => Ok(EscalationFilter::State(state.unwrap_or(EscalationState::Open))),
    }
}

/// `rating`: `good`, `poor`, `unavailable` or `pending`; any if absent.
pub fn rating(params: &Params) -> Result<Option<Rating>, AppError> {
    params
        .get("rating")
        .map(|raw| {
            serde_json::from_value::<Rating>(serde_json::Value::String(raw.clone()))
                .map_err(|_| bad("rating", "must be `good`, `poor`, `unavailable` or `pending`"))
        })
        .transpose()
}

/// `action`, one of the audited actions as entries carry it.
pub fn audit_action(params: &Params) -> Result<Option<AuditAction>, AppError> {
    params
        .get("action")
        .map(|raw| {
            AuditAction::named(raw).ok_or_else(|| {
                let names: Vec<String> = AuditAction::ALL.iter().map(|a| format!("`{}`", a.name())).collect();
                AppError::BadParameter { name: "action", message: format!("must be one of {}", names.join(", ")) }
            })
        })
        .transpose()
}

/// `from` and `to`, RFC 3339 date-times.
pub fn time_filter(params: &Params) -> Result<TimeFilter, AppError> {
    Ok(TimeFilter { from: time(params, "from")?, to: time(params, "to")? })
}

fn time(params: &Params, name: &'static str) -> Result<Option<OffsetDateTime>, AppError> {
    params
        .get(name)
        .map(|raw| {
            OffsetDateTime::parse(raw, &Rfc3339)
                .map_err(|_| bad(name, "must be an RFC 3339 date-time such as 2026-11-24T09:00:00Z"))
        })
        .transpose()
}

fn bad(name: &'static str, message: &str) -> AppError {
    AppError::BadParameter { name, message: message.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limits_at_and_past_the_bounds() {
        assert_eq!(paging(&params(&[])).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(paging(&params(&[("limit", "1")])).unwrap().limit, 1);
        assert_eq!(paging(&params(&[("limit", "100")])).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(
                matches!(paging(&params(&[("limit", bad)])), Err(AppError::BadParameter { name: "limit", .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn times_and_formats() {
        let filter = time_filter(&params(&[("from", "2026-11-24T09:00:00Z")])).unwrap();
        assert!(filter.from.is_some() && filter.to.is_none());
        assert!(matches!(time_filter(&params(&[("to", "yesterday")])), Err(AppError::BadParameter { name: "to", .. })));
        assert_eq!(format(&params(&[("format", "csv")])).unwrap(), Format::Csv);
        assert!(format(&params(&[("format", "xml")])).is_err());
    }

    #[test]
    fn escalation_lists_are_a_state_or_the_callers_own() {
        let filter = |pairs: &[(&str, &str)]| escalation_filter(&params(pairs));
        assert_eq!(filter(&[]).unwrap(), EscalationFilter::State(EscalationState::Open));
        assert_eq!(filter(&[("state", "resolved")]).unwrap(), EscalationFilter::State(EscalationState::Resolved));
        assert_eq!(filter(&[("mine", "true")]).unwrap(), EscalationFilter::Mine);
        assert_eq!(
            filter(&[("mine", "false"), ("state", "claimed")]).unwrap(),
            EscalationFilter::State(EscalationState::Claimed)
        );
        for bad in [&[("state", "closed")][..], &[("mine", "yes")], &[("mine", "true"), ("state", "open")]] {
            assert!(matches!(filter(bad), Err(AppError::BadParameter { .. })), "{bad:?}");
        }
    }
}
