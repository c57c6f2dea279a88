//! The ids and values of the sample tenant (`events/graph/*.json`) that tests name, once.

/// Ada, the home-tenant user in both sample calls (the phone call's caller).
pub const ADA: &str = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";
/// Bob, of another tenant, in the meeting.
pub const BOB: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
/// Grace, a guest in the meeting.
pub const GRACE_GUEST: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
/// The peer-to-peer phone call (`p2p-pstn.json`).
pub const P2P: &str = "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b";
/// The meeting (`meeting.json`).
pub const MEETING: &str = "e523d2ed-2966-4b6b-925b-754a88034cc5";
/// The phone party's number in the phone call.
pub const PHONE: &str = "+15552823456";
/// The first session of the meeting.
pub const SESSION: &str = "a1b2c3d4-0000-4000-8000-000000000001";
/// The helpdesk roles, as `api_request` takes them.
pub const SPECIALIST: Option<&str> = Some("support-specialist");
pub const ENGINEER: Option<&str> = Some("support-engineer");
pub const ADMIN: Option<&str> = Some("admin");
