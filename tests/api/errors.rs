//! Every error is a problem+json document; nothing a client sends produces a 500.

use actix_web::http::Method;
use serde_json::json;

use crate::support::{Options, TestApp};

#[actix_web::test]
async fn unknown_routes_and_wrong_methods() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here")
        .send()
        .await
        .expect_problem(404, "not-found");
    app.get("/favicon.ico").send().await.expect_problem(404, "not-found");
    let wrong = app
        .call(Method::DELETE, "/api/v1/partnerships")
        .send()
        .await
        .expect_problem(405, "method-not-allowed");
    assert_eq!(wrong.header("allow").as_deref(), Some("GET, POST"));
    let wrong = app
        .call(Method::PUT, "/api/v1/partnerships/12")
        .send()
        .await
        .expect_problem(405, "method-not-allowed");
    assert_eq!(wrong.header("allow").as_deref(), Some("GET, PATCH"));
    // A path parameter of the wrong type names no object.
    app.get("/api/v1/partnerships/not-a-number")
        .token(&app.admin_token)
        .send()
        .await
        .expect_problem(404, "not-found");
}

#[actix_web::test]
async fn bodies_must_be_json_of_bounded_size() {
    let app = TestApp::spawn_with(Options {
        flags: vec!["--max-body-bytes".into(), "2048".into()],
        ..Options::default()
    })
    .await;
    let post = || app.post("/api/v1/partnerships").token(&app.admin_token);
    post()
        .raw("application/json", "{\"name\": ")
        .await
        .expect_problem(400, "malformed-request");
    post()
        .raw("application/json", "")
        .await
        .expect_problem(400, "malformed-request");
    post()
        .raw("application/json", "{} trailing")
        .await
        .expect_problem(400, "malformed-request");
    post()
        .raw("text/plain", "{}")
        .await
        .expect_problem(415, "unsupported-media-type");
    app.post("/api/v1/partnerships")
        .token(&app.admin_token)
        .send()
        .await
        .expect_problem(415, "unsupported-media-type");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(4096));
    post()
        .raw("application/json", big)
        .await
        .expect_problem(413, "payload-too-large");
    // +json media types are JSON too.
    post()
        .raw(
            "application/merge-patch+json",
            r#"{"name":"A","area":"B","lead_authority":"C"}"#,
        )
        .await
        .expect(201);
}

#[actix_web::test]
async fn shape_errors_name_the_field_and_rule() {
    let app = TestApp::spawn().await;
    let reply = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"name": 12, "area": "Plymouth", "lead_authority": "PCC"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(reply.violations(), ["name:type"]);
    let missing = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"area": "Plymouth", "lead_authority": "PCC"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(missing.violations(), ["name:required"]);
    let unknown = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"name": "A", "area": "B", "lead_authority": "C", "colour": "blue"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(unknown.violations(), ["colour:unknown_field"]);
    let listed = app
        .get("/api/v1/partnerships")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"], json!([]), "nothing was stored from bad input");
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let echoed = app
        .get("/health/live")
        .header("x-request-id", "partner-abc-123")
        .send()
        .await
        .expect(200);
    assert_eq!(echoed.header("x-request-id").as_deref(), Some("partner-abc-123"));
    let generated = app
        .get("/nope")
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .expect(404);
    let id = generated.header("x-request-id").expect("a request id");
    assert_eq!(id.len(), 36, "a fresh UUID replaces an unusable id: {id}");
}

#[actix_web::test]
async fn server_timing_is_sent_only_when_switched_on() {
    let quiet = TestApp::spawn().await;
    let reply = quiet
        .get("/api/v1/partnerships")
        .token(&quiet.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(reply.header("server-timing"), None);

    let app = TestApp::spawn_with(Options {
        flags: vec!["--server-timing".into()],
        ..Options::default()
    })
    .await;
    let reply = app
        .get("/api/v1/partnerships")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    let timing = reply.header("server-timing").expect("a Server-Timing header");
    let durations: Vec<(&str, f64)> = timing
        .split(", ")
        .filter_map(|metric| {
            let (name, duration) = metric.split_once(";dur=")?;
            Some((name, duration.parse().ok()?))
        })
        .collect();
    let names: Vec<&str> = durations.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["db-wait", "db", "total"], "{timing}");
    let (db, total) = (durations[1].1, durations[2].1);
    assert!(
        db > 0.0 && db <= total,
        "the database worked, within the request: {timing}"
    );
    let health = app.get("/health/live").send().await.expect(200);
    assert_eq!(
        health
            .header("server-timing")
            .as_deref()
            .map(|t| t.starts_with("db-wait;dur=0.000, db;dur=0.000")),
        Some(true),
        "no database work for liveness"
    );
}

