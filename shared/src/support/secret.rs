//! Secret values in memory: used and compared, never printed. A secret that rotates is accepted
//! in two values for a while: the current one, and the one before it.

/// A secret's value (a clientState, a signing key, a client secret). Its `Debug` prints no part
/// of it, so a secret inside a config or client struct cannot reach a log by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that uses it (a comparison, a signature, a request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// A secret that can be rotated without a moment when either value is refused: the value in
/// use (`current`: what is signed with, or handed to Graph) and, after a rotation, the one before
/// it (`previous`), still accepted from what was issued with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotating {
    pub current: Secret,
    pub previous: Option<Secret>,
}

impl Rotating {
    /// A secret with one value (nothing rotated yet).
    pub fn new(current: impl Into<String>) -> Self {
        Self { current: Secret::new(current), previous: None }
    }

    /// Every value accepted now: the current one first.
    pub fn accepted(&self) -> Vec<&str> {
        std::iter::once(&self.current).chain(&self.previous).map(Secret::expose).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_value_is_ever_printed() {
        let rotating =
            Rotating { current: Secret::new("now-0123456789"), previous: Some(Secret::new("before-987654")) };
        let printed = format!("{rotating:?} {:?}", rotating.current);
        assert!(!printed.contains("0123456789") && !printed.contains("987654"), "{printed}");
        assert_eq!(rotating.accepted(), ["now-0123456789", "before-987654"]);
        assert_eq!(Rotating::new("only").accepted(), ["only"]);
    }
}
