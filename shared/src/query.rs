//! The helpdesk's questions — who is this user, what calls did they have, what went wrong in
//! this one — answered for one caller, in the view their role allows.

use crate::auth::{AuthError, Principal, Role};
use crate::buildings::Building;
use crate::cursor::{CursorSigner, InvalidCursor, Position};
use crate::retention;
use crate::sites::{SiteCache, UnmappedSubnet, unmapped_subnets};
use crate::store::items::{Access, AuditEntry};
use crate::store::{DynamoStore, Item, StoreError, keys};
use crate::views::history::history_csv;
use crate::views::{
    AuditRecord, EngineerCall, EngineerParty, HistoryItem, SpecialistCall, SpecialistParty, UserSummary, Viewer,
    call_detail, involves,
};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Page size when the client names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Most calls one user's history shows in the 30-day window (as Teams does).
pub const MAX_HISTORY: u32 = 500;

/// A page of a list: `{"items": [...], "nextCursor": "..."}`, the cursor absent on the last page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A response in the view of the caller's role.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ByRole<S, E> {
    Specialist(S),
    Engineer(E),
}

/// Which view a caller gets.
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

    fn name(self) -> &'static str {
        match self {
            Self::Specialist => "support-specialist",
            Self::Engineer => "support-engineer",
        }
    }
}

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A parameter is missing or malformed; `name` is the parameter.
    #[error("parameter `{name}`: {message}")]
    BadParameter { name: &'static str, message: String },
    /// The user or call does not exist (or is not visible from the searched user).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InvalidCursor> for QueryError {
    fn from(error: InvalidCursor) -> Self {
        Self::BadParameter { name: "cursor", message: error.to_string() }
    }
}

/// A user's history page in the caller's view.
pub type HistoryPageView = ByRole<ListPage<HistoryItem<SpecialistParty>>, ListPage<HistoryItem<EngineerParty>>>;
impl HistoryPageView {
    /// The page as CSV (`GET /users/{userId}/calls?format=csv`), in the same view.
    pub fn to_csv(&self) -> String {
        match self {
            ByRole::Specialist(page) => history_csv(&page.items),
            ByRole::Engineer(page) => history_csv(&page.items),
        }
    }

    /// Where the next page starts; `None` on the last.
    pub fn next_cursor(&self) -> Option<&str> {
        match self {
            ByRole::Specialist(page) => page.next_cursor.as_deref(),
            ByRole::Engineer(page) => page.next_cursor.as_deref(),
        }
    }
}

/// How a list is answered: `format=json` (the default) or `format=csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// The `format` parameter of `params`.
    pub fn of(params: &Params) -> Result<Self, QueryError> {
        match params.get("format").map(String::as_str) {
            None | Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some(_) => Err(QueryError::BadParameter { name: "format", message: "must be `json` or `csv`".into() }),
        }
    }
}

/// A call's detail in the caller's view.
pub type CallView = ByRole<SpecialistCall, EngineerCall>;

/// The active building map, a page of its rows at a time.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildingsPage {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub row_count: u32,
    pub items: Vec<Building>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The query parameters of a request (first value of each).
pub type Params = HashMap<String, String>;

/// One request's context: the store, the cursor key, the home tenant, the time and request id.
pub struct Query<'a> {
    pub store: &'a DynamoStore,
    /// The tenant data (buildings, endpoints) as loaded in this warm function.
    pub sites: &'a SiteCache,
    pub signer: &'a CursorSigner,
    pub home_tenant: &'a str,
    pub now: OffsetDateTime,
    pub request_id: &'a str,
}

