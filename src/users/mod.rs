//! People who sign in: OPCC staff (admin, reviewer) and partnerships' managers and treasurers.

pub mod http;
pub mod identities;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Principal, Role, passwords, sessions};
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, Violations};
use crate::history::Action;
use crate::pagination::{Page, PageRequest, in_page_order};
use crate::preconditions::{Precondition, changed_meanwhile};
use crate::schema::users;
use crate::{history, partnerships, timestamps};

const MAX_TEXT: usize = 200;
const MAX_EMAIL: usize = 254;

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = users, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"id": 3, "email": "manager@safer-plymouth.example",
    "display_name": "Matt Garrett",
    "job_title": "Service Director, Community Connections, Plymouth City Council",
    "role": "csp_manager", "partnership_id": 1, "active": true,
    "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z", "version": 1}))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Position, as printed under a signature.
    pub job_title: String,
    pub role: Role,
    /// The partnership a csp_manager or treasurer acts for; null for OPCC roles.
    pub partnership_id: Option<i64>,
    pub active: bool,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "treasurer@safer-plymouth.example", "display_name": "Jo Bloggs",
    "job_title": "Section 151 Officer, Plymouth City Council", "role": "treasurer",
    "partnership_id": 1, "password": "a long initial password"}))]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub role: Role,
    /// Required for csp_manager and treasurer, absent for admin, opcc_reviewer and opcc_finance.
    pub partnership_id: Option<i64>,
    /// Initial password, at least 12 characters. Absent for someone who signs in only at their
    /// organisation's identity provider: the account then has no password that works.
    #[schema(format = Password)]
    pub password: Option<String>,
}

/// Fields to change; absent fields keep their value. `partnership_id: null` clears it.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = Option<i64>)]
    pub partnership_id: Option<Option<i64>>,
    /// false deactivates the account and ends its sessions.
    pub active: Option<bool>,
    /// A new password set by the admin; ends the user's sessions.
    #[schema(format = Password)]
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub partnership_id: Option<i64>,
    pub active: Option<bool>,
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(violations: &mut Violations, field: &str, email: &str) {
    let email = email.trim();
    let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace);
    violations.check(well_formed, field, "email", "must be an e-mail address");
    violations.check(
        email.len() <= MAX_EMAIL,
        field,
        "max_length",
        format!("must be at most {MAX_EMAIL} characters"),
    );
}

/// Partnership roles need a partnership that exists; OPCC roles must have none.
fn check_role_partnership(
    conn: &mut DbConnection,
    violations: &mut Violations,
    role: Role,
    partnership_id: Option<i64>,
) -> Result<(), Error> {
    match (role.is_partnership_role(), partnership_id) {
        (true, None) => violations.add(
            "partnership_id",
            "required",
            format!("is required for the role {}", role.as_str()),
        ),
        (false, Some(_)) => violations.add(
            "partnership_id",
            "forbidden",
            format!("must be absent for the role {}", role.as_str()),
        ),
        (true, Some(id)) => {
            if partnerships::find_unscoped(conn, id)?.is_none() {
                violations.add("partnership_id", "exists", format!("no partnership has id {id}"));
            }
        }
        (false, None) => {}
    }
    Ok(())
}

