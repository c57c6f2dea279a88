//! Who is calling, from the JWT claims that API Gateway's authorizer already verified.
//!
//! This is the only place that decides a role. Nothing the client sends besides the verified
//! claims (headers, query parameters, path ids) is ever read here.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The claim in which Microsoft Entra ID lists the template ids of the caller's built-in
/// directory roles (when the app registration's `groupMembershipClaims` asks for them).
pub const DIRECTORY_ROLES_CLAIM: &str = "wids";

/// The Entra built-in directory roles that grant a support role, by template id (the same in
/// every tenant: "Microsoft Entra built-in roles", learn.microsoft.com), with their names.
pub const DIRECTORY_ROLES: [(&str, &str, Role); 4] = [
    ("fcf91098-03e3-41a9-b5ba-6f0ec8188a12", "Teams Communications Support Specialist", Role::SupportSpecialist),
    ("f70938a0-fc10-4177-9e90-2178f8765737", "Teams Communications Support Engineer", Role::SupportEngineer),
    ("69091246-20e8-4a56-aa4d-066075b2a7a8", "Teams Administrator", Role::Admin),
    ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator", Role::Admin),
];

/// What a caller may do: the one role vocabulary of the product (the audit trail, an
/// escalation's authors and the views all say it so). Ordered from least to most trusted for
/// support views; written as the default role names (`support-engineer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A machine identity that posts call records.
    Ingest,
    /// Tier 1: sees the searched user's name only, no Advanced or Debug data.
    SupportSpecialist,
    /// Tier 2: sees every name, Advanced and Debug.
    SupportEngineer,
    /// Everything a support engineer sees, plus building uploads and the audit log.
    Admin,
}

impl Role {
    /// The role's default name, as the audit trail and the default role claim write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::SupportSpecialist => "support-specialist",
            Self::SupportEngineer => "support-engineer",
            Self::Admin => "admin",
        }
    }

    /// How the role is shown where a person's name is not.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ingest => "Ingest",
            Self::SupportSpecialist => "Support specialist",
            Self::SupportEngineer => "Support engineer",
            Self::Admin => "Admin",
        }
    }
}

/// Which view of the call data a caller gets: not a role, but what their most trusted support
/// role allows (an admin reads as an engineer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Tier 1: names of others masked, no Advanced or Debug.
    Specialist,
    /// Tier 2 and admins: everything.
    Engineer,
}

impl Audience {
    /// The view `principal`'s most trusted support role allows.
    pub fn of(principal: &Principal) -> Result<Self, AuthError> {
        match principal.support_role() {
            Some(Role::SupportSpecialist) => Ok(Self::Specialist),
            Some(Role::SupportEngineer | Role::Admin) => Ok(Self::Engineer),
            _ => Err(AuthError::Forbidden),
        }
    }

    /// The view's name, as cursors record it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Specialist => "support-specialist",
            Self::Engineer => "support-engineer",
        }
    }
}

/// The role names a deployment's identity provider puts into the role claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleNames {
    pub claim: String,
    pub admin: String,
    pub support_engineer: String,
    pub support_specialist: String,
    pub ingest: String,
}

impl Default for RoleNames {
    fn default() -> Self {
        Self {
            claim: "roles".into(),
            admin: "admin".into(),
            support_engineer: "support-engineer".into(),
            support_specialist: "support-specialist".into(),
            ingest: "ingest".into(),
        }
    }
}

/// A caller whose token the gateway verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`, for the audit trail.
    pub subject: Option<String>,
    /// The token's `oid`: the caller's object id in the directory, the id Graph's call records
    /// give them; what an erasure of them names.
    pub object_id: Option<String>,
    /// The token's `name`, shown as the author of what they write (escalations, notes).
    pub name: Option<String>,
    pub roles: BTreeSet<Role>,
    /// For each role held, what granted it: the app role's name as the role claim carries it,
    /// or the Entra directory role's name (`Teams Communications Support Engineer`).
    pub granted_by: BTreeMap<Role, String>,
}

/// Why a request may not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No verified claims at all: the request did not pass a JWT authorizer.
    #[error("no verified identity on the request")]
    Unauthenticated,
    /// Verified, but without a role that allows this.
    #[error("the caller's roles do not allow this")]
    Forbidden,
}

