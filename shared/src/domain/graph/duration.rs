//! ISO-8601 durations as Graph sends them (`"PT0.016S"`), held as milliseconds.
//!
//! Hand-written on purpose: the `iso8601` crate keeps whole milliseconds only, and the
//! classification boundaries need sub-millisecond precision (30.001 ms of jitter is red,
//! 30 ms is not).

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;

/// A non-negative duration in milliseconds, parsed from an ISO-8601 duration string.
///
/// It serializes as a plain number of milliseconds (the stored form) and deserializes from
/// either form, so the same type reads Graph input and stored items.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Millis(f64);

impl Millis {
    /// Wraps a number of milliseconds; `None` for negative or non-finite values.
    pub fn new(ms: f64) -> Option<Self> {
        (ms.is_finite() && ms >= 0.0).then_some(Self(ms))
    }

    /// The duration in milliseconds.
    pub fn as_ms(self) -> f64 {
        self.0
    }

    /// Parses `PnDTnHnMnS`-style durations (weeks, days, hours, minutes, fractional seconds).
    /// Years and months are rejected: their length in milliseconds is not defined.
    pub fn parse_iso8601(text: &str) -> Result<Self, DurationError> {
        let err = || DurationError(text.to_owned());
        let rest = text.strip_prefix('P').ok_or_else(err)?;
        let (date, time) = match rest.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return Err(err()),
            None => (rest, None),
        };
        if date.is_empty() && time.is_none() {
            return Err(err());
        }
        let mut total_ms = 0.0;
        total_ms += sum_components(date, &[('W', 604_800_000.0), ('D', 86_400_000.0)]).ok_or_else(err)?;
        if let Some(time) = time {
            total_ms += sum_components(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)]).ok_or_else(err)?;
        }
        Self::new(total_ms).filter(|d| d.0 <= MAX_MS).ok_or_else(err)
    }
}

/// Longest duration accepted: nothing in a call record (a call, a session, a jitter or round
/// trip figure) lasts a year, so anything longer is a broken sender, not a measurement.
const MAX_MS: f64 = 366.0 * 86_400_000.0;

/// Sums `<number><unit>` components that must appear in the order of `units`, each at most once.
fn sum_components(mut text: &str, units: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next_unit = 0;
    while !text.is_empty() {
        let end = text.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, tail) = text.split_at(end);
        let unit = tail.chars().next()?;
        let position = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        let valid_number = !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit() || c == '.')
            && number.chars().filter(|c| *c == '.').count() <= 1
            && !number.starts_with('.')
            && !number.ends_with('.');
        if !valid_number {
            return None;
        }
        total += number.parse::<f64>().ok()? * units[position].1;
        next_unit = position + 1;
        text = &tail[1..];
    }
    Some(total)
}

/// An ISO-8601 duration that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{0}` is not an ISO-8601 duration of at most a year, such as \"PT0.016S\"")]
pub struct DurationError(String);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Millis;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an ISO-8601 duration string such as \"PT0.016S\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Millis, E> {
                Millis::parse_iso8601(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Millis, E> {
                Millis::new(v).ok_or_else(|| E::custom("a duration must be a non-negative number of milliseconds"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Millis, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Millis, E> {
                self.visit_f64(v as f64)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> f64 {
        Millis::parse_iso8601(text).unwrap().as_ms()
    }

    #[test]
    fn parses_graph_style_durations() {
        assert_eq!(ms("PT0.016S"), 16.0);
        assert!((ms("PT0.030001S") - 30.001).abs() < 1e-9);
        assert_eq!(ms("PT1M2.5S"), 62_500.0);
        assert_eq!(ms("PT1H"), 3_600_000.0);
        assert_eq!(ms("P1DT0S"), 86_400_000.0);
        assert_eq!(ms("P0DT0H0M0.5S"), 500.0);
        assert_eq!(ms("PT0S"), 0.0);
        assert_eq!(ms("P1W"), 604_800_000.0);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in [
            "", "P", "PT", "0.016", "PT0.016", "PTS", "PT.5S", "PT5.S", "PT1S1M", "PT1S1S", "P1Y", "P1M", "PT-1S",
            "PT1.2.3S", "PTxS",
        ] {
            assert!(Millis::parse_iso8601(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn durations_are_capped_at_a_year() {
        assert_eq!(Millis::parse_iso8601("P366D").map(Millis::as_ms), Ok(366.0 * 86_400_000.0));
        assert!(Millis::parse_iso8601("P366DT0.001S").is_err());
        assert!(Millis::parse_iso8601("PT99999999999999999999H").is_err());
    }

    #[test]
    fn reads_both_wire_and_stored_forms() {
        let from_wire: Millis = serde_json::from_str("\"PT0.25S\"").unwrap();
        let from_store: Millis = serde_json::from_str("250.0").unwrap();
        assert_eq!(from_wire, from_store);
        assert_eq!(serde_json::to_string(&from_wire).unwrap(), "250.0");
        assert!(serde_json::from_str::<Millis>("-1").is_err());
    }
}
