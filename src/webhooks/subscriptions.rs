//! Subscriptions: an endpoint, the events it wants, and whose. The OPCC's (made by the admin)
//! may receive every partnership's events; a partnership's manager, treasurer or API client
//! subscribes to its own partnership's only. The signing secret is shown once; rotating it keeps
//! the old one valid for a stated overlap, and both sign meanwhile.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::delivery;
use super::events::EventType;
use crate::auth::{Caller, Role};
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, Violations};
use crate::history::{self, Action};
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::{Precondition, changed_meanwhile};
use crate::schema::webhook_subscriptions;
use crate::{partnerships, timestamps};

const MAX_URL: usize = 2_000;
const MAX_DESCRIPTION: usize = 200;
/// How long an old secret keeps signing after a rotation, unless the request says.
const DEFAULT_OVERLAP_SECONDS: i64 = 86_400;
const MAX_OVERLAP_SECONDS: i64 = 7 * 86_400;
/// Who may subscribe: the admin for the OPCC, a partnership's people and clients for their own.
const SUBSCRIBERS: &[Role] = &[Role::Admin, Role::CspManager, Role::Treasurer];

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_subscriptions, check_for_backend(crate::db::MultiBackend))]
pub struct SubscriptionRow {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub partnership_id: Option<i64>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    /// The history entry recording its creation: it hears of the entries after it.
    pub after_entry_id: i64,
}

/// A subscription, without its secret.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(example = json!({"id": 1, "url": "https://grants.opcc.example.gov.uk/cspfund/events",
    "description": "OPCC grants system", "event_types": ["half_year_return.countersigned", "claim.approved"],
    "partnership_id": null, "active": true, "disabled_reason": null, "previous_secret_expires_at": null,
    "created_by": "user:1", "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z", "version": 1}))]
pub struct Subscription {
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    /// Whose events: one partnership's, or (null, the OPCC's subscriptions only) every one's.
    pub partnership_id: Option<i64>,
    /// false when switched off, or disabled by the service after failing deliveries for over a
    /// day; set it true again to resume.
    pub active: bool,
    /// Why the service disabled it.
    pub disabled_reason: Option<String>,
    /// While set, deliveries are signed with the previous secret too, until this time.
    #[serde(serialize_with = "timestamps::optional_as_utc")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub created_by: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

/// A subscription with its signing secret: the only time the secret is shown.
#[derive(Serialize, ToSchema, Debug)]
pub struct SubscriptionWithSecret {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries take it. Store it
    /// now: it cannot be shown again, only rotated.
    pub secret: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://grants.opcc.example.gov.uk/cspfund/events",
    "event_types": ["half_year_return.countersigned", "claim.approved"], "description": "OPCC grants system"}))]
pub struct NewSubscription {
    /// An https URL on a public address.
    pub url: String,
    /// At least one; each once.
    pub event_types: Vec<EventType>,
    /// The admin may name one partnership, or leave it out for every partnership's events; a
    /// partnership's subscription is always its own partnership's.
    pub partnership_id: Option<i64>,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_types": ["plan.approved"], "active": true}))]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub description: Option<String>,
    /// false switches deliveries off (messages wait); true resumes them.
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_seconds": 86400}))]
pub struct SecretRotation {
    /// How long the old secret keeps signing beside the new one: 0 to 604800 seconds (default
    /// 86400).
    pub overlap_seconds: Option<i64>,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionFilter {
    pub active: Option<bool>,
}

impl SubscriptionRow {
    pub fn view(&self) -> Subscription {
        Subscription {
            id: self.id,
            url: self.url.clone(),
            description: self.description.clone(),
            event_types: self.event_types(),
            partnership_id: self.partnership_id,
            active: self.active,
            disabled_reason: self.disabled_reason.clone(),
            previous_secret_expires_at: self.previous_secret_expires_at,
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }

    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// The secrets that sign a delivery now: the current one, and the previous during its overlap.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<String> {
        let mut secrets = vec![self.secret.clone()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_expires_at)
            && until > now
        {
            secrets.push(previous.clone());
        }
        secrets
    }
}

fn record(row: &SubscriptionRow) -> history::Record<'static> {
    history::Record {
        kind: "webhook_subscription",
        id: row.id,
        partnership_id: row.partnership_id,
    }
}

/// Checks an endpoint URL: https (http only where private addresses are allowed), a host, no
/// credentials, and not an address inside the network unless allowed.
pub fn check_url(v: &mut Violations, url: &str, allow_private: bool) {
    if url.len() > MAX_URL {
        v.add("url", "max_length", format!("must be at most {MAX_URL} characters"));
        return;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        v.add(
            "url",
            "url",
            "must be an absolute URL such as https://grants.example.gov.uk/events",
        );
        return;
    };
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => v.add("url", "https", "must be an https URL"),
    }
    if parsed.host().is_none() {
        v.add("url", "url", "must name a host");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        v.add(
            "url",
            "no_credentials",
            "must not carry a user name or password; the signature authenticates deliveries",
        );
    }
    if let Some(refusal) = delivery::refused_literal(url, allow_private) {
        v.add("url", "public_address", refusal);
    }
}

