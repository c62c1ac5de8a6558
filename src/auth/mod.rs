//! Who is calling and what they may do: roles, the authenticated caller, and partnership scoping.
//!
//! Every handler receives a [`Caller`] and asks it, in one line, whether the caller's role allows
//! the action and whether the object's partnership is visible. A user or client of one partnership
//! never sees another partnership's objects: they are answered as not found.

pub mod hashing;
pub mod login;
pub mod passwords;
pub mod providers;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use crate::error::Error;

crate::stored_enum! {
    /// The four roles of the fund. Partnership roles act for exactly one partnership.
    pub enum Role {
        /// OPCC system owner: partnerships, users, API clients, fund years, allocations.
        Admin => "admin",
        /// OPCC commissioning staff: reads every partnership, reviews and approves.
        OpccReviewer => "opcc_reviewer",
        /// OPCC finance: reads every partnership; records payments of approved claims, and
        /// nothing else.
        OpccFinance => "opcc_finance",
        /// A partnership's manager: drafts, edits, signs and submits its documents.
        CspManager => "csp_manager",
        /// A partnership's Treasurer / S151 officer: reads, and countersigns returns.
        Treasurer => "treasurer",
    }
}

impl Role {
    /// Roles that act for one partnership (and must name it).
    pub fn is_partnership_role(self) -> bool {
        matches!(self, Role::CspManager | Role::Treasurer)
    }
}

/// Who holds a token: a person, or a partner system's API client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    User(i64),
    ApiClient(i64),
}

impl Principal {
    /// The JWT `sub` claim: `user:12` or `client:3`.
    pub fn subject(self) -> String {
        match self {
            Principal::User(id) => format!("user:{id}"),
            Principal::ApiClient(id) => format!("client:{id}"),
        }
    }

    pub fn from_subject(subject: &str) -> Option<Principal> {
        let (kind, id) = subject.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "user" => Some(Principal::User(id)),
            "client" => Some(Principal::ApiClient(id)),
            _ => None,
        }
    }
}

/// What the service knows of a principal at the moment of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub principal: Principal,
    pub role: Role,
    pub partnership_id: Option<i64>,
    pub active: bool,
}

/// Which partnerships' objects a caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnershipScope {
    All,
    Only(i64),
}

impl PartnershipScope {
    /// The one partnership the caller is confined to, if any: list queries filter on it.
    pub fn confined_to(self) -> Option<i64> {
        match self {
            PartnershipScope::All => None,
            PartnershipScope::Only(id) => Some(id),
        }
    }

    pub fn includes(self, partnership_id: i64) -> bool {
        match self {
            PartnershipScope::All => true,
            PartnershipScope::Only(id) => id == partnership_id,
        }
    }
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Authentication {
    /// A token of this service, after a password or client credentials kept here.
    #[default]
    Service,
    /// A trusted identity provider's access token.
    Provider(providers::ProviderSignIn),
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub role: Role,
    pub partnership_id: Option<i64>,
    pub authentication: Authentication,
}

impl Caller {
    pub fn from_account(account: &Account) -> Caller {
        Caller {
            principal: account.principal,
            role: account.role,
            partnership_id: account.partnership_id,
            authentication: Authentication::Service,
        }
    }

    /// Refuses (403) unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Error> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(Error::Forbidden(format!(
            "this action needs the role {}; you act as {}",
            names.join(" or "),
            self.role.as_str()
        )))
    }

    pub fn require_admin(&self) -> Result<(), Error> {
        self.require(&[Role::Admin])
    }

    pub fn scope(&self) -> PartnershipScope {
        match (self.role.is_partnership_role(), self.partnership_id) {
            (true, Some(id)) => PartnershipScope::Only(id),
            // A partnership role without a partnership cannot exist (database CHECK); if it
            // ever did, it sees nothing rather than everything.
            (true, None) => PartnershipScope::Only(-1),
            (false, _) => PartnershipScope::All,
        }
    }

    /// Answers "not found" for an object of a partnership the caller may not see, so its
    /// existence is not revealed.
    pub fn ensure_visible(&self, partnership_id: i64, what: &'static str) -> Result<(), Error> {
        if self.scope().includes(partnership_id) {
            Ok(())
        } else {
            Err(Error::NotFound(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, partnership_id: Option<i64>) -> Caller {
        Caller {
            principal: Principal::User(1),
            role,
            partnership_id,
            authentication: Authentication::Service,
        }
    }

    #[test]
    fn partnership_roles_see_only_their_partnership() {
        let manager = caller(Role::CspManager, Some(7));
        assert!(manager.ensure_visible(7, "plan").is_ok());
        assert!(matches!(
            manager.ensure_visible(8, "plan"),
            Err(Error::NotFound("plan"))
        ));
        assert_eq!(manager.scope().confined_to(), Some(7));
        let reviewer = caller(Role::OpccReviewer, None);
        assert!(reviewer.ensure_visible(8, "plan").is_ok());
        assert_eq!(reviewer.scope().confined_to(), None);
    }

    #[test]
    fn a_partnership_role_without_a_partnership_sees_none() {
        let stray = caller(Role::Treasurer, None);
        for id in [1, 2, 7, i64::MAX] {
            assert!(matches!(stray.ensure_visible(id, "plan"), Err(Error::NotFound("plan"))));
        }
        let confined = stray.scope().confined_to();
        assert!(confined.is_some_and(|id| id < 1), "{confined:?}");
    }

    #[test]
    fn role_guard_names_the_needed_role() {
        let err = caller(Role::OpccReviewer, None).require_admin();
        assert!(matches!(err, Err(Error::Forbidden(m)) if m.contains("admin") && m.contains("opcc_reviewer")));
        assert!(caller(Role::Admin, None).require_admin().is_ok());
    }

    #[test]
    fn subjects_round_trip() {
        for p in [Principal::User(12), Principal::ApiClient(3)] {
            assert_eq!(Principal::from_subject(&p.subject()), Some(p));
        }
        assert_eq!(Principal::from_subject("admin:1"), None);
        assert_eq!(Principal::from_subject("user:x"), None);
    }
}
