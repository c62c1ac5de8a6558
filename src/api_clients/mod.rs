//! API clients: partner councils' systems (and OPCC systems) that call the API as machines.
//!
//! A client is bound to one role and, for partnership roles, one partnership. Its secret is shown
//! once, when created or rotated, and stored only as an Argon2id hash.

pub mod http;
pub mod keys;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Principal, Role, sessions};
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, Violations};
use crate::history::Action;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::{Precondition, changed_meanwhile};
use crate::schema::api_clients;
use crate::{history, partnerships, timestamps};

const MAX_TEXT: usize = 200;

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = api_clients, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"id": 1, "client_id": "cspfund-3f0c2a9b8d7e4f61a2b3c4d5e6f70812",
    "name": "Plymouth CC grants system", "role": "csp_manager", "partnership_id": 1, "active": true,
    "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z", "version": 1, "public_key": null}))]
pub struct ApiClient {
    pub id: i64,
    /// Public identifier, sent with the secret to `/auth/token`.
    pub client_id: String,
    pub name: String,
    pub role: Role,
    pub partnership_id: Option<i64>,
    #[serde(skip)]
    pub secret_hash: String,
    pub active: bool,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
    /// The public key (a JWK) the client signs its token requests with (`private_key_jwt`);
    /// null when it has registered none.
    #[serde(serialize_with = "as_json_object")]
    #[schema(value_type = Option<keys::PublicJwk>)]
    pub public_key: Option<String>,
}

/// A stored JWK is JSON text; it is shown as the object it is.
fn as_json_object<S: serde::Serializer>(key: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    let value: Option<serde_json::Value> = key.as_deref().and_then(|k| serde_json::from_str(k).ok());
    value.serialize(serializer)
}

