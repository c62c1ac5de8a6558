//! The OpenAPI 3.0.3 rendition of the 3.1 document, for tools that read 3.0 only (NSwag, older
//! generators). Derived from the served 3.1 document at start-up, never edited by hand:
//!
//! - `type: [T, "null"]` becomes `type: T` with `nullable: true`; a `oneOf` with a `null` branch
//!   loses the branch and becomes nullable (a lone `$ref` is wrapped in `allOf`, since 3.0 ignores
//!   a reference's siblings);
//! - `examples: [x]` becomes `example: x`; `const: v` becomes `enum: [v]`;
//! - the licence's SPDX `identifier` becomes its `url`;
//! - `webhooks`, which 3.0 lacks, are left out: the 3.1 document describes them.

use serde_json::{Map, Value, json};

/// Where the Open Government Licence v3.0 is published.
const LICENCE_URL: &str = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/";

/// The 3.0.3 rendition of a 3.1 document.
pub fn openapi_3_0(document: &Value) -> Value {
    let mut rendition = document.clone();
    let Value::Object(fields) = &mut rendition else {
        return rendition;
    };
    fields.insert("openapi".into(), json!("3.0.3"));
    fields.remove("webhooks");
    if let Some(Value::Object(license)) = fields.get_mut("info").and_then(|info| info.get_mut("license"))
        && license.remove("identifier").is_some()
    {
        license.insert("url".into(), json!(LICENCE_URL));
    }
    if let Some(Value::Array(tags)) = fields.get_mut("tags") {
        tags.retain(|tag| tag["name"] != "webhook-events");
    }
    for (key, child) in fields.iter_mut() {
        if key != "info" {
            convert(child, false);
        }
    }
    rendition
}

/// Converts the schemas within `node` (itself a schema when `is_schema`).
fn convert(node: &mut Value, is_schema: bool) {
    match node {
        Value::Object(fields) => {
            if is_schema {
                convert_schema(fields);
            }
            for (key, child) in fields.iter_mut() {
                match key.as_str() {
                    "example" | "examples" | "enum" | "default" => {}
                    "schema" | "items" | "additionalProperties" | "not" => convert(child, true),
                    "properties" | "schemas" => {
                        if let Value::Object(members) = child {
                            members.values_mut().for_each(|schema| convert(schema, true));
                        }
                    }
                    "allOf" | "oneOf" | "anyOf" => {
                        if let Value::Array(schemas) = child {
                            schemas.iter_mut().for_each(|schema| convert(schema, true));
                        }
                    }
                    _ => convert(child, false),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| convert(item, false)),
        _ => {}
    }
}

/// One schema's own keywords, in 3.0's terms.
fn convert_schema(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = schema.get("type").cloned() {
        let named: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if named.len() < types.len() {
            schema.insert("nullable".into(), json!(true));
        }
        match named.as_slice() {
            [single] => {
                schema.insert("type".into(), single.clone());
            }
            _ => {
                schema.remove("type");
            }
        }
    }
    if let Some(Value::Array(branches)) = schema.get("oneOf").cloned() {
        let named: Vec<Value> = branches.iter().filter(|b| b["type"] != "null").cloned().collect();
        if named.len() < branches.len() {
            schema.insert("nullable".into(), json!(true));
            match named.as_slice() {
                [single] => {
                    schema.remove("oneOf");
                    schema.insert("allOf".into(), json!([single]));
                }
                _ => {
                    schema.insert("oneOf".into(), Value::Array(named));
                }
            }
        }
    }
    if let Some(Value::Array(mut examples)) = schema.remove("examples")
        && !examples.is_empty()
    {
        schema.insert("example".into(), examples.swap_remove(0));
    }
    if let Some(value) = schema.remove("const") {
        schema.insert("enum".into(), json!([value]));
    }
    // 3.0 reads only the `$ref` of a reference: its siblings go into an `allOf` beside it.
    if schema.len() > 1
        && let Some(reference) = schema.remove("$ref")
    {
        schema.insert("allOf".into(), json!([{"$ref": reference}]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_types_and_references_read_as_3_0_writes_them() {
        let document = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "Open Government Licence v3.0", "identifier": "OGL-UK-3.0"}},
            "webhooks": {"claim.approved": {}},
            "tags": [{"name": "plans"}, {"name": "webhook-events"}],
            "paths": {},
            "components": {"schemas": {"Line": {
                "type": "object",
                "examples": [{"amount": "1.00"}],
                "properties": {
                    "provider": {"type": ["string", "null"], "examples": ["Sanctuary"]},
                    "deadline": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Deadline"}]},
                    "status": {"$ref": "#/components/schemas/Status", "description": "Where it stands."},
                    "kind": {"type": "string", "const": "plan"}
                }
            }}}
        });
        let rendition = openapi_3_0(&document);
        assert_eq!(rendition["openapi"], "3.0.3");
        assert!(rendition.get("webhooks").is_none());
        assert_eq!(rendition["tags"], json!([{"name": "plans"}]));
        assert_eq!(
            rendition["info"]["license"],
            json!({"name": "Open Government Licence v3.0", "url": LICENCE_URL})
        );
        let line = &rendition["components"]["schemas"]["Line"];
        assert_eq!(line["example"], json!({"amount": "1.00"}));
        assert!(line.get("examples").is_none());
        assert_eq!(
            line["properties"]["provider"],
            json!({"type": "string", "nullable": true, "example": "Sanctuary"})
        );
        assert_eq!(
            line["properties"]["deadline"],
            json!({"allOf": [{"$ref": "#/components/schemas/Deadline"}], "nullable": true})
        );
        assert_eq!(
            line["properties"]["status"],
            json!({"allOf": [{"$ref": "#/components/schemas/Status"}], "description": "Where it stands."})
        );
        assert_eq!(line["properties"]["kind"], json!({"type": "string", "enum": ["plan"]}));
    }
}
