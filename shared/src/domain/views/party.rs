//! How a party appears to each role (the role table in `docs/api.md`).
//!
//! A specialist sees the searched user's name and nobody else's: everyone else is "Internal
//! User" or "External User". Engineers and admins see every name. Phone numbers have their last
//! three digits masked for every role; the only way to put a number in a view is
//! [`MaskedPhone`], which masks it.

use crate::domain::graph::{Party, PartyKind};
use serde::Serialize;

/// Who is looking, at whose calls.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// The user whose history or call is shown: the one name a specialist may see.
    pub searched_user: &'a str,
    /// The tenant whose users are internal.
    pub home_tenant: &'a str,
}

/// A phone number with its last three digits replaced by `*` (`+15552823***`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedPhone(String);

/// URI schemes a number may come with; kept in the masked text.
const SCHEMES: [&str; 2] = ["tel:", "sip:"];

impl MaskedPhone {
    /// Masks the last three digits of the number in `number` (all of them if it has fewer).
    ///
    /// Only the number is shown: an optional `tel:`/`sip:` scheme, then digits (of any script)
    /// and the `+ - ( ) .` and spaces that format them; whatever follows (`;ext=42`,
    /// `@sbc.contoso.com:5061`) is dropped, since it may hold more of the number. A `*` already
    /// at the end is not trusted to be a masked digit (a source can append one to a whole
    /// number), so a number Graph masked itself (`+12345678***`) loses three more
    /// (`+12345***`). Text with no digit at all (`Reception`, `anonymous`) is no number and
    /// stays; text with digits but no number at its start is hidden whole.
    pub fn new(number: &str) -> Self {
        if !number.chars().any(char::is_numeric) {
            return Self(number.to_owned());
        }
        let text = number.trim();
        let scheme = SCHEMES
            .into_iter()
            .find_map(|scheme| text.get(..scheme.len()).filter(|start| start.eq_ignore_ascii_case(scheme)))
            .unwrap_or_default();
        let rest = &text[scheme.len()..];
        let end = rest.find(|c: char| !(c.is_numeric() || "+*-(). ".contains(c))).unwrap_or(rest.len());
        let digits = rest[..end].trim_end_matches(['*', ' ']);
        if !digits.chars().any(char::is_numeric) {
            return Self("***".to_owned());
        }
        let mut chars: Vec<char> = digits.chars().collect();
        for c in chars.iter_mut().rev().filter(|c| c.is_numeric()).take(3) {
            *c = '*';
        }
        Self(scheme.chars().chain(chars).collect())
    }

    /// The masked text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of endpoint a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EndpointKind {
    User,
    Guest,
    Phone,
    Application,
    Other,
    /// A Teams service endpoint (conference server, media relay): no person.
    Service,
}

impl From<PartyKind> for EndpointKind {
    fn from(kind: PartyKind) -> Self {
        match kind {
            PartyKind::User => Self::User,
            PartyKind::Guest => Self::Guest,
            PartyKind::Phone => Self::Phone,
            PartyKind::Application => Self::Application,
            PartyKind::Other => Self::Other,
        }
    }
}

/// Label for service endpoints, the same for every role.
pub const SERVICE_LABEL: &str = "Teams service";

/// A way of showing parties; one implementation per role.
pub trait PartyView: Serialize + Sized {
    /// `party` as this role may see it.
    fn of(party: &Party, viewer: &Viewer) -> Self;
    /// A service endpoint.
    fn service() -> Self;
    /// The party in one line of text (a CSV cell), exactly as much as this view shows.
    fn label(&self) -> String;
}

/// Whether `party` belongs to the home tenant (guests, phones and other tenants do not).
pub fn is_internal(party: &Party, home_tenant: &str) -> bool {
    party.kind == PartyKind::User && party.tenant_id.as_deref() == Some(home_tenant)
}

fn phone_of(party: &Party) -> Option<MaskedPhone> {
    (party.kind == PartyKind::Phone).then(|| MaskedPhone::new(&party.id))
}

/// A party as a support specialist sees it: a name only for the searched user.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecialistParty {
    display_name: String,
    kind: EndpointKind,
    phone: Option<MaskedPhone>,
}

impl SpecialistParty {
    /// The shown label ("Internal User", "External User", or the searched user's name).
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
}

