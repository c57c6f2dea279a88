//! The Graph calls the connector makes: one page of a record (the fetch itself, page by page
//! and resumable, is `crate::app::connector`'s), list the records of a window page by page,
//! and find, create or renew our callRecords subscription.

use super::client::{GraphClient, GraphError};
use crate::domain::connector::{ActiveSubscription, PhoneLog, Request};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The subscribed resource.
pub const CALL_RECORDS: &str = "/communications/callRecords";

/// A record as a listing names it: its id and, when Graph gives it, its version (so that a
/// reconciliation fetches only what is not stored at that version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub version: Option<i64>,
}

impl GraphClient {
    fn record_url(&self, id: &str, expand: &str) -> Result<reqwest::Url, GraphError> {
        if !crate::domain::connector::is_record_key(id) {
            return Err(GraphError::Refused { status: 400, detail: "not a call record id".into() });
        }
        let mut url = self.url(CALL_RECORDS)?;
        url.path_segments_mut().map_err(|()| GraphError::Unreadable("base URL".into()))?.push(id);
        url.set_query(Some(&format!("$expand={expand}")));
        Ok(url)
    }

    /// The answer to one request of a record's fetch (`FetchState::next_request`) by
    /// `deadline`: the record with the first page of a collection, or a next link's page (only
    /// inside the configured Graph).
    pub async fn record_page(
        &self,
        id: &str,
        request: Request<'_>,
        deadline: OffsetDateTime,
    ) -> Result<Value, GraphError> {
        let url = match request {
            Request::Record(part) => self.record_url(id, part.expand())?,
            Request::Link(_, link) => self.link(link)?,
        };
        self.get_until(url, deadline).await
    }

    /// One page of the records that started in `[from, to)`: their ids and versions, and the
    /// link to the next page. `link` continues a listing; `None` starts it.
    pub async fn list_records(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        link: Option<&str>,
    ) -> Result<(Vec<Listed>, Option<String>), GraphError> {
        let url = match link {
            Some(link) => self.link(link)?,
            None => {
                let mut url = self.url(CALL_RECORDS)?;
                let (from, to) = (rfc3339(from)?, rfc3339(to)?);
                url.query_pairs_mut()
                    .append_pair("$filter", &format!("startDateTime ge {from} and startDateTime lt {to}"))
                    .append_pair("$select", "id,version");
                url
            }
        };
        let page = self.get(url).await?;
        let ids = page["value"]
            .as_array()
            .ok_or_else(|| GraphError::Unreadable("a listing without `value`".into()))?
            .iter()
            .filter_map(|record| {
                Some(Listed { id: record["id"].as_str()?.to_owned(), version: record["version"].as_i64() })
            })
            .collect();
        Ok((ids, page["@odata.nextLink"].as_str().map(str::to_owned)))
    }

    /// One page of `log`'s rows of calls that started in `[from, to)` by `deadline`: the
    /// answer as Graph gives it (handed to ingest as it is). `link` continues a reading (only
    /// inside the configured Graph); `None` starts it.
    pub async fn phone_page(
        &self,
        log: PhoneLog,
        from: OffsetDateTime,
        to: OffsetDateTime,
        link: Option<&str>,
        deadline: OffsetDateTime,
    ) -> Result<Value, GraphError> {
        let url = match link {
            Some(link) => self.link(link)?,
            None => self.url(&format!(
                "{CALL_RECORDS}/{}(fromDateTime={},toDateTime={})",
                log.function(),
                rfc3339(from)?,
                rfc3339(to)?
            ))?,
        };
        self.get_until(url, deadline).await
    }

    /// Our live callRecords subscription (resource and notification URL both ours), if any.
    pub async fn our_subscription(&self) -> Result<Option<ActiveSubscription>, GraphError> {
        let mut url = self.url("/subscriptions")?;
        let mut found = None;
        loop {
            let page = self.get(url).await?;
            for sub in page["value"].as_array().into_iter().flatten() {
                let resource = sub["resource"].as_str().unwrap_or_default().trim_start_matches('/');
                let ours = resource.eq_ignore_ascii_case(CALL_RECORDS.trim_start_matches('/'))
                    && sub["notificationUrl"].as_str() == Some(self.settings().notification_url.as_str());
                let expires = sub["expirationDateTime"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
                if let (true, Some(id), Some(expires_at)) = (ours, sub["id"].as_str(), expires) {
                    let candidate = ActiveSubscription { id: id.to_owned(), expires_at };
                    if found.as_ref().is_none_or(|f: &ActiveSubscription| f.expires_at < expires_at) {
                        found = Some(candidate);
                    }
                }
            }
            match page["@odata.nextLink"].as_str() {
                Some(link) => url = self.link(link)?,
                None => return Ok(found),
            }
        }
    }

    /// Creates the subscription (Graph runs the validation handshake against our endpoint first).
    pub async fn create_subscription(&self, expires_at: OffsetDateTime) -> Result<ActiveSubscription, GraphError> {
        let settings = self.settings();
        let body = json!({
            "changeType": "updated",
            "notificationUrl": settings.notification_url,
            "lifecycleNotificationUrl": settings.lifecycle_url(),
            "resource": CALL_RECORDS,
            "expirationDateTime": rfc3339(expires_at)?,
            "clientState": settings.client_state.expose(),
        });
        let created = self.send(reqwest::Method::POST, self.url("/subscriptions")?, Some(&body)).await?;
        subscription(&created, expires_at)
    }

    /// Renews (and so reauthorizes) subscription `id` until `expires_at`.
    pub async fn renew_subscription(
        &self,
        id: &str,
        expires_at: OffsetDateTime,
    ) -> Result<ActiveSubscription, GraphError> {
        let mut url = self.url("/subscriptions")?;
        url.path_segments_mut().map_err(|()| GraphError::Unreadable("base URL".into()))?.push(id);
        let body = json!({ "expirationDateTime": rfc3339(expires_at)? });
        let renewed = self.send(reqwest::Method::PATCH, url, Some(&body)).await?;
        subscription(&renewed, expires_at)
    }
}

/// The subscription Graph answered with (its own expiry if it says one, else what we asked).
fn subscription(answer: &Value, asked: OffsetDateTime) -> Result<ActiveSubscription, GraphError> {
    let id = answer["id"].as_str().ok_or_else(|| GraphError::Unreadable("a subscription without `id`".into()))?;
    let expires_at =
        answer["expirationDateTime"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()).unwrap_or(asked);
    Ok(ActiveSubscription { id: id.to_owned(), expires_at })
}

fn rfc3339(at: OffsetDateTime) -> Result<String, GraphError> {
    at.replace_nanosecond(0).unwrap_or(at).format(&Rfc3339).map_err(|e| GraphError::Unreadable(e.to_string()))
}
