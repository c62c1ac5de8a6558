//! JSON whose members the API document does not fix: a history entry's details, a snapshot's
//! content, the 360Giving package, the OpenAPI document itself. Named once, as a map of any JSON
//! value, so client generators type it as such instead of guessing (and warning) at each use.

use std::borrow::Cow;

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// Any JSON value: the schema of a [`JsonObject`]'s members. A type for the API document only.
pub enum JsonValue {}

impl PartialSchema for JsonValue {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some("Any JSON value."))
            .into()
    }
}

impl ToSchema for JsonValue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JsonValue")
    }
}

/// A JSON object of any members. A type for the API document only.
pub enum JsonObject {}

impl JsonObject {
    /// Members of any JSON value, by reference to [`JsonValue`].
    pub fn members() -> AdditionalProperties<Schema> {
        AdditionalProperties::RefOr(RefOr::Ref(Ref::from_schema_name(JsonValue::name())))
    }
}

impl PartialSchema for JsonObject {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("A JSON object whose members this document does not fix."))
            .additional_properties(Some(JsonObject::members()))
            .into()
    }
}

impl ToSchema for JsonObject {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JsonObject")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((JsonValue::name().into(), JsonValue::schema()));
    }
}