fn check_event_types(v: &mut Violations, event_types: &[EventType]) {
    v.check(
        !event_types.is_empty(),
        "event_types",
        "min_items",
        "must name at least one event type",
    );
    let mut seen = std::collections::HashSet::new();
    if let Some(repeated) = event_types.iter().find(|t| !seen.insert(**t)) {
        v.add("event_types", "unique", format!("names {repeated} twice"));
    }
}

/// Whose events a new subscription receives, by who asks.
fn scope_of(conn: &mut DbConnection, caller: &Caller, asked: Option<i64>) -> Result<Option<i64>, Error> {
    match (caller.role, caller.scope().confined_to(), asked) {
        (Role::Admin, _, Some(id)) => {
            if partnerships::find_unscoped(conn, id)?.is_none() {
                return Err(Error::invalid(
                    "partnership_id",
                    "exists",
                    format!("no partnership has id {id}"),
                ));
            }
            Ok(Some(id))
        }
        (Role::Admin, _, None) => Ok(None),
        (_, Some(own), None) => Ok(Some(own)),
        (_, Some(own), Some(id)) if id == own => Ok(Some(own)),
        _ => Err(Error::invalid(
            "partnership_id",
            "own_partnership",
            "a partnership subscribes to its own partnership's events only",
        )),
    }
}

