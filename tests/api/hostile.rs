//! Hostile input is harmless: whatever a client sends, on either database, the answer is a clear
//! 4xx problem naming the field, never a 500; a caller who may not sign costs no password check.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::cycle;
use crate::support::{Reply, TestApp};

#[actix_web::test]
async fn signing_checks_role_and_state_before_the_password() {
    let c = cycle().await;
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{plan}");
    let reviewer_login = "reviewer@opcc.example";
    // Twice as many wrong passwords as the lockout allows (5): each is refused for the role, none
    // counts as a failed password.
    for _ in 0..10 {
        let password = "not-the-password";
        c.act(&path, "submit", &c.reviewer, json!({"password": password}))
            .await
            .expect_problem(403, "forbidden");
        c.act(&path, "submit", &c.app.admin_token, json!({"password": password}))
            .await
            .expect_problem(403, "forbidden");
    }
    c.app
        .token_reply(reviewer_login, crate::support::PASSWORD)
        .await
        .expect(200);
    c.app
        .token_reply(crate::support::ADMIN_EMAIL, crate::support::PASSWORD)
        .await
        .expect(200);

    // Another partnership's manager learns nothing, whatever the password.
    c.act(
        &path,
        "submit",
        &c.torbay_manager,
        json!({"password": "wrong-password"}),
    )
    .await
    .expect_problem(404, "not-found");
    // The right role in the wrong state: 409 before the password is looked at.
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    for _ in 0..6 {
        c.act(&path, "submit", &c.manager, json!({"password": "wrong-password"}))
            .await
            .expect_problem(409, "conflict");
    }
    // Returns: the treasurer may not sign, the manager may not countersign.
    let path = c.draft_return_2017().await;
    for _ in 0..6 {
        c.act(&path, "sign", &c.treasurer, json!({"password": "wrong-password"}))
            .await
            .expect_problem(403, "forbidden");
        c.act(&path, "countersign", &c.manager, json!({"password": "wrong-password"}))
            .await
            .expect_problem(403, "forbidden");
    }
    // A stale version (412) or none (428), also before the password: a signer whose copy is out
    // of date is told so, and is never locked out by it.
    for _ in 0..6 {
        c.app
            .post(&format!("{path}/sign"))
            .token(&c.manager)
            .header("if-match", "\"999\"")
            .json(&json!({"password": "wrong-password"}))
            .await
            .expect_problem(412, "precondition-failed");
        c.app
            .post(&format!("{path}/sign"))
            .token(&c.manager)
            .json(&json!({"password": "wrong-password"}))
            .await
            .expect_problem(428, "precondition-required");
    }
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
}

/// A stolen access token cannot be used to guess the signer's password: wrong signing passwords
/// count towards the same lockout as failed logins.
#[actix_web::test]
async fn wrong_signing_passwords_lock_the_signer_out() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    for _ in 0..5 {
        let refused = c
            .act(&path, "sign", &c.manager, json!({"password": "a-guessed-password"}))
            .await
            .expect_problem(422, "validation");
        assert_eq!(refused.violations(), ["password:password_mismatch"]);
    }
    let locked = c
        .act(&path, "sign", &c.manager, c.signature())
        .await
        .expect_problem(429, "too-many-requests");
    assert!(
        locked
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0))
    );
    c.app
        .token_reply("manager@safer-plymouth.example", crate::support::PASSWORD)
        .await
        .expect_problem(429, "too-many-requests");
    // Nothing was signed.
    let read = c.app.get(&path).token(&c.treasurer).send().await.expect(200);
    assert_eq!(read.body["status"], "draft");
}

#[actix_web::test]
async fn control_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    // Without a token: the login body.
    let login = app
        .post("/api/v1/auth/token")
        .json(&json!({"email": "admin@opcc.example\u{0}", "password": "x"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(login.violations(), ["email:control_character"]);
    let partnership = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"name": "Safer\u{0} Plymouth", "area": "Plymouth\u{1b}", "lead_authority": "Plymouth City Council\ttab"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        partnership.violations(),
        ["area:control_character", "name:control_character"]
    );
    let query = app
        .get("/api/v1/plans?fund_year=2021%00-22")
        .token(&app.admin_token)
        .send()
        .await
        .expect_problem(422, "validation");
    assert_eq!(query.violations(), ["fund_year:control_character"]);
    // Nothing was stored.
    let list = app
        .get("/api/v1/partnerships")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
}

/// What the spec says a request body looks like: the properties of its schema, resolved.
fn body_properties(doc: &Value, op: &Value) -> Vec<String> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let resolved = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    };
    let mut names: Vec<String> = resolved["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for variant in resolved["oneOf"].as_array().into_iter().flatten() {
        let name = variant["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default();
        let variant = if name.is_empty() {
            variant
        } else {
            &doc["components"]["schemas"][name]
        };
        names.extend(
            variant["properties"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys().cloned()),
        );
    }
    names
}

fn hostile_values() -> Vec<Value> {
    vec![
        json!("\u{0}"),
        json!("text with \u{7} bell and \u{1f} unit separator"),
        json!("x".repeat(600_000)),
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e300),
        json!(-0.0),
        json!(null),
        serde_json::from_str(&("[".repeat(100) + &"]".repeat(100))).expect("nested arrays"),
        json!({"nested": {"nested": {"nested": "\u{0}"}}}),
        json!("99999999999999999999999999999.999"),
        json!("-400568.00"),
        json!("2021\u{0}-22"),
    ]
}