impl RoleNames {
    /// Whether `name` can be told apart inside API Gateway's flattened `[a b]` form: not empty,
    /// and no whitespace, comma, bracket or quote.
    pub fn is_single_token(name: &str) -> bool {
        !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '"' | '\''))
    }

    /// The principal behind verified `claims`; `None` means the request carried none.
    pub fn principal(&self, claims: Option<&HashMap<String, String>>) -> Result<Principal, AuthError> {
        let claims = claims.filter(|c| !c.is_empty()).ok_or(AuthError::Unauthenticated)?;
        let values = |claim: &str| claims.get(claim).map(|raw| claim_values(raw)).unwrap_or_default();
        let app_roles = values(&self.claim).into_iter().filter_map(|name| Some((self.role(&name)?, name)));
        let directory_roles = values(DIRECTORY_ROLES_CLAIM).into_iter().filter_map(|id| directory_role(&id));
        // An app role is named first, so it is what a role held both ways is said to come from.
        let mut granted_by = BTreeMap::new();
        for (role, name) in app_roles.chain(directory_roles) {
            granted_by.entry(role).or_insert(name);
        }
        Ok(Principal {
            subject: claims.get("sub").cloned(),
            object_id: claims.get("oid").cloned(),
            name: claims.get("name").cloned(),
            roles: granted_by.keys().copied().collect(),
            granted_by,
        })
    }

    fn role(&self, name: &str) -> Option<Role> {
        [
            (&self.admin, Role::Admin),
            (&self.support_engineer, Role::SupportEngineer),
            (&self.support_specialist, Role::SupportSpecialist),
            (&self.ingest, Role::Ingest),
        ]
        .into_iter()
        .find_map(|(configured, role)| (configured == name).then_some(role))
    }
}

/// The support role an Entra directory role template id grants, with the directory role's
/// name; `None` for any other id (ids are compared exactly, lower-case as Entra writes them).
fn directory_role(template_id: &str) -> Option<(Role, String)> {
    DIRECTORY_ROLES.iter().find(|(id, _, _)| *id == template_id).map(|(_, name, role)| (*role, (*name).to_owned()))
}

impl Principal {
    /// Succeeds when the caller holds any of `allowed`.
    pub fn require_any(&self, allowed: &[Role]) -> Result<(), AuthError> {
        if allowed.iter().any(|r| self.roles.contains(r)) { Ok(()) } else { Err(AuthError::Forbidden) }
    }

    /// The id that names the caller as a person: their directory object id (`oid`), else the
    /// token's `sub`; `None` for a token with neither.
    pub fn person_id(&self) -> Option<&str> {
        [&self.object_id, &self.subject].into_iter().flatten().map(String::as_str).find(|id| !id.is_empty())
    }

    /// The most trusted support role the caller holds, which decides what a view may show.
    pub fn support_role(&self) -> Option<Role> {
        self.roles.iter().rev().copied().find(|r| *r != Role::Ingest)
    }

    /// What granted `role` (the app role or Entra directory role name), if the caller holds it.
    pub fn granted_by(&self, role: Role) -> Option<&str> {
        self.granted_by.get(&role).map(String::as_str)
    }
}

