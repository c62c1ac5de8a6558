//! External references: another system's own id for a record (the finance system's supplier or
//! cost-centre code for a partnership, its commitment number for an allocation, its document
//! number for a payment), so that system finds its record here without keeping our ids.
//! Free text the service never interprets, and not unique: two systems may share a code.

use crate::error::Violations;

/// The longest external reference accepted.
pub const MAX_LENGTH: usize = 100;

/// An external reference, when one is given: some text, at most [`MAX_LENGTH`] characters.
pub fn check(v: &mut Violations, reference: Option<&str>) {
    if let Some(reference) = reference {
        v.text("external_reference", reference, MAX_LENGTH);
    }
}

/// The reference as stored: without surrounding spaces.
pub fn stored(reference: Option<&str>) -> Option<String> {
    reference.map(|r| r.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_some_text_within_the_limit() {
        let checked = |reference: Option<&str>| {
            let mut v = Violations::new();
            check(&mut v, reference);
            v.is_empty()
        };
        assert!(checked(None));
        assert!(checked(Some("SUP-000412")));
        assert!(checked(Some(&"x".repeat(MAX_LENGTH))));
        assert!(!checked(Some(&"x".repeat(MAX_LENGTH + 1))));
        assert!(!checked(Some("   ")));
        assert_eq!(stored(Some(" SUP-000412 ")).as_deref(), Some("SUP-000412"));
    }
}