impl Query<'_> {
    /// `GET /users?search=&limit=&cursor=`: users whose name (any word) or address starts with
    /// `search`, case-insensitive; all users alphabetically without it.
    pub async fn users(&self, principal: &Principal, params: &Params) -> Result<ListPage<UserSummary>, QueryError> {
        let audience = Audience::of(principal)?;
        let search = params.get("search").map(|s| keys::normalize(s.trim())).filter(|s| !s.is_empty());
        let words: Vec<&str> = search.as_deref().map(|s| s.split_whitespace().collect()).unwrap_or_default();
        let limit = limit(params)?;
        let scope = format!("users|{}|{}", search.as_deref().unwrap_or(""), audience.name());
        let position = self.position(&scope, params)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let start = position.map(|p| p.start_key());
        let page = self.store.directory(words.first().copied(), limit as i32, start, self.now).await?;
        let mut items: Vec<UserSummary> = Vec::with_capacity(page.entries.len());
        for entry in &page.entries {
            let tokens = keys::search_tokens(entry.display_name.as_deref(), entry.user_principal_name.as_deref());
            let matches_all = words.iter().skip(1).all(|w| tokens.iter().any(|t| t.starts_with(w)));
            if matches_all && !items.iter().any(|u| u.id == entry.user_id) {
                items.push(entry.into());
            }
        }
        let next_cursor = self.next_cursor(&scope, page.last_key.as_ref(), returned + items.len() as u32);
        Ok(ListPage { items, next_cursor })
    }

    /// `GET /users/{userId}/calls?limit=&cursor=&from=&to=`: one page of the user's calls in the
    /// 30-day window, newest first; audited.
    pub async fn history(
        &self,
        principal: &Principal,
        user_id: &str,
        params: &Params,
    ) -> Result<HistoryPageView, QueryError> {
        let audience = self.audience_audited(principal, "history", Some(user_id), None).await?;
        check_id("userId", user_id)?;
        let window = self.window(params)?;
        let limit = limit(params)?;
        let scope = format!(
            "history|{user_id}|{}|{}|{}",
            params.get("from").map_or("", String::as_str),
            params.get("to").map_or("", String::as_str),
            audience.name()
        );
        let position = self.position(&scope, params)?;
        let first_page = position.is_none();
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let room = MAX_HISTORY.saturating_sub(returned).min(limit);
        let read = async {
            if room == 0 {
                return Ok(None);
            }
            let start = position.map(|p| p.start_key());
            self.store.user_history(user_id, window, room as i32, start, self.now).await.map(Some)
        };
        let (page, audit) = tokio::join!(read, self.audit(principal, audience.name(), "history", Some(user_id), None));
        audit?;
        let Some(page) = page? else {
            return Ok(empty_history(audience));
        };
        if page.entries.is_empty() && first_page && !params.contains_key("from") && !params.contains_key("to") {
            return Err(QueryError::NotFound("user"));
        }
        let shown = returned + page.entries.len() as u32;
        let next_cursor =
            if shown < MAX_HISTORY { self.next_cursor(&scope, page.last_key.as_ref(), shown) } else { None };
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        Ok(match audience {
            Audience::Specialist => ByRole::Specialist(ListPage {
                items: page.entries.iter().map(|e| HistoryItem::of(e, &viewer)).collect(),
                next_cursor,
            }),
            Audience::Engineer => ByRole::Engineer(ListPage {
                items: page.entries.iter().map(|e| HistoryItem::of(e, &viewer)).collect(),
                next_cursor,
            }),
        })
    }

    /// `GET /calls/{callId}?user={userId}`: the call as seen from the searched user; audited.
    pub async fn call(&self, principal: &Principal, call_id: &str, params: &Params) -> Result<CallView, QueryError> {
        let user_id = params.get("user").map(String::as_str);
        let audience = self.audience_audited(principal, "detail", user_id, Some(call_id)).await?;
        let user_id = user_id.filter(|u| !u.is_empty()).ok_or(QueryError::BadParameter {
            name: "user",
            message: "required: the id of the user whose call this is".into(),
        })?;
        check_id("user", user_id)?;
        check_id("callId", call_id)?;
        let (stored, audit, loaded) = tokio::join!(
            self.store.call(call_id, self.now),
            self.audit(principal, audience.name(), "detail", Some(user_id), Some(call_id)),
            self.sites.current(self.store, self.now, false)
        );
        audit?;
        let stored = stored?.filter(|s| involves(&s.header, user_id)).ok_or(QueryError::NotFound("call"))?;
        let sites = loaded?.sites;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        Ok(match audience {
            Audience::Specialist => ByRole::Specialist(call_detail(&stored, &viewer, &sites)),
            Audience::Engineer => ByRole::Engineer(call_detail(&stored, &viewer, &sites)),
        })
    }

    /// `GET /buildings?limit=&cursor=` (admin only): the active building map and its rows.
    pub async fn buildings(&self, principal: &Principal, params: &Params) -> Result<BuildingsPage, QueryError> {
        principal.require_any(&[Role::Admin])?;
        let limit = limit(params)?;
        let loaded = self.sites.current(self.store, self.now, true).await?;
        let Some(active) = loaded.buildings else {
            return Err(QueryError::NotFound("building map"));
        };
        let scope = format!("buildings|{}", active.version);
        let offset = self.position(&scope, params)?.map_or(0, |p| p.returned) as usize;
        let rows = loaded.sites.buildings.rows();
        let page: Vec<Building> = rows.iter().skip(offset).take(limit as usize).cloned().collect();
        let end = offset + page.len();
        let next_cursor = (end < rows.len())
            .then(|| self.signer.sign(&scope, &Position { key: Default::default(), returned: end as u32 }));
        Ok(BuildingsPage {
            version: active.version,
            uploaded_at: active.uploaded_at,
            row_count: active.rows,
            items: page,
            next_cursor,
        })
    }

    /// `GET /buildings/unmapped-subnets` (admin only).
    pub async fn unmapped_subnets(&self, principal: &Principal) -> Result<ListPage<UnmappedSubnet>, QueryError> {
        principal.require_any(&[Role::Admin])?;
        let loaded = self.sites.current(self.store, self.now, true).await?;
        let items = unmapped_subnets(self.store, &loaded.sites.buildings, self.now).await?;
        Ok(ListPage { items, next_cursor: None })
    }

    /// `GET /audit?from=&to=&limit=&cursor=` (admin only): who looked at which user or call.
    pub async fn audit_log(&self, principal: &Principal, params: &Params) -> Result<ListPage<AuditRecord>, QueryError> {
        principal.require_any(&[Role::Admin])?;
        let from = time_param(params, "from")?.unwrap_or(self.now - retention::HISTORY);
        let to = time_param(params, "to")?.unwrap_or(self.now);
        if from > to {
            return Err(QueryError::BadParameter { name: "from", message: "must not be after `to`".into() });
        }
        let limit = limit(params)?;
        let scope = format!(
            "audit|{}|{}",
            params.get("from").map_or("", String::as_str),
            params.get("to").map_or("", String::as_str)
        );
        let position = self.position(&scope, params)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let page = self.store.audit((from, to), limit as i32, position.map(|p| p.start_key()), self.now).await?;
        let next_cursor = self.next_cursor(&scope, page.last_key.as_ref(), returned + page.entries.len() as u32);
        Ok(ListPage { items: page.entries.into_iter().map(AuditRecord::from).collect(), next_cursor })
    }

    /// The caller's view; a caller without a support role is refused, and the refusal audited.
    async fn audience_audited(
        &self,
        principal: &Principal,
        action: &str,
        user: Option<&str>,
        call: Option<&str>,
    ) -> Result<Audience, QueryError> {
        match Audience::of(principal) {
            Ok(audience) => Ok(audience),
            Err(refused) => {
                self.audit(principal, "none", action, user, call).await?;
                Err(refused.into())
            }
        }
    }

    async fn audit(
        &self,
        principal: &Principal,
        role: &str,
        action: &str,
        user: Option<&str>,
        call: Option<&str>,
    ) -> Result<(), StoreError> {
        let entry = AuditEntry::new(Access {
            at: self.now,
            request_id: self.request_id,
            subject: principal.subject.as_deref(),
            role,
            action,
            user,
            call,
        });
        self.store.write_audit(&entry).await
    }

    /// The history window: `from`/`to` if given, clamped to the 30-day window.
    fn window(&self, params: &Params) -> Result<(OffsetDateTime, OffsetDateTime), QueryError> {
        let earliest = self.now - retention::HISTORY;
        let latest = self.now + retention::FUTURE_TOLERANCE;
        let from = time_param(params, "from")?.unwrap_or(earliest).max(earliest);
        let to = time_param(params, "to")?.unwrap_or(latest).min(latest);
        if from > to {
            return Err(QueryError::BadParameter { name: "from", message: "must not be after `to`".into() });
        }
        Ok((from, to))
    }

    fn position(&self, scope: &str, params: &Params) -> Result<Option<Position>, QueryError> {
        Ok(params.get("cursor").map(|c| self.signer.verify(scope, c)).transpose()?)
    }

    fn next_cursor(&self, scope: &str, last_key: Option<&Item>, returned: u32) -> Option<String> {
        let position = Position::after(last_key?, returned)?;
        Some(self.signer.sign(scope, &position))
    }
}