/// The values of an array claim in any of the shapes it arrives in: a JSON array string
/// (`["a","b"]`, exact), API Gateway's flattened form (`[a b]`, split on whitespace only: a
/// value may contain a comma), or a single value (`a`). The flattened form cannot tell the one
/// group "admin assistants" from the two groups "admin" and "assistants"; the HTTP edge hands
/// over the exact JSON array wherever the verified token shows it.
pub fn claim_values(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => inner.split_whitespace().map(String::from).collect(),
        None if raw.is_empty() => Vec::new(),
        None => vec![raw.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_every_claim_shape() {
        assert_eq!(claim_values(r#"["admin","ingest"]"#), ["admin", "ingest"]);
        assert_eq!(claim_values("[admin support-engineer]"), ["admin", "support-engineer"]);
        assert_eq!(claim_values("[]"), Vec::<String>::new());
        assert_eq!(claim_values("ingest"), ["ingest"]);
        assert_eq!(
            claim_values("[admin,ops support-engineer]"),
            ["admin,ops", "support-engineer"],
            "commas are not separators"
        );
        assert_eq!(claim_values(r#"["admin assistants"]"#), ["admin assistants"], "the exact form is kept whole");
        assert_eq!(claim_values(""), Vec::<String>::new());
    }

    #[test]
    fn no_claims_is_unauthenticated_and_unknown_roles_grant_nothing() {
        let names = RoleNames::default();
        assert_eq!(names.principal(None), Err(AuthError::Unauthenticated));
        assert_eq!(names.principal(Some(&HashMap::new())), Err(AuthError::Unauthenticated));
        let p = names.principal(Some(&claims(&[("sub", "u1"), ("roles", "[root superuser]")]))).unwrap();
        assert!(p.roles.is_empty());
        assert_eq!(p.require_any(&[Role::Ingest, Role::Admin]), Err(AuthError::Forbidden));
    }

    #[test]
    fn the_most_trusted_support_role_wins() {
        let names = RoleNames::default();
        let p = names.principal(Some(&claims(&[("roles", "[support-specialist support-engineer ingest]")]))).unwrap();
        assert_eq!(p.support_role(), Some(Role::SupportEngineer));
        assert!(p.require_any(&[Role::Ingest]).is_ok());
    }

    #[test]
    fn the_claim_name_and_role_names_are_configurable() {
        let names = RoleNames { claim: "groups".into(), admin: "cs-admins".into(), ..RoleNames::default() };
        let p = names.principal(Some(&claims(&[("groups", "cs-admins"), ("roles", "[ingest]")]))).unwrap();
        assert_eq!(p.roles, BTreeSet::from([Role::Admin]));
        assert_eq!(p.granted_by(Role::Admin), Some("cs-admins"));
    }

    const SPECIALIST: &str = "fcf91098-03e3-41a9-b5ba-6f0ec8188a12";
    const ENGINEER: &str = "f70938a0-fc10-4177-9e90-2178f8765737";
    const TEAMS_ADMIN: &str = "69091246-20e8-4a56-aa4d-066075b2a7a8";
    const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";

    #[test]
    fn each_directory_role_grants_its_support_role_by_name() {
        let names = RoleNames::default();
        for (id, role, name) in [
            (SPECIALIST, Role::SupportSpecialist, "Teams Communications Support Specialist"),
            (ENGINEER, Role::SupportEngineer, "Teams Communications Support Engineer"),
            (TEAMS_ADMIN, Role::Admin, "Teams Administrator"),
            (GLOBAL_ADMIN, Role::Admin, "Global Administrator"),
        ] {
            let p = names.principal(Some(&claims(&[("sub", "u1"), ("wids", id)]))).unwrap();
            assert_eq!(p.roles, BTreeSet::from([role]), "{name}");
            assert_eq!((p.support_role(), p.granted_by(role)), (Some(role), Some(name)));
        }
    }

    #[test]
    fn the_highest_role_of_both_claims_wins_and_unknown_ids_grant_nothing() {
        let names = RoleNames::default();
        let wids = format!(r#"["b79fbf4d-3ef9-4689-8143-76b194e85509","{SPECIALIST}","{ENGINEER}"]"#);
        let p = names.principal(Some(&claims(&[("roles", "support-specialist"), ("wids", &wids)]))).unwrap();
        assert_eq!(p.support_role(), Some(Role::SupportEngineer));
        assert_eq!(p.granted_by(Role::SupportEngineer), Some("Teams Communications Support Engineer"));
        assert_eq!(p.granted_by(Role::SupportSpecialist), Some("support-specialist"), "the app role is named first");
        let flattened = format!("[{SPECIALIST} {GLOBAL_ADMIN}]");
        let p = names.principal(Some(&claims(&[("roles", "[support-engineer]"), ("wids", &flattened)]))).unwrap();
        assert_eq!((p.support_role(), p.granted_by(Role::Admin)), (Some(Role::Admin), Some("Global Administrator")));
        for odd in [
            "b79fbf4d-3ef9-4689-8143-76b194e85509".to_owned(), // a real directory role that grants nothing here
            SPECIALIST.to_uppercase(),                         // ids are exact
            format!("{SPECIALIST}x"),                          // a near miss
            format!(r#"[{{"id":"{GLOBAL_ADMIN}"}}]"#),         // objects in an array
            format!("[\"{GLOBAL_ADMIN}\""),                    // broken JSON
            format!("{SPECIALIST},{ENGINEER}"),                // commas are not separators
            "[1, 2]".to_owned(),                               // not strings
            String::new(),
        ] {
            let p = names.principal(Some(&claims(&[("sub", "u1"), ("wids", &odd)]))).unwrap();
            assert!(p.roles.is_empty(), "{odd:?} granted {:?}", p.roles);
        }
    }
}