/// The account, whoever asks: for loading the signed-in caller and for rules. A handler answers
/// with [`get`], which checks the caller may see it.
pub fn find_unscoped(conn: &mut DbConnection, id: i64) -> Result<Option<User>, Error> {
    Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::email.eq(normalise_email(email)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<User, Error> {
    caller.require_admin()?;
    find_unscoped(conn, id)?.ok_or(Error::NotFound("user"))
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<User>, Error> {
    caller.require_admin()?;
    let mut query = users::table.select((User::as_select(), users::revision)).into_boxed();
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(partnership_id) = filter.partnership_id {
        query = query.filter(users::partnership_id.eq(partnership_id));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    let rows: Vec<(User, i64)> = in_page_order!(query, users, page).load(conn)?;
    Ok(Page::from_rows(
        rows,
        page,
        |(u, revision)| page.position(u.id, *revision),
        |(u, _)| u,
    ))
}

fn ensure_email_free(conn: &mut DbConnection, email: &str, except: Option<i64>) -> Result<(), Error> {
    let taken = users::table
        .filter(users::email.eq(email))
        .filter(users::id.ne(except.unwrap_or(0)))
        .select(users::id)
        .first::<i64>(conn)
        .optional()?;
    match taken {
        Some(_) => Err(Error::duplicate("email", format!("{email} is already in use"))),
        None => Ok(()),
    }
}

/// Checks what can be checked without the database, before the password is hashed.
pub fn validate_new(new: &NewUser) -> Result<(), Error> {
    let mut violations = Violations::new();
    check_email(&mut violations, "email", &new.email);
    violations.text("display_name", &new.display_name, MAX_TEXT);
    violations.text("job_title", &new.job_title, MAX_TEXT);
    if let Some(password) = &new.password {
        passwords::check_policy(&mut violations, "password", password);
    }
    violations.finish()
}

/// Creates a user whose password has already been hashed (hashing is kept off the connection).
pub fn create(conn: &mut DbConnection, caller: &Caller, new: &NewUser, password_hash: &str) -> Result<User, Error> {
    caller.require_admin()?;
    validate_new(new)?;
    write_transaction(conn, |conn| {
        let mut violations = Violations::new();
        check_role_partnership(conn, &mut violations, new.role, new.partnership_id)?;
        violations.finish()?;
        let created = insert(conn, new, password_hash)?;
        history::record_change(conn, caller, record(&created), Action::Created, None, &created)?;
        Ok(created)
    })
}

fn record(user: &User) -> history::Record<'static> {
    history::Record {
        kind: "user",
        id: user.id,
        partnership_id: user.partnership_id,
    }
}

/// Inserts without a caller: for the first admin, created from the command line or environment.
pub fn insert(conn: &mut DbConnection, new: &NewUser, password_hash: &str) -> Result<User, Error> {
    let email = normalise_email(&new.email);
    ensure_email_free(conn, &email, None)?;
    let now = timestamps::now();
    Ok(diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::display_name.eq(new.display_name.trim()),
            users::job_title.eq(new.job_title.trim()),
            users::role.eq(new.role),
            users::partnership_id.eq(new.partnership_id),
            users::active.eq(true),
            users::password_hash.eq(password_hash),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(crate::db::columns_of::<User>())
        .get_result(conn)?)
}

pub fn validate_changes(changes: &UserChanges) -> Result<(), Error> {
    let mut violations = Violations::new();
    if let Some(email) = &changes.email {
        check_email(&mut violations, "email", email);
    }
    if let Some(name) = &changes.display_name {
        violations.text("display_name", name, MAX_TEXT);
    }
    if let Some(title) = &changes.job_title {
        violations.text("job_title", title, MAX_TEXT);
    }
    if let Some(password) = &changes.password {
        passwords::check_policy(&mut violations, "password", password);
    }
    violations.finish()
}

fn active_admins(conn: &mut DbConnection) -> Result<i64, Error> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}

pub fn any_active_admin(conn: &mut DbConnection) -> Result<bool, Error> {
    Ok(active_admins(conn)? > 0)
}

/// Applies an admin's changes. A new password arrives already hashed.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    expected: &Precondition,
    changes: &UserChanges,
    new_password_hash: Option<&str>,
) -> Result<User, Error> {
    caller.require_admin()?;
    validate_changes(changes)?;
    write_transaction(conn, |conn| {
        let current = find_unscoped(conn, id)?.ok_or(Error::NotFound("user"))?;
        expected.ensure(current.version)?;
        let email = changes
            .email
            .as_deref()
            .map(normalise_email)
            .unwrap_or(current.email.clone());
        let role = changes.role.unwrap_or(current.role);
        let partnership_id = match changes.partnership_id {
            Some(given) => given,
            // Moving to an OPCC role drops the partnership unless the request says otherwise.
            None if !role.is_partnership_role() => None,
            None => current.partnership_id,
        };
        let active = changes.active.unwrap_or(current.active);
        let mut violations = Violations::new();
        check_role_partnership(conn, &mut violations, role, partnership_id)?;
        violations.finish()?;
        ensure_email_free(conn, &email, Some(id))?;
        let was_admin = current.role == Role::Admin && current.active;
        let still_admin = role == Role::Admin && active;
        if was_admin && !still_admin && active_admins(conn)? <= 1 {
            return Err(Error::Conflict {
                detail: "this is the last active admin; appoint another admin first".into(),
                field: None,
            });
        }
        let user: User = diesel::update(users::table.find(id))
            .filter(users::version.eq(current.version))
            .set((
                users::version.eq(current.version + 1),
                users::email.eq(&email),
                users::display_name.eq(changes
                    .display_name
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&current.display_name)),
                users::job_title.eq(changes
                    .job_title
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&current.job_title)),
                users::role.eq(role),
                users::partnership_id.eq(partnership_id),
                users::active.eq(active),
                users::password_hash.eq(new_password_hash.unwrap_or(&current.password_hash)),
                users::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<User>())
            .get_result(conn)
            .map_err(changed_meanwhile)?;
        // A deactivated account, a new password or a new role ends the sessions started before.
        if !active || new_password_hash.is_some() || role != current.role || partnership_id != current.partnership_id {
            sessions::revoke_all(conn, Principal::User(id))?;
        }
        history::record_change(conn, caller, record(&user), Action::Edited, Some(&current), &user)?;
        if new_password_hash.is_some() {
            history::record_change(conn, caller, record(&user), Action::PasswordReset, Some(&user), &user)?;
        }
        Ok(user)
    })
}

/// A user changing their own password, having proved the current one.
pub fn set_own_password(conn: &mut DbConnection, caller: &Caller, password_hash: &str) -> Result<(), Error> {
    let Principal::User(id) = caller.principal else {
        return Err(Error::Forbidden("API clients have no password".into()));
    };
    write_transaction(conn, |conn| {
        let user: User = diesel::update(users::table.find(id))
            .set((
                users::version.eq(users::version + 1),
                users::password_hash.eq(password_hash),
                users::updated_at.eq(timestamps::now()),
            ))
            .returning(crate::db::columns_of::<User>())
            .get_result(conn)?;
        sessions::revoke_all(conn, Principal::User(id))?;
        history::record_change(conn, caller, record(&user), Action::PasswordChanged, Some(&user), &user)?;
        Ok(())
    })
}