fn empty_history(audience: Audience) -> HistoryPageView {
    match audience {
        Audience::Specialist => ByRole::Specialist(ListPage { items: Vec::new(), next_cursor: None }),
        Audience::Engineer => ByRole::Engineer(ListPage { items: Vec::new(), next_cursor: None }),
    }
}

fn limit(params: &Params) -> Result<u32, QueryError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            QueryError::BadParameter { name: "limit", message: format!("must be a whole number from 1 to {MAX_LIMIT}") }
        }),
    }
}

fn time_param(params: &Params, name: &'static str) -> Result<Option<OffsetDateTime>, QueryError> {
    params
        .get(name)
        .map(|raw| {
            OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| QueryError::BadParameter {
                name,
                message: "must be an RFC 3339 date-time such as 2026-11-24T09:00:00Z".into(),
            })
        })
        .transpose()
}

/// Refuses an id no stored item can have (empty, too long, control characters) as parameter `name`.
pub fn check_id(name: &'static str, id: &str) -> Result<(), QueryError> {
    let valid = !id.is_empty() && id.len() <= crate::model::validate::MAX_ID_LEN && !id.chars().any(char::is_control);
    if valid { Ok(()) } else { Err(QueryError::BadParameter { name, message: "is not a valid id".into() }) }
}
