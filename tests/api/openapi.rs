//! The OpenAPI document is a product: the committed copy must equal what the server serves.

use std::path::Path;

use serde_json::Value;

use crate::support::TestApp;

const COMMITTED: &str = "openapi/openapi.json";
const COMMITTED_3_0: &str = "openapi/openapi-3.0.json";

#[actix_web::test]
async fn the_committed_document_equals_the_served_one() {
    let app = TestApp::spawn().await;
    for (committed, served) in [
        (COMMITTED, "/api/v1/openapi.json"),
        (COMMITTED_3_0, "/api/v1/openapi-3.0.json"),
    ] {
        let served = app.get(served).send().await.expect(200).body;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(committed);
        if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
            let pretty = serde_json::to_string_pretty(&served).expect("json") + "\n";
            std::fs::write(&path, pretty).expect("the document is written");
        }
        let on_disk: Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        assert!(
            on_disk == served,
            "{committed} differs from the served document; regenerate both with \
             `UPDATE_OPENAPI=1 cargo test --test api openapi` and review the diff"
        );
    }
}

/// The 3.0.3 rendition describes the same operations and schemas, in 3.0's terms.
#[actix_web::test]
async fn the_3_0_rendition_has_every_operation_and_no_3_1_keyword() {
    let app = TestApp::spawn().await;
    let document = app.get("/api/v1/openapi.json").send().await.expect(200).body;
    let rendition = app.get("/api/v1/openapi-3.0.json").send().await.expect(200).body;
    assert_eq!(rendition["openapi"], "3.0.3");
    let operations = |doc: &Value| -> Vec<String> {
        doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flatten()
                    .map(move |(method, _)| format!("{method} {path}"))
            })
            .collect()
    };
    assert_eq!(operations(&rendition), operations(&document));
    assert_eq!(
        rendition["components"]["schemas"]
            .as_object()
            .map(|s| s.keys().collect::<Vec<_>>()),
        document["components"]["schemas"]
            .as_object()
            .map(|s| s.keys().collect::<Vec<_>>())
    );
    let text = rendition.to_string();
    for keyword in [
        "\"examples\"",
        "\"const\"",
        "\"identifier\"",
        "\"type\":[",
        "\"webhooks\":{",
    ] {
        assert!(!text.contains(keyword), "the 3.0 rendition still holds {keyword}");
    }
}

#[actix_web::test]
async fn every_documented_operation_is_routed_and_describes_its_errors() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json").send().await.expect(200).body;
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(
        schemas_with_example(&doc["components"]["schemas"], "#/components/schemas"),
        Vec::<String>::new(),
        "schemas give `examples`, not the deprecated `example`"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item") {
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(operation_ids.insert(id.to_owned()), "operationId {id} is used twice");
            // Generators print the summary as a one-line heading; the detail is the description's.
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && summary.chars().count() <= 80 && !summary.contains(". "),
                "{method} {path} has a short summary of one sentence, not {summary:?}"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("500"), "{method} {path} documents 500");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let is_problem =
                        response.get("$ref").is_some() || response["content"].get("application/problem+json").is_some();
                    assert!(is_problem, "{method} {path} {status} is a problem");
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} documents 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} documents {status}");
                }
            }
            // The route exists with this method: whatever it answers, it is not "no route".
            let concrete = path.replace("{id}", "1").replace("{slug}", "validation");
            let method = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let reply = app.call(method.clone(), &concrete).raw("application/json", "{}").await;
            assert_ne!(reply.status.as_u16(), 405, "{method} {concrete}");
            assert_ne!(reply.body["detail"], format!("no route matches {concrete}"));
        }
    }
}

#[actix_web::test]
async fn interactive_docs_are_served_without_the_internet() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").send().await.expect(308);
    assert_eq!(redirect.header("location").as_deref(), Some("/docs/"));
    let page = app.get("/docs/").send().await.expect(200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    let script = app.get("/docs/swagger-ui-bundle.js").send().await.expect(200);
    assert!(script.header("content-type").is_some_and(|t| t.contains("javascript")));
    let initializer = app.get("/docs/swagger-initializer.js").send().await.expect(200);
    assert!(
        initializer
            .body
            .as_str()
            .is_some_and(|js| js.contains("/api/v1/openapi.json"))
    );
    let problem = app.get("/problems/validation").send().await.expect(200);
    assert_eq!(problem.body["status"], 422);
}

/// Where a schema under `node` still carries OpenAPI 3.0's `example` (examples' own data skipped).
fn schemas_with_example(node: &serde_json::Value, at: &str) -> Vec<String> {
    match node {
        serde_json::Value::Object(fields) => fields
            .iter()
            .flat_map(|(key, child)| match key.as_str() {
                "example" => vec![at.to_owned()],
                "examples" => Vec::new(),
                _ => schemas_with_example(child, &format!("{at}/{key}")),
            })
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| schemas_with_example(item, &format!("{at}/{i}")))
            .collect(),
        _ => Vec::new(),
    }
}
