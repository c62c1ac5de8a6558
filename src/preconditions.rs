//! Optimistic concurrency, by RFC 9110's rules: every resource that can change has a version,
//! sent as its ETag (`"3"`), and a change must say with `If-Match` which version it was made
//! against, so that of two people editing at once the second is told instead of silently
//! overwriting the first.

use crate::error::Error;

/// One entity tag of an `If-Match` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub weak: bool,
    pub opaque: String,
}

/// What a client says about the version it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// No If-Match: refused (428), so nobody overwrites changes they have not seen.
    Missing,
    /// `If-Match: *`: any current representation will do.
    Any,
    /// A list of entity tags, any of which may be current (an empty list, none).
    Tags(Vec<Tag>),
    /// A header that is neither: refused as malformed (400), once the caller has been found to
    /// may see and change the resource at all.
    Unreadable,
}

impl Precondition {
    /// The precondition of a client that read this version.
    pub fn version(version: i32) -> Precondition {
        Precondition::Tags(vec![Tag {
            weak: false,
            opaque: version.to_string(),
        }])
    }

    /// Whether a representation at `current` meets it, by strong comparison: a weak tag never
    /// matches, since a version names exact bytes.
    pub fn matches(&self, current: i32) -> bool {
        let current = current.to_string();
        match self {
            Precondition::Missing | Precondition::Unreadable => false,
            Precondition::Any => true,
            Precondition::Tags(tags) => tags.iter().any(|tag| !tag.weak && tag.opaque == current),
        }
    }

    /// Refuses a change unless it was made against the current version: 428 without If-Match,
    /// 412 when no tag matches.
    pub fn ensure(&self, current: i32) -> Result<(), Error> {
        match self {
            Precondition::Missing => Err(Error::PreconditionRequired),
            Precondition::Unreadable => Err(Error::UnreadablePrecondition),
            _ if self.matches(current) => Ok(()),
            _ => Err(Error::StaleVersion { current: Some(current) }),
        }
    }
}

/// The ETag of a version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// A conditional update that found its row changed after it was read (another transaction
/// committed in between): the same answer as a stale If-Match.
pub fn changed_meanwhile(error: diesel::result::Error) -> Error {
    match error {
        diesel::result::Error::NotFound => Error::StaleVersion { current: None },
        other => Error::Database(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(weak: bool, opaque: &str) -> Tag {
        Tag {
            weak,
            opaque: opaque.into(),
        }
    }

    #[test]
    fn if_match_compares_strongly_and_star_matches_any_version() {
        assert!(Precondition::Any.matches(7));
        assert!(Precondition::version(7).matches(7));
        assert!(!Precondition::version(6).matches(7));
        assert!(
            !Precondition::Tags(vec![tag(true, "7")]).matches(7),
            "a weak tag never matches"
        );
        assert!(
            Precondition::Tags(vec![tag(false, "5"), tag(false, "7")]).matches(7),
            "any of a list"
        );
        assert!(!Precondition::Missing.matches(7));
    }

    #[test]
    fn a_change_without_if_match_is_428_and_a_stale_one_412() {
        assert!(matches!(
            Precondition::Missing.ensure(1),
            Err(Error::PreconditionRequired)
        ));
        assert!(matches!(
            Precondition::version(1).ensure(2),
            Err(Error::StaleVersion { current: Some(2) })
        ));
        assert!(Precondition::Any.ensure(2).is_ok());
    }
}