/// A client with its secret: the only time the secret is ever shown.
#[derive(Serialize, ToSchema, Debug)]
pub struct ApiClientWithSecret {
    #[serde(flatten)]
    pub client: ApiClient,
    /// Store it now: it cannot be shown again, only rotated.
    pub client_secret: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Plymouth CC grants system", "role": "csp_manager", "partnership_id": 1}))]
pub struct NewApiClient {
    pub name: String,
    /// csp_manager or treasurer (with partnership_id), or opcc_reviewer or opcc_finance (without).
    pub role: Role,
    pub partnership_id: Option<i64>,
}

#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ApiClientChanges {
    pub name: Option<String>,
    /// false disables the client and ends its sessions.
    pub active: Option<bool>,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct ApiClientFilter {
    pub partnership_id: Option<i64>,
    pub active: Option<bool>,
}

/// The API client, whoever asks: for loading the signed-in caller and for rules. A handler
/// answers with [`get`], which checks the caller may see it.
pub fn find_unscoped(conn: &mut DbConnection, id: i64) -> Result<Option<ApiClient>, Error> {
    Ok(api_clients::table
        .find(id)
        .select(ApiClient::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_client_id(conn: &mut DbConnection, client_id: &str) -> Result<Option<ApiClient>, Error> {
    Ok(api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select(ApiClient::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<ApiClient, Error> {
    caller.require_admin()?;
    find_unscoped(conn, id)?.ok_or(Error::NotFound("API client"))
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ApiClientFilter,
    page: &PageRequest,
) -> Result<Page<ApiClient>, Error> {
    caller.require_admin()?;
    let mut query = api_clients::table
        .select((ApiClient::as_select(), api_clients::revision))
        .into_boxed();
    if let Some(partnership_id) = filter.partnership_id {
        query = query.filter(api_clients::partnership_id.eq(partnership_id));
    }
    if let Some(active) = filter.active {
        query = query.filter(api_clients::active.eq(active));
    }
    let rows: Vec<(ApiClient, i64)> = in_page_order!(query, api_clients, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(c, revision)| page.position(c.id, *revision),
        |(c, _)| c,
    ))
}

/// Checks a new client before its secret is hashed.
pub fn validate_new(new: &NewApiClient) -> Result<(), Error> {
    let mut violations = Violations::new();
    violations.text("name", &new.name, MAX_TEXT);
    violations.check(
        new.role != Role::Admin,
        "role",
        "not_allowed",
        "API clients cannot be admins; use csp_manager, treasurer, opcc_reviewer or opcc_finance",
    );
    match (new.role.is_partnership_role(), new.partnership_id) {
        (true, None) => violations.add(
            "partnership_id",
            "required",
            format!("is required for the role {}", new.role.as_str()),
        ),
        (false, Some(_)) => violations.add(
            "partnership_id",
            "forbidden",
            format!("must be absent for the role {}", new.role.as_str()),
        ),
        _ => {}
    }
    violations.finish()
}

pub fn new_client_id() -> String {
    format!("cspfund-{}", uuid::Uuid::new_v4().simple())
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewApiClient,
    client_id: &str,
    secret_hash: &str,
) -> Result<ApiClient, Error> {
    caller.require_admin()?;
    validate_new(new)?;
    write_transaction(conn, |conn| {
        if let Some(id) = new.partnership_id
            && partnerships::find_unscoped(conn, id)?.is_none()
        {
            return Err(Error::invalid(
                "partnership_id",
                "exists",
                format!("no partnership has id {id}"),
            ));
        }
        let now = timestamps::now();
        let created: ApiClient = diesel::insert_into(api_clients::table)
            .values((
                api_clients::client_id.eq(client_id),
                api_clients::name.eq(new.name.trim()),
                api_clients::role.eq(new.role),
                api_clients::partnership_id.eq(new.partnership_id),
                api_clients::secret_hash.eq(secret_hash),
                api_clients::active.eq(true),
                api_clients::created_at.eq(now),
                api_clients::updated_at.eq(now),
            ))
            .returning(crate::db::columns_of::<ApiClient>())
            .get_result(conn)?;
        history::record_change(conn, caller, record(&created), Action::Created, None, &created)?;
        Ok(created)
    })
}

fn record(client: &ApiClient) -> history::Record<'static> {
    history::Record {
        kind: "api_client",
        id: client.id,
        partnership_id: client.partnership_id,
    }
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: &ApiClientChanges,
) -> Result<ApiClient, Error> {
    caller.require_admin()?;
    let mut violations = Violations::new();
    if let Some(name) = &changes.name {
        violations.text("name", name, MAX_TEXT);
    }
    violations.finish()?;
    write_transaction(conn, |conn| {
        let current = find_unscoped(conn, id)?.ok_or(Error::NotFound("API client"))?;
        expected.ensure(current.version)?;
        let active = changes.active.unwrap_or(current.active);
        let client: ApiClient = diesel::update(api_clients::table.find(id))
            .filter(api_clients::version.eq(current.version))
            .set((
                api_clients::version.eq(current.version + 1),
                api_clients::name.eq(changes.name.as_deref().map(str::trim).unwrap_or(&current.name)),
                api_clients::active.eq(active),
                api_clients::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<ApiClient>())
            .get_result(conn)
            .map_err(changed_meanwhile)?;
        if !active {
            sessions::revoke_all(conn, Principal::ApiClient(id))?;
        }
        history::record_change(conn, caller, record(&client), Action::Edited, Some(&current), &client)?;
        Ok(client)
    })
}

/// Replaces the secret (already hashed) and ends every session started with the old one.
pub fn rotate_secret(conn: &mut DbConnection, caller: &Caller, id: i64, secret_hash: &str) -> Result<ApiClient, Error> {
    caller.require_admin()?;
    write_transaction(conn, |conn| {
        find_unscoped(conn, id)?.ok_or(Error::NotFound("API client"))?;
        let client: ApiClient = diesel::update(api_clients::table.find(id))
            .set((
                api_clients::version.eq(api_clients::version + 1),
                api_clients::secret_hash.eq(secret_hash),
                api_clients::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<ApiClient>())
            .get_result(conn)?;
        sessions::revoke_all(conn, Principal::ApiClient(id))?;
        history::record_change(
            conn,
            caller,
            record(&client),
            Action::SecretRotated,
            Some(&client),
            &client,
        )?;
        Ok(client)
    })
}
