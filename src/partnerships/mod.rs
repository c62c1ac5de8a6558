//! Community Safety Partnerships: the councils' partnerships that receive the fund.

pub mod http;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{DbConnection, lower, write_transaction};
use crate::error::{Error, Violations};
use crate::history::Action;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::{Precondition, changed_meanwhile};
use crate::schema::partnerships;
use crate::{external_references, history, timestamps};

const MAX_TEXT: usize = 200;

/// A Community Safety Partnership, e.g. Safer Plymouth, led by Plymouth City Council.
#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = partnerships, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"id": 1, "name": "Safer Plymouth", "area": "Plymouth",
    "lead_authority": "Plymouth City Council", "org_id": "GB-LAE-PLY", "external_reference": "SUP-000412",
    "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z", "version": 1}))]
pub struct Partnership {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub lead_authority: String,
    /// The lead authority's organisation identifier (org-id.guide), e.g. "GB-LAE-PLY": the
    /// recipient of the OPCC's grants in 360Giving data.
    pub org_id: Option<String>,
    /// The finance system's own reference for the partnership (set by the admin).
    pub external_reference: Option<String>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change the partnership.
    pub version: i32,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Safer Plymouth", "area": "Plymouth",
    "lead_authority": "Plymouth City Council", "org_id": "GB-LAE-PLY"}))]
pub struct NewPartnership {
    /// Unique name, e.g. "Safer Plymouth".
    pub name: String,
    /// The area it serves.
    pub area: String,
    /// The council that leads it.
    pub lead_authority: String,
    /// The lead authority's organisation identifier, e.g. "GB-LAE-PLY".
    #[serde(default)]
    pub org_id: Option<String>,
    /// The finance system's own reference for it, 1 to 100 characters.
    #[serde(default)]
    pub external_reference: Option<String>,
}

/// Which partnerships to list.
#[derive(Deserialize, IntoParams, Debug, Clone, Default)]
#[into_params(parameter_in = Query)]
pub struct PartnershipFilter {
    /// Only those with this external reference (exactly).
    pub external_reference: Option<String>,
}

/// Fields to change; absent fields keep their value.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct PartnershipChanges {
    pub name: Option<String>,
    pub area: Option<String>,
    pub lead_authority: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<String>)]
    pub org_id: Option<Option<String>>,
    /// The finance system's own reference; null removes it.
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<String>)]
    pub external_reference: Option<Option<String>>,
}

/// An organisation identifier as org-id.guide writes them: a list code such as "GB-LAE" (country,
/// register) and the identifier in that list.
pub fn check_org_id(v: &mut Violations, field: &str, org_id: Option<&str>) {
    if let Some(org_id) = org_id {
        let mut parts = org_id.splitn(3, '-');
        let country = parts.next().unwrap_or("");
        let register = parts.next().unwrap_or("");
        let identifier = parts.next().unwrap_or("");
        let well_formed = country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && (2..=8).contains(&register.len())
            && register.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && (1..=80).contains(&identifier.len())
            && identifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        v.check(
            well_formed,
            field,
            "org_id",
            "must be an organisation identifier like \"GB-LAE-PLY\" (list code, then the identifier)",
        );
    }
}

fn record(partnership: &Partnership) -> history::Record<'static> {
    history::Record {
        kind: "partnership",
        id: partnership.id,
        partnership_id: Some(partnership.id),
    }
}

/// The partnership, whoever asks: for rules that need its name or existence. A handler answers
/// with [`get`], which checks the caller may see it.
pub fn find_unscoped(conn: &mut DbConnection, id: i64) -> Result<Option<Partnership>, Error> {
    Ok(partnerships::table
        .find(id)
        .select(Partnership::as_select())
        .first(conn)
        .optional()?)
}

/// The partnership, if it exists and the caller may see it.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Partnership, Error> {
    let partnership = find_unscoped(conn, id)?.ok_or(Error::NotFound("partnership"))?;
    caller.ensure_visible(partnership.id, "partnership")?;
    Ok(partnership)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &PartnershipFilter,
    page: &PageRequest,
) -> Result<Page<Partnership>, Error> {
    let mut query = partnerships::table
        .select((Partnership::as_select(), partnerships::revision))
        .into_boxed();
    if let Some(reference) = &filter.external_reference {
        query = query.filter(partnerships::external_reference.eq(reference.clone()));
    }
    if let Some(only) = caller.scope().confined_to() {
        query = query.filter(partnerships::id.eq(only));
    }
    let rows: Vec<(Partnership, i64)> = in_page_order!(query, partnerships, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(p, revision)| page.position(p.id, *revision),
        |(p, _)| p,
    ))
}