/// A subscription the caller may manage: the admin any; a partnership's people and clients
/// their own partnership's.
pub fn locate(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<SubscriptionRow, Error> {
    caller.require(SUBSCRIBERS)?;
    let row: SubscriptionRow = webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("webhook subscription"))?;
    // The OPCC's subscriptions (every partnership) are the admin's alone.
    match row.partnership_id {
        Some(partnership_id) => caller.ensure_visible(partnership_id, "webhook subscription")?,
        None if caller.role != Role::Admin => return Err(Error::NotFound("webhook subscription")),
        None => {}
    }
    Ok(row)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Subscription, Error> {
    Ok(locate(conn, caller, id)?.view())
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &SubscriptionFilter,
    page: &PageRequest,
) -> Result<Page<Subscription>, Error> {
    caller.require(SUBSCRIBERS)?;
    let mut query = webhook_subscriptions::table
        .select((SubscriptionRow::as_select(), webhook_subscriptions::revision))
        .into_boxed();
    if let Some(only) = caller.scope().confined_to() {
        query = query.filter(webhook_subscriptions::partnership_id.eq(only));
    }
    if let Some(active) = filter.active {
        query = query.filter(webhook_subscriptions::active.eq(active));
    }
    let rows: Vec<(SubscriptionRow, i64)> = in_page_order!(query, webhook_subscriptions, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(r, revision)| page.position(r.id, *revision),
        |(r, _)| r.view(),
    ))
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewSubscription,
    allow_private: bool,
) -> Result<SubscriptionWithSecret, Error> {
    caller.require(SUBSCRIBERS)?;
    let mut v = Violations::new();
    check_url(&mut v, new.url.trim(), allow_private);
    check_event_types(&mut v, &new.event_types);
    v.optional_text("description", new.description.as_deref(), MAX_DESCRIPTION);
    v.finish()?;
    write_transaction(conn, |conn| {
        let partnership_id = scope_of(conn, caller, new.partnership_id)?;
        let now = timestamps::now();
        let secret = delivery::new_secret();
        let row: SubscriptionRow = diesel::insert_into(webhook_subscriptions::table)
            .values((
                webhook_subscriptions::url.eq(new.url.trim()),
                webhook_subscriptions::description.eq(new.description.as_deref().unwrap_or("").trim()),
                webhook_subscriptions::event_types.eq(serde_json::json!(new.event_types).to_string()),
                webhook_subscriptions::partnership_id.eq(partnership_id),
                webhook_subscriptions::active.eq(true),
                webhook_subscriptions::secret.eq(&secret),
                webhook_subscriptions::created_by.eq(caller.principal.subject()),
                webhook_subscriptions::created_at.eq(now),
                webhook_subscriptions::updated_at.eq(now),
            ))
            .returning(crate::db::columns_of::<SubscriptionRow>())
            .get_result(conn)?;
        let subscription = row.view();
        let created = history::record_change(conn, caller, record(&row), Action::Created, None, &subscription)?;
        diesel::update(webhook_subscriptions::table.find(row.id))
            .set(webhook_subscriptions::after_entry_id.eq(created))
            .execute(conn)?;
        Ok(SubscriptionWithSecret { subscription, secret })
    })
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: &SubscriptionChanges,
    allow_private: bool,
) -> Result<Subscription, Error> {
    let mut v = Violations::new();
    if let Some(url) = &changes.url {
        check_url(&mut v, url.trim(), allow_private);
    }
    if let Some(event_types) = &changes.event_types {
        check_event_types(&mut v, event_types);
    }
    v.optional_text("description", changes.description.as_deref(), MAX_DESCRIPTION);
    v.finish()?;
    write_transaction(conn, |conn| {
        let current = locate(conn, caller, id)?;
        expected.ensure(current.version)?;
        let active = changes.active.unwrap_or(current.active);
        let event_types = changes
            .event_types
            .as_ref()
            .map(|types| serde_json::json!(types).to_string())
            .unwrap_or_else(|| current.event_types.clone());
        let row: SubscriptionRow = diesel::update(webhook_subscriptions::table.find(id))
            .filter(webhook_subscriptions::version.eq(current.version))
            .set((
                webhook_subscriptions::version.eq(current.version + 1),
                webhook_subscriptions::url.eq(changes.url.as_deref().map(str::trim).unwrap_or(&current.url)),
                webhook_subscriptions::description.eq(changes
                    .description
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&current.description)),
                webhook_subscriptions::event_types.eq(event_types),
                webhook_subscriptions::active.eq(active),
                // Switched on again, it no longer stands disabled for past failures.
                webhook_subscriptions::disabled_reason.eq(current.disabled_reason.clone().filter(|_| !active)),
                webhook_subscriptions::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<SubscriptionRow>())
            .get_result(conn)
            .map_err(changed_meanwhile)?;
        let subscription = row.view();
        history::record_change(
            conn,
            caller,
            record(&row),
            Action::Edited,
            Some(&current.view()),
            &subscription,
        )?;
        Ok(subscription)
    })
}

/// Replaces the secret; the old one signs beside it until the overlap ends.
pub fn rotate_secret(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    rotation: &SecretRotation,
) -> Result<SubscriptionWithSecret, Error> {
    let overlap = rotation.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    let mut v = Violations::new();
    v.check(
        (0..=MAX_OVERLAP_SECONDS).contains(&overlap),
        "overlap_seconds",
        "range",
        format!("must be between 0 and {MAX_OVERLAP_SECONDS}"),
    );
    v.finish()?;
    write_transaction(conn, |conn| {
        let current = locate(conn, caller, id)?;
        let now = timestamps::now();
        let secret = delivery::new_secret();
        let row: SubscriptionRow = diesel::update(webhook_subscriptions::table.find(id))
            .set((
                webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
                webhook_subscriptions::secret.eq(&secret),
                webhook_subscriptions::previous_secret.eq(Some(&current.secret).filter(|_| overlap > 0)),
                webhook_subscriptions::previous_secret_expires_at
                    .eq((overlap > 0).then(|| now + chrono::Duration::seconds(overlap))),
                webhook_subscriptions::updated_at.eq(now),
            ))
            .returning(crate::db::columns_of::<SubscriptionRow>())
            .get_result(conn)?;
        let subscription = row.view();
        history::record_change(
            conn,
            caller,
            record(&row),
            Action::SecretRotated,
            Some(&current.view()),
            &subscription,
        )?;
        Ok(SubscriptionWithSecret { subscription, secret })
    })
}
