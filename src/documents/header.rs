//! What every document shows about itself whatever its kind: flattened into each kind's view and
//! summary, built in one place from the document's row and its allocation.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::allocations::Allocation;
use crate::deadlines::Deadline;
use crate::error::Error;
use crate::timestamps;
use crate::workflow::Status;

/// Whose document it is, where it stands and when it last changed: the same fields, with the same
/// meaning, in every kind's view and summary.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct DocumentHeader {
    pub id: i64,
    pub allocation_id: i64,
    pub fund_year: String,
    pub partnership_id: i64,
    pub partnership: String,
    pub status: Status,
    pub version: i32,
    /// The due date, and whether the document is overdue or came in late.
    pub deadline: Deadline,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
}

/// What a document's row holds of its header.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    pub id: i64,
    pub allocation_id: i64,
    pub status: Status,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

/// A listed document's partnership (id and name) and fund year, as a list's query reads them.
pub type Named = (i64, String, String);

/// The [`Stored`] part of a kind's row (`$row`), whose columns carry the same names in the
/// three tables; a macro because the rows are three types.
macro_rules! stored {
    ($row:expr) => {
        $crate::documents::Stored {
            id: $row.id,
            allocation_id: $row.allocation_id,
            status: $row.status,
            version: $row.version,
            updated_at: $row.updated_at,
        }
    };
}
pub(crate) use stored;

impl DocumentHeader {
    /// The header of a document read with its allocation.
    pub fn of(stored: Stored, allocation: &Allocation, deadline: Deadline) -> DocumentHeader {
        let named = (
            allocation.partnership_id,
            allocation.partnership.clone(),
            allocation.fund_year.clone(),
        );
        DocumentHeader::new(stored, named, deadline)
    }

    /// The header of a document in a list, whose query read the fund year and partnership, with
    /// its deadline taken from those worked out for the page.
    pub fn listed(
        stored: Stored,
        named: Named,
        deadlines: &mut HashMap<i64, Deadline>,
    ) -> Result<DocumentHeader, Error> {
        let deadline = deadlines
            .remove(&stored.id)
            .ok_or_else(|| Error::internal("a document without a deadline"))?;
        Ok(DocumentHeader::new(stored, named, deadline))
    }

    fn new(stored: Stored, (partnership_id, partnership, fund_year): Named, deadline: Deadline) -> DocumentHeader {
        DocumentHeader {
            id: stored.id,
            allocation_id: stored.allocation_id,
            fund_year,
            partnership_id,
            partnership,
            status: stored.status,
            version: stored.version,
            deadline,
            updated_at: stored.updated_at,
        }
    }

    /// The header's schema in a document's full view, where `version` is the ETag to send back.
    pub fn in_view(noun: &str) -> Object {
        let mut header = header_object();
        if let Some(RefOr::T(Schema::Object(version))) = header.properties.get_mut("version") {
            version.description = Some(format!(
                "Increases with every change; the ETag. Send it back in If-Match to change the {noun}."
            ));
        }
        header
    }
}

fn header_object() -> Object {
    match DocumentHeader::schema() {
        RefOr::T(Schema::Object(object)) => object,
        _ => unreachable!("a struct's derived schema is an object"),
    }
}

/// The schema of a view or summary as one object. utoipa writes a flattened field as
/// `allOf: [header, own fields]`, which generators turn into inheritance; spliced instead, the
/// document's fields read as they always have, in this order: the header's fields up to
/// `partnership`, the kind's first `lead` fields (a return names its half and claim there),
/// `status`, `version` and `deadline`, the kind's other fields, and `updated_at`.
pub fn splice(schema: &mut RefOr<Schema>, lead: usize) {
    let RefOr::T(Schema::AllOf(all_of)) = schema else {
        return;
    };
    let (header, mut object) = match all_of.items.as_mut_slice() {
        [RefOr::T(Schema::Object(header)), RefOr::T(Schema::Object(own))] => {
            (std::mem::take(header), std::mem::take(own))
        }
        // A summary with no fields of its own is its header.
        [RefOr::T(Schema::Object(header))] => (std::mem::take(header), Object::new()),
        _ => return,
    };
    let (before_status, after) = header
        .required
        .split_at(header.required.iter().position(|f| f == "status").unwrap_or(0));
    let (state, last) = after.split_at(after.len().saturating_sub(1));
    let lead = lead.min(object.required.len());
    let own = std::mem::take(&mut object.required);
    object.required = [before_status, &own[..lead], state, &own[lead..], last].concat();
    object.schema_type = header.schema_type;
    object.properties.extend(header.properties);
    object.description = all_of.description.take();
    object.example = all_of.example.take();
    object.examples = std::mem::take(&mut all_of.examples);
    *schema = RefOr::T(Schema::Object(object));
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};

    fn object(fields: &[&str]) -> Object {
        fields
            .iter()
            .fold(ObjectBuilder::new().schema_type(Type::Object), |o, f| {
                o.property(*f, ObjectBuilder::new().schema_type(Type::String))
                    .required(*f)
            })
            .build()
    }

    fn spliced(items: Vec<Object>, lead: usize) -> Object {
        let mut schema = RefOr::T(Schema::AllOf(
            items
                .into_iter()
                .fold(AllOfBuilder::new(), |all_of, item| all_of.item(item))
                .description(Some("A return."))
                .build(),
        ));
        splice(&mut schema, lead);
        match schema {
            RefOr::T(Schema::Object(object)) => object,
            _ => panic!("not spliced into one object"),
        }
    }

    #[test]
    fn a_kinds_leading_fields_stand_between_the_partnership_and_the_status() {
        let header = object(&["id", "partnership", "status", "version", "updated_at"]);
        let own = object(&["half", "amount_claimed", "projects", "created_at"]);
        let object = spliced(vec![header, own], 2);
        assert_eq!(
            object.required,
            [
                "id",
                "partnership",
                "half",
                "amount_claimed",
                "status",
                "version",
                "projects",
                "created_at",
                "updated_at"
            ]
        );
        assert_eq!(object.properties.len(), 9);
        assert_eq!(object.description.as_deref(), Some("A return."));
    }

    #[test]
    fn a_summary_of_only_its_header_is_the_header() {
        let object = spliced(vec![object(&["id", "status", "updated_at"])], 0);
        assert_eq!(object.required, ["id", "status", "updated_at"]);
        assert!(object.schema_type == Type::Object.into(), "the header's type is kept");
    }

    #[test]
    fn in_a_view_the_version_says_what_it_is_sent_back_for() {
        let RefOr::T(Schema::Object(version)) = &DocumentHeader::in_view("plan").properties["version"] else {
            panic!("version is an integer");
        };
        assert_eq!(
            version.description.as_deref(),
            Some("Increases with every change; the ETag. Send it back in If-Match to change the plan.")
        );
    }
}
