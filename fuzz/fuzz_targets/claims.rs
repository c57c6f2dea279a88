//! Any text as the role claim: never a panic, and no role is granted that the claim does not
//! name exactly.
#![no_main]

use callscope_core::domain::access::{Role, RoleNames, claim_values};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|raw: &str| {
    let names = RoleNames::default();
    let claims = HashMap::from([("sub".to_owned(), "fuzz".to_owned()), (names.claim.clone(), raw.to_owned())]);
    let principal = names.principal(Some(&claims)).expect("claims are present");
    let values = claim_values(raw);
    for role in &principal.roles {
        let name = match role {
            Role::Admin => &names.admin,
            Role::SupportEngineer => &names.support_engineer,
            Role::SupportSpecialist => &names.support_specialist,
            Role::Ingest => &names.ingest,
        };
        assert!(values.iter().any(|v| v == name), "{role:?} granted from {raw:?}");
        assert!(raw.contains(name.as_str()));
    }
});