#[track_caller]
fn harmless(what: &str, reply: &Reply) {
    let status = reply.status.as_u16();
    assert!(status < 500, "{what} answered {status}: {}", reply.body);
    // The token endpoint's OAuth 2.0 form answers RFC 6749's errors instead.
    let oauth_error = reply.header("content-type").as_deref() == Some("application/json")
        && reply.body["error"].is_string()
        && reply.body["error_description"].is_string();
    if status >= 400 && !oauth_error {
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{what} answered {status} without a problem"
        );
    }
}

/// What the spec says a form body (the OAuth 2.0 token request) holds.
fn form_properties(doc: &Value, op: &Value) -> Vec<String> {
    let schema = &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    let name = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next());
    let resolved = name.map_or(schema, |name| &doc["components"]["schemas"][name]);
    resolved["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// A token naming an issuer and key nobody configured, in a JWT's shape.
fn stranger_token() -> String {
    use base64::Engine;
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        encode(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "\u{0}".repeat(10)})),
        encode(&json!({"iss": "https://login.stranger.example", "sub": "x", "aud": "y", "exp": i64::MAX}))
    )
}

/// Every operation of the served document, with every parameter and body field given hostile
/// values and every header malformed: a new route is swept without anyone listing it here.
#[actix_web::test]
async fn every_operation_in_the_spec_survives_hostile_input() {
    let c = cycle().await;
    let app = &c.app;
    let doc = app.get("/api/v1/openapi.json").send().await.expect(200).body;
    let raw_bodies: Vec<String> = vec![
        "[".repeat(5_000) + &"]".repeat(5_000),
        "{\"a\": \"\\ud800\"}".into(),
        "{\"a\": 1e400}".into(),
        "{\"a\": -99999999999999999999999999}".into(),
        "\"\\u0000\"".into(),
        "{\"a\":".into(),
        "\u{feff}{}".into(),
    ];
    let bad_paths = [
        "-1",
        "0",
        "99999999999999999999",
        "%00",
        "1%00",
        "%C0%AF",
        "1.5",
        "%F0%9F%92%A9",
    ];
    let stranger = format!("Bearer {}", stranger_token());
    let bad_headers: [(&str, &str); 12] = [
        ("if-match", "\"not-a-version\""),
        ("if-match", "W/\"99999999999999999999\""),
        ("idempotency-key", "   "),
        ("idempotency-key", &"k".repeat(300)),
        ("content-type", "application/json; charset=\"unterminated"),
        ("accept", "application/xml"),
        ("x-request-id", "\u{e9}t\u{e9} \u{1f4a9}"),
        ("authorization", "Bearer not.a.jwt"),
        ("authorization", &stranger),
        ("authorization", "Basic !!!not-base64"),
        ("authorization", "Basic Om5vLWlk"),
        ("authorization", "Bearer eyJhbGciOiJub25lIn0.e30."),
    ];
    let tokens = [app.admin_token.clone(), c.manager.clone()];
    let mut requests = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let concrete = |id: &str| {
                path.split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            id.to_owned()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            };
            let queries: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let properties = body_properties(&doc, op);
            let form_fields = form_properties(&doc, op);
            let has_body = op.get("requestBody").is_some();
            for token in &tokens {
                for id in bad_paths {
                    let target = concrete(id);
                    let reply = app
                        .call(method.clone(), &target)
                        .token(token)
                        .raw("application/json", "{}")
                        .await;
                    harmless(&format!("{method} {target}"), &reply);
                    requests += 1;
                }
                for name in &queries {
                    for value in ["%00", "-1", "99999999999999999999", "%FF", &"9".repeat(5_000), "true"] {
                        let target = format!("{}?{name}={value}", concrete("1"));
                        let reply = app.call(method.clone(), &target).token(token).send().await;
                        harmless(&format!("{method} {path}?{name}=..."), &reply);
                        requests += 1;
                    }
                }
                for (name, value) in bad_headers {
                    let reply = app
                        .call(method.clone(), &concrete("1"))
                        .token(token)
                        .header(name, value)
                        .raw("application/json", "{}")
                        .await;
                    harmless(&format!("{method} {path} with {name}"), &reply);
                    requests += 1;
                }
                if !has_body {
                    continue;
                }
                for field in &form_fields {
                    let huge = "x".repeat(600_000);
                    for value in ["%00", "%ZZ", "%C0%AF", "a&a=b", huge.as_str(), "client_credentials"] {
                        let body = format!("grant_type=client_credentials&{field}={value}&{field}=again");
                        for form in [body.clone(), format!("{field}={value}")] {
                            let reply = app
                                .call(method.clone(), &concrete("1"))
                                .raw("application/x-www-form-urlencoded", form)
                                .await;
                            harmless(&format!("{method} {path} with a hostile form {field}"), &reply);
                            requests += 1;
                        }
                    }
                }
                for body in &raw_bodies {
                    let reply = app
                        .call(method.clone(), &concrete("1"))
                        .token(token)
                        .header("if-match", "\"1\"")
                        .raw("application/json", body.clone())
                        .await;
                    harmless(&format!("{method} {path} with a malformed body"), &reply);
                    requests += 1;
                }
                for property in &properties {
                    for value in hostile_values() {
                        let reply = app
                            .call(method.clone(), &concrete("1"))
                            .token(token)
                            .header("if-match", "\"1\"")
                            .json(&json!({ property.as_str(): value }))
                            .await;
                        harmless(&format!("{method} {path} with a hostile {property}"), &reply);
                        requests += 1;
                    }
                }
            }
        }
    }
    assert!(
        requests > 1_000,
        "the sweep reached every operation ({requests} requests)"
    );
}
