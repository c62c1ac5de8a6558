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
    /// Reads an `If-Match` field value (its lines joined with commas): `*`, or a list of entity
    /// tags, each `"..."` or `W/"..."`. A tag may hold a comma, so the list is scanned tag by tag
    /// (actix's typed header splits at every comma and drops what it cannot read). An empty
    /// value counts as no If-Match at all, as a client sending an empty optional header means;
    /// anything else is unreadable.
    pub fn from_header(value: &str) -> Precondition {
        if value.trim() == "*" {
            return Precondition::Any;
        }
        match entity_tags(value) {
            Some(tags) if tags.is_empty() => Precondition::Missing,
            Some(tags) => Precondition::Tags(tags),
            None => Precondition::Unreadable,
        }
    }

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

/// RFC 9110's `#entity-tag`: empty elements and whitespace between them are allowed.
fn entity_tags(value: &str) -> Option<Vec<Tag>> {
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let (weak, quoted) = match rest.strip_prefix("W/") {
            Some(quoted) => (true, quoted),
            None => (false, rest),
        };
        let opened = quoted.strip_prefix('"')?;
        let end = opened.find('"')?;
        let opaque = &opened[..end];
        let etagc = |b: u8| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80;
        if !opaque.bytes().all(etagc) {
            return None;
        }
        tags.push(Tag {
            weak,
            opaque: opaque.to_owned(),
        });
        rest = opened[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
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
    fn an_if_match_header_is_read_tag_by_tag() {
        assert_eq!(Precondition::from_header(" * "), Precondition::Any);
        assert_eq!(Precondition::from_header("\"3\""), Precondition::version(3));
        assert_eq!(
            Precondition::from_header("\"a,b\" ,W/\"3\", ,\"\""),
            Precondition::Tags(vec![tag(false, "a,b"), tag(true, "3"), tag(false, "")]),
            "a comma inside a tag, weak tags, empty elements and an empty tag"
        );
        assert_eq!(Precondition::from_header(""), Precondition::Missing);
        assert_eq!(Precondition::from_header(" , "), Precondition::Missing);
        for unreadable in ["3", "W/3", "\"3", "\"3\"x", "\"3\" \"4\"", "*, \"3\"", "\"a b\""] {
            assert_eq!(
                Precondition::from_header(unreadable),
                Precondition::Unreadable,
                "{unreadable:?}"
            );
        }
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
