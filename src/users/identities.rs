//! A person's identities at trusted identity providers: which issuer and subject sign in as which
//! account. The account keeps the role and partnership; a token only says who the person is.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{User, find_unscoped, record};
use crate::auth::Caller;
use crate::auth::providers::{ProviderSignIn, Providers, TrustedIssuer};
use crate::db::{DbConnection, write_transaction};
use crate::error::{Error, Violations};
use crate::history::{self, Action};
use crate::schema::{user_identities, users};
use crate::timestamps;

const MAX_SUBJECT: usize = 255;

/// An identity at a trusted provider, linked to an account.
#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = user_identities, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"id": 4, "issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "subject": "4b0a1e8c-2f7d-4c61-9d3e-5a8b7c6d5e4f", "linked_at": "2026-12-04T09:00:00Z"}))]
pub struct Identity {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    /// The provider's issuer identifier, as configured.
    pub issuer: String,
    /// The person's subject at that provider (for Microsoft Entra ID, their object id).
    pub subject: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub linked_at: NaiveDateTime,
}

/// What the admin sends to link an identity.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "subject": "4b0a1e8c-2f7d-4c61-9d3e-5a8b7c6d5e4f"}))]
pub struct NewIdentity {
    /// One of the trusted issuers.
    pub issuer: String,
    pub subject: String,
}

/// The identities linked to a user, oldest first (admin).
pub fn list(conn: &mut DbConnection, caller: &Caller, user_id: i64) -> Result<Vec<Identity>, Error> {
    super::get(conn, caller, user_id)?;
    linked(conn, user_id)
}

fn linked(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Identity>, Error> {
    Ok(user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .order(user_identities::id)
        .select(Identity::as_select())
        .load(conn)?)
}

/// The identities as history shows them on the user.
#[derive(Serialize)]
struct Linked<'a> {
    identities: Vec<(&'a str, &'a str)>,
}

fn as_linked(identities: &[Identity]) -> Linked<'_> {
    Linked {
        identities: identities
            .iter()
            .map(|i| (i.issuer.as_str(), i.subject.as_str()))
            .collect(),
    }
}

/// Links an identity at a trusted issuer to a user (admin). The issuer must sign in the user's
/// organisation; an identity belongs to one account, and an account has one per issuer.
pub fn link(
    conn: &mut DbConnection,
    caller: &Caller,
    providers: &Providers,
    user_id: i64,
    new: &NewIdentity,
) -> Result<Identity, Error> {
    caller.require_admin()?;
    let mut v = Violations::new();
    v.text("subject", &new.subject, MAX_SUBJECT);
    let trusted = providers.find(new.issuer.trim());
    v.check(
        trusted.is_some(),
        "issuer",
        "trusted",
        "is not one of the trusted issuers (CSPFUND_OIDC_ISSUERS)",
    );
    v.finish()?;
    let Some(trusted) = trusted else {
        return Err(Error::internal("a checked issuer went missing"));
    };
    write_transaction(conn, |conn| {
        let user = find_unscoped(conn, user_id)?.ok_or(Error::NotFound("user"))?;
        if !trusted.organisation.admits(user.role, user.partnership_id) {
            return Err(Error::invalid(
                "issuer",
                "organisation",
                "signs in people of another organisation than this user's",
            ));
        }
        insert(conn, caller, &user, &trusted.issuer, new.subject.trim())
    })
}

fn insert(
    conn: &mut DbConnection,
    caller: &Caller,
    user: &User,
    issuer: &str,
    subject: &str,
) -> Result<Identity, Error> {
    let taken = user_identities::table
        .filter(user_identities::issuer.eq(issuer))
        .filter(
            user_identities::subject
                .eq(subject)
                .or(user_identities::user_id.eq(user.id)),
        )
        .select(Identity::as_select())
        .first(conn)
        .optional()?;
    if let Some(taken) = taken {
        return Err(Error::duplicate(
            if taken.user_id == user.id { "issuer" } else { "subject" },
            if taken.user_id == user.id {
                "this user already has an identity at this issuer; unlink it first"
            } else {
                "this identity is already linked to another user"
            },
        ));
    }
    let before = linked(conn, user.id)?;
    let identity: Identity = diesel::insert_into(user_identities::table)
        .values((
            user_identities::user_id.eq(user.id),
            user_identities::issuer.eq(issuer),
            user_identities::subject.eq(subject),
            user_identities::linked_at.eq(timestamps::now()),
        ))
        .returning((
            user_identities::id,
            user_identities::user_id,
            user_identities::issuer,
            user_identities::subject,
            user_identities::linked_at,
        ))
        .get_result(conn)?;
    let after = linked(conn, user.id)?;
    history::record_change(
        conn,
        caller,
        record(user),
        Action::Edited,
        Some(&as_linked(&before)),
        &as_linked(&after),
    )?;
    Ok(identity)
}

/// Unlinks an identity (admin): that person can no longer sign in as this user through it.
pub fn unlink(conn: &mut DbConnection, caller: &Caller, user_id: i64, identity_id: i64) -> Result<(), Error> {
    caller.require_admin()?;
    write_transaction(conn, |conn| {
        let user = find_unscoped(conn, user_id)?.ok_or(Error::NotFound("user"))?;
        let before = linked(conn, user_id)?;
        let removed = diesel::delete(
            user_identities::table
                .filter(user_identities::id.eq(identity_id))
                .filter(user_identities::user_id.eq(user_id)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Err(Error::NotFound("identity"));
        }
        let after = linked(conn, user_id)?;
        history::record_change(
            conn,
            caller,
            record(&user),
            Action::Edited,
            Some(&as_linked(&before)),
            &as_linked(&after),
        )?;
        Ok(())
    })
}

/// The account a provider's sign-in acts as: the linked one, or, where the issuer allows it, the
/// account the admin made with the verified e-mail address the token carries, which is then
/// linked. `None` when the person has no account here; nothing is created for them.
pub fn account_for(
    conn: &mut DbConnection,
    trusted: &TrustedIssuer,
    sign_in: &ProviderSignIn,
) -> Result<Option<User>, Error> {
    let linked = users::table
        .inner_join(user_identities::table)
        .filter(user_identities::issuer.eq(&sign_in.issuer))
        .filter(user_identities::subject.eq(&sign_in.subject))
        .select(User::as_select())
        .first(conn)
        .optional()?;
    if linked.is_some() || !trusted.link_by_email {
        return Ok(linked);
    }
    let Some(email) = &sign_in.verified_email else {
        return Ok(None);
    };
    write_transaction(conn, |conn| {
        let Some(user) = super::find_by_email(conn, email)? else {
            return Ok(None);
        };
        let has_one_here = user_identities::table
            .filter(user_identities::user_id.eq(user.id))
            .filter(user_identities::issuer.eq(&sign_in.issuer))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        // An account already linked to another person at this issuer is not taken over by
        // whoever shows its address; nor is an account of another organisation.
        if has_one_here || !user.active || !trusted.organisation.admits(user.role, user.partnership_id) {
            return Ok(None);
        }
        let by_themselves = Caller::from_account(&crate::auth::Account {
            principal: crate::auth::Principal::User(user.id),
            role: user.role,
            partnership_id: user.partnership_id,
            active: user.active,
        });
        insert(conn, &by_themselves, &user, &sign_in.issuer, &sign_in.subject)?;
        tracing::info!(user = user.id, issuer = %sign_in.issuer, "linked a first sign-in by its verified e-mail address");
        Ok(Some(user))
    })
}