#[actix_web::test]
async fn health_probes() {
    let app = TestApp::spawn().await;
    app.get("/health/live").send().await.expect(200);
    let ready = app.get("/health/ready").send().await.expect(200);
    assert_eq!(ready.body["status"], "ready");
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready.body["database"], backend);
}

#[actix_web::test]
async fn hostile_input_never_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let bodies = [
        "null",
        "[]",
        "0",
        "\"x\"",
        "{\"name\": null}",
        "{\"name\": {}}",
        "{\"name\": [\"a\"]}",
        "{\"email\": \"\\u0000\"}",
        "{\"role\": 1}",
        "{\"partnership_id\": 1e400}",
        "{\"partnership_id\": -1}",
        "{\"partnership_id\": 99999999999999999999}",
        "{\"active\": \"yes\"}",
        "{\"limit\": \"'; DROP TABLE users; --\"}",
        "\u{feff}{}",
        "{\"a\":",
        "{\"name\": \"\u{202e}\u{0}\"}",
    ];
    let routes = [
        (Method::POST, "/api/v1/auth/token"),
        (Method::POST, "/api/v1/auth/refresh"),
        (Method::POST, "/api/v1/auth/logout"),
        (Method::POST, "/api/v1/partnerships"),
        (Method::PATCH, "/api/v1/partnerships/1"),
        (Method::POST, "/api/v1/users"),
        (Method::PATCH, "/api/v1/users/1"),
        (Method::POST, "/api/v1/api-clients"),
        (Method::PATCH, "/api/v1/api-clients/1"),
        (Method::POST, "/api/v1/me/password"),
    ];
    for (method, path) in routes {
        for body in bodies {
            let reply = app
                .call(method.clone(), path)
                .token(&app.admin_token)
                .raw("application/json", body)
                .await;
            assert!(
                reply.status.is_client_error(),
                "{method} {path} {body:?} -> {} {}",
                reply.status,
                reply.body
            );
            assert_eq!(
                reply.header("content-type").as_deref(),
                Some("application/problem+json")
            );
        }
    }
    for (query, violation) in [
        ("limit=-1", "limit:range"),
        ("limit=abc", "limit:type"),
        ("cursor=%00", "cursor:control_character"),
        ("active=maybe", "active:type"),
        ("partnership_id=1.5", "partnership_id:type"),
    ] {
        let reply = app
            .get(&format!("/api/v1/users?{query}"))
            .token(&app.admin_token)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 422, "{query}: {}", reply.body);
        assert_eq!(reply.violations(), vec![violation], "{query}: {}", reply.body);
    }
}

/// A query parameter the operation does not declare is refused, naming it, on every operation
/// that takes query parameters: a misspelt filter (`?fund_yaer=2017-18`) would otherwise be
/// ignored and answer every year. Collections still take their paging with their filters.
#[actix_web::test]
async fn undeclared_query_parameters_are_refused_where_parameters_are_declared() {
    let c = crate::fixtures::cycle().await;
    let doc = c.app.get("/api/v1/openapi.json").send().await.expect(200).body;
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            if declared.is_empty() {
                continue;
            }
            let target = path
                .replace("{id}", "1")
                .replace("{number}", "1")
                .replace("{amendment_id}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            for undeclared in ["fund_yaer=2017-18", "=0"] {
                let reply = c
                    .app
                    .call(method.clone(), &format!("{target}?{undeclared}"))
                    .token(&c.app.admin_token)
                    .json(&json!({}))
                    .await
                    .expect_problem(422, "validation");
                let field = undeclared
                    .split('=')
                    .next()
                    .filter(|name| !name.is_empty())
                    .unwrap_or("$");
                assert_eq!(
                    reply.violations(),
                    [format!("{field}:unknown_parameter")],
                    "{method} {target}?{undeclared}"
                );
            }
            if method == Method::GET && declared.contains(&"limit") && !path.contains('{') {
                let paged = c
                    .app
                    .get(&format!("{target}?limit=1&cursor="))
                    .token(&c.app.admin_token)
                    .send()
                    .await;
                assert_eq!(paged.status.as_u16(), 200, "GET {target}?limit=1: {}", paged.body);
            }
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked.len() >= 40,
        "every operation with query parameters was tried: {checked:?}"
    );
    assert!(checked.iter().any(|op| op == "GET /api/v1/payments"), "{checked:?}");
}
