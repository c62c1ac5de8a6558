//! Police & Crime Plan priorities: a plan period's numbered list (1 Connecting Communities and
//! Policing ... 5 Getting the best out of the police) that plan lines say they serve.

pub mod http;

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::{DbConnection, lower, write_transaction};
use crate::error::{Error, Violations};
use crate::history::Action;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::Precondition;
use crate::schema::{plan_line_priorities, priorities, priority_sets};
use crate::{history, timestamps};

const MAX_TEXT: usize = 300;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = priority_sets, check_for_backend(crate::db::MultiBackend))]
struct PrioritySetRow {
    id: i64,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = priorities, check_for_backend(crate::db::MultiBackend))]
pub struct PriorityRow {
    pub id: i64,
    pub priority_set_id: i64,
    pub number: i32,
    pub title: String,
}

/// One numbered priority.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": 3, "title": "Protecting people at risk of abuse"}))]
pub struct Priority {
    pub number: i32,
    pub title: String,
}

/// A Police & Crime Plan's priorities for its period.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PrioritySet {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub priorities: Vec<Priority>,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

/// A priority set as created or replaced by the admin.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Police and Crime Plan 2021-25", "starts_on": "2021-04-01",
    "ends_on": "2025-03-31", "priorities": [
        {"number": 1, "title": "Connecting Communities and Policing"},
        {"number": 2, "title": "Preventing and deterring crime"},
        {"number": 3, "title": "Protecting people at risk of abuse"},
        {"number": 4, "title": "Supporting victims and witnesses and helping them to get justice"},
        {"number": 5, "title": "Getting the best out of the police"}]}))]
pub struct PrioritySetInput {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub priorities: Vec<Priority>,
}

fn validate(input: &PrioritySetInput) -> Result<(), Error> {
    let mut v = Violations::new();
    v.text("name", &input.name, MAX_TEXT);
    v.check(
        input.starts_on <= input.ends_on,
        "ends_on",
        "after_start",
        "must not be before starts_on",
    );
    v.check(
        !input.priorities.is_empty(),
        "priorities",
        "required",
        "must list at least one priority",
    );
    let mut numbers = BTreeSet::new();
    for (i, priority) in input.priorities.iter().enumerate() {
        let field = format!("priorities[{i}]");
        v.check(
            priority.number > 0,
            format!("{field}.number"),
            "positive",
            "must be 1 or more",
        );
        v.check(
            numbers.insert(priority.number),
            format!("{field}.number"),
            "unique",
            "is listed twice",
        );
        v.text(&format!("{field}.title"), &priority.title, MAX_TEXT);
    }
    v.finish()
}