fn ensure_name_free(conn: &mut DbConnection, name: &str, except: Option<i64>) -> Result<(), Error> {
    let taken = partnerships::table
        .filter(lower(partnerships::name).eq(name.to_lowercase()))
        .filter(partnerships::id.ne(except.unwrap_or(0)))
        .select(partnerships::id)
        .first::<i64>(conn)
        .optional()?;
    match taken {
        Some(_) => Err(Error::duplicate(
            "name",
            format!("a partnership named {name:?} already exists"),
        )),
        None => Ok(()),
    }
}

pub fn create(conn: &mut DbConnection, caller: &Caller, new: NewPartnership) -> Result<Partnership, Error> {
    caller.require_admin()?;
    let mut violations = Violations::new();
    violations.text("name", &new.name, MAX_TEXT);
    violations.text("area", &new.area, MAX_TEXT);
    violations.text("lead_authority", &new.lead_authority, MAX_TEXT);
    check_org_id(&mut violations, "org_id", new.org_id.as_deref());
    external_references::check(&mut violations, new.external_reference.as_deref());
    violations.finish()?;
    write_transaction(conn, |conn| {
        let name = new.name.trim();
        ensure_name_free(conn, name, None)?;
        let now = timestamps::now();
        let created: Partnership = diesel::insert_into(partnerships::table)
            .values((
                partnerships::name.eq(name),
                partnerships::area.eq(new.area.trim()),
                partnerships::lead_authority.eq(new.lead_authority.trim()),
                partnerships::org_id.eq(&new.org_id),
                partnerships::external_reference.eq(external_references::stored(new.external_reference.as_deref())),
                partnerships::created_at.eq(now),
                partnerships::updated_at.eq(now),
            ))
            .returning(crate::db::columns_of::<Partnership>())
            .get_result(conn)?;
        history::record_change(conn, caller, record(&created), Action::Created, None, &created)?;
        Ok(created)
    })
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: PartnershipChanges,
) -> Result<Partnership, Error> {
    caller.require_admin()?;
    let mut violations = Violations::new();
    for (field, value) in [
        ("name", &changes.name),
        ("area", &changes.area),
        ("lead_authority", &changes.lead_authority),
    ] {
        if let Some(value) = value {
            violations.text(field, value, MAX_TEXT);
        }
    }
    if let Some(org_id) = &changes.org_id {
        check_org_id(&mut violations, "org_id", org_id.as_deref());
    }
    if let Some(reference) = &changes.external_reference {
        external_references::check(&mut violations, reference.as_deref());
    }
    violations.finish()?;
    write_transaction(conn, |conn| {
        let current = get(conn, caller, id)?;
        expected.ensure(current.version)?;
        if let Some(name) = &changes.name {
            ensure_name_free(conn, name.trim(), Some(id))?;
        }
        let trimmed =
            |value: &Option<String>, current: &str| value.as_deref().map(str::trim).unwrap_or(current).to_owned();
        let updated: Partnership = diesel::update(partnerships::table.find(id))
            .filter(partnerships::version.eq(current.version))
            .set((
                partnerships::version.eq(current.version + 1),
                partnerships::name.eq(trimmed(&changes.name, &current.name)),
                partnerships::area.eq(trimmed(&changes.area, &current.area)),
                partnerships::lead_authority.eq(trimmed(&changes.lead_authority, &current.lead_authority)),
                partnerships::org_id.eq(changes.org_id.clone().unwrap_or_else(|| current.org_id.clone())),
                partnerships::external_reference.eq(match &changes.external_reference {
                    Some(reference) => external_references::stored(reference.as_deref()),
                    None => current.external_reference.clone(),
                }),
                partnerships::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<Partnership>())
            .get_result(conn)
            .map_err(changed_meanwhile)?;
        history::record_change(conn, caller, record(&updated), Action::Edited, Some(&current), &updated)?;
        Ok(updated)
    })
}