impl PartyView for SpecialistParty {
    fn of(party: &Party, viewer: &Viewer) -> Self {
        let is_searched = party.id == viewer.searched_user && matches!(party.kind, PartyKind::User | PartyKind::Guest);
        let display_name = if is_searched {
            party.display_name.clone().or_else(|| party.user_principal_name.clone()).unwrap_or_else(|| party.id.clone())
        } else if party.kind == PartyKind::Application {
            "Application".to_owned()
        } else if party.id == crate::domain::erasure::ERASED_ID {
            // Whose tenant it was went with the rest: "External User" would send tier 1 to look
            // for a guest where an employee may have been.
            crate::domain::erasure::ERASED_NAME.to_owned()
        } else if is_internal(party, viewer.home_tenant) {
            "Internal User".to_owned()
        } else {
            "External User".to_owned()
        };
        Self { display_name, kind: party.kind.into(), phone: phone_of(party) }
    }

    fn service() -> Self {
        Self { display_name: SERVICE_LABEL.to_owned(), kind: EndpointKind::Service, phone: None }
    }

    fn label(&self) -> String {
        match &self.phone {
            Some(phone) => phone.as_str().to_owned(),
            None => self.display_name.clone(),
        }
    }
}

/// A party as a support engineer or admin sees it: every name, numbers still masked.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineerParty {
    /// Absent for phone parties, whose id is the number.
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    tenant_id: Option<String>,
    kind: EndpointKind,
    internal: bool,
    phone: Option<MaskedPhone>,
}

impl PartyView for EngineerParty {
    fn of(party: &Party, viewer: &Viewer) -> Self {
        let is_phone = party.kind == PartyKind::Phone;
        // A phone party's display name is often the number itself.
        let display_name =
            party.display_name.as_deref().map(|n| if is_phone { MaskedPhone::new(n).0 } else { n.to_owned() });
        Self {
            id: (!is_phone).then(|| party.id.clone()),
            display_name,
            user_principal_name: party.user_principal_name.clone(),
            tenant_id: party.tenant_id.clone(),
            kind: party.kind.into(),
            internal: is_internal(party, viewer.home_tenant),
            phone: phone_of(party),
        }
    }

    fn service() -> Self {
        Self {
            id: None,
            display_name: Some(SERVICE_LABEL.to_owned()),
            user_principal_name: None,
            tenant_id: None,
            kind: EndpointKind::Service,
            internal: true,
            phone: None,
        }
    }

    fn label(&self) -> String {
        let shown = [self.display_name.as_deref(), self.user_principal_name.as_deref(), self.id.as_deref()];
        match (&self.phone, shown.into_iter().flatten().next()) {
            (Some(phone), _) => phone.as_str().to_owned(),
            (None, Some(name)) => name.to_owned(),
            (None, None) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erased_party_is_the_erased_user_to_every_role() {
        let viewer = Viewer { searched_user: "someone-else", home_tenant: "home" };
        let erased = Party::erased(PartyKind::User);
        assert_eq!(SpecialistParty::of(&erased, &viewer).display_name(), "Erased user");
        assert_eq!(EngineerParty::of(&erased, &viewer).label(), "Erased user");
    }

    #[test]
    fn the_last_three_digits_are_masked() {
        assert_eq!(MaskedPhone::new("+15552823456").as_str(), "+15552823***");
        assert_eq!(MaskedPhone::new("tel:+1 (555) 282-3456").as_str(), "tel:+1 (555) 282-3***");
        assert_eq!(MaskedPhone::new("12").as_str(), "**");
        assert_eq!(MaskedPhone::new("Reception").as_str(), "Reception");
        assert_eq!(MaskedPhone::new("+1234567*89").as_str(), "+123456****");
    }

    #[test]
    fn only_the_number_is_shown_and_a_trailing_star_hides_nothing() {
        let cases = [
            ("+12345678***", "+12345***"),
            ("+14255550123***", "+14255550***"),
            ("+14255550123*", "+14255550***"),
            ("+14255550123;ext=42", "+14255550***"),
            ("sip:+14255550123@sbc.contoso.com:5061", "sip:+14255550***"),
            ("SIP:+14255550123;user=phone", "SIP:+14255550***"),
            (" +1 425 555 0123 ", "+1 425 555 0***"),
            ("+１４２５５５５０１２３", "+１４２５５５５０***"),
            ("alice123@contoso.com", "***"),
            ("anonymous", "anonymous"),
        ];
        for (number, shown) in cases {
            assert_eq!(MaskedPhone::new(number).as_str(), shown, "{number}");
        }
    }
}