fn view(row: PrioritySetRow, mut priorities: Vec<PriorityRow>) -> PrioritySet {
    priorities.sort_by_key(|p| p.number);
    PrioritySet {
        id: row.id,
        name: row.name,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        priorities: priorities
            .into_iter()
            .map(|p| Priority {
                number: p.number,
                title: p.title,
            })
            .collect(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The numbered priorities of a set.
pub fn priorities_of(conn: &mut DbConnection, set_id: i64) -> Result<Vec<PriorityRow>, Error> {
    Ok(priorities::table
        .filter(priorities::priority_set_id.eq(set_id))
        .order(priorities::number)
        .select(PriorityRow::as_select())
        .load(conn)?)
}

pub fn exists(conn: &mut DbConnection, id: i64) -> Result<bool, Error> {
    Ok(priority_sets::table
        .find(id)
        .select(priority_sets::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// A priority set, for a handler: every signed-in caller reads the fund's priorities.
pub fn get(conn: &mut DbConnection, _caller: &Caller, id: i64) -> Result<PrioritySet, Error> {
    read(conn, id)
}

fn read(conn: &mut DbConnection, id: i64) -> Result<PrioritySet, Error> {
    let row = priority_sets::table
        .find(id)
        .select(PrioritySetRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("priority set"))?;
    let priorities = priorities_of(conn, id)?;
    Ok(view(row, priorities))
}

pub fn list(conn: &mut DbConnection, page: &PageRequest) -> Result<Page<PrioritySet>, Error> {
    let query = priority_sets::table
        .select((PrioritySetRow::as_select(), priority_sets::revision))
        .into_boxed();
    let rows: Vec<(PrioritySetRow, i64)> = in_page_order!(query, priority_sets, page).load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut by_set: HashMap<i64, Vec<PriorityRow>> = HashMap::new();
    for priority in priorities::table
        .filter(priorities::priority_set_id.eq_any(&ids))
        .select(PriorityRow::as_select())
        .load::<PriorityRow>(conn)?
    {
        by_set.entry(priority.priority_set_id).or_default().push(priority);
    }
    Ok(Page::from_rows(
        rows,
        page,
        |(r, revision)| page.position(r.id, *revision),
        |(row, _)| {
            let mine = by_set.remove(&row.id).unwrap_or_default();
            view(row, mine)
        },
    ))
}

fn ensure_name_free(conn: &mut DbConnection, name: &str, except: i64) -> Result<(), Error> {
    let taken = priority_sets::table
        .filter(lower(priority_sets::name).eq(name.to_lowercase()))
        .filter(priority_sets::id.ne(except))
        .select(priority_sets::id)
        .first::<i64>(conn)
        .optional()?;
    match taken {
        Some(_) => Err(Error::duplicate(
            "name",
            format!("a priority set named {name:?} exists"),
        )),
        None => Ok(()),
    }
}

pub fn create(conn: &mut DbConnection, caller: &Caller, input: &PrioritySetInput) -> Result<PrioritySet, Error> {
    caller.require_admin()?;
    validate(input)?;
    write_transaction(conn, |conn| {
        ensure_name_free(conn, input.name.trim(), 0)?;
        let now = timestamps::now();
        let id: i64 = diesel::insert_into(priority_sets::table)
            .values((
                priority_sets::name.eq(input.name.trim()),
                priority_sets::starts_on.eq(input.starts_on),
                priority_sets::ends_on.eq(input.ends_on),
                priority_sets::created_at.eq(now),
                priority_sets::updated_at.eq(now),
            ))
            .returning(priority_sets::id)
            .get_result(conn)?;
        for priority in &input.priorities {
            insert_priority(conn, id, priority)?;
        }
        let created = read(conn, id)?;
        let record = history::Record {
            kind: "priority_set",
            id,
            partnership_id: None,
        };
        history::record_change(conn, caller, record, Action::Created, None, &created)?;
        Ok(created)
    })
}

fn insert_priority(conn: &mut DbConnection, set_id: i64, priority: &Priority) -> Result<(), Error> {
    diesel::insert_into(priorities::table)
        .values((
            priorities::priority_set_id.eq(set_id),
            priorities::number.eq(priority.number),
            priorities::title.eq(priority.title.trim()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces a set's name, period and priorities. A priority that plan lines cite cannot be
/// removed (its title may change).
pub fn replace(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    input: &PrioritySetInput,
) -> Result<PrioritySet, Error> {
    caller.require_admin()?;
    validate(input)?;
    write_transaction(conn, |conn| {
        let before = read(conn, id)?;
        expected.ensure(before.version)?;
        ensure_name_free(conn, input.name.trim(), id)?;
        let replaced = diesel::update(priority_sets::table.find(id))
            .filter(priority_sets::version.eq(before.version))
            .set((
                priority_sets::version.eq(before.version + 1),
                priority_sets::name.eq(input.name.trim()),
                priority_sets::starts_on.eq(input.starts_on),
                priority_sets::ends_on.eq(input.ends_on),
                priority_sets::updated_at.eq(timestamps::now()),
            ))
            .execute(conn)?;
        if replaced == 0 {
            return Err(Error::StaleVersion { current: None });
        }
        let existing = priorities_of(conn, id)?;
        let mut v = Violations::new();
        for old in &existing {
            match input.priorities.iter().find(|p| p.number == old.number) {
                Some(new) => {
                    diesel::update(priorities::table.find(old.id))
                        .set(priorities::title.eq(new.title.trim()))
                        .execute(conn)?;
                }
                None => {
                    let cited = plan_line_priorities::table
                        .filter(plan_line_priorities::priority_id.eq(old.id))
                        .count()
                        .get_result::<i64>(conn)?;
                    if cited > 0 {
                        v.add(
                            "priorities",
                            "in_use",
                            format!(
                                "priority {} is cited by {cited} plan line(s) and cannot be removed",
                                old.number
                            ),
                        );
                    } else {
                        diesel::delete(priorities::table.find(old.id)).execute(conn)?;
                    }
                }
            }
        }
        v.finish()?;
        for new in input
            .priorities
            .iter()
            .filter(|p| existing.iter().all(|o| o.number != p.number))
        {
            insert_priority(conn, id, new)?;
        }
        let after = read(conn, id)?;
        let record = history::Record {
            kind: "priority_set",
            id,
            partnership_id: None,
        };
        history::record_change(conn, caller, record, Action::Edited, Some(&before), &after)?;
        Ok(after)
    })
}
