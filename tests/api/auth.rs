//! Logging in, tokens, refresh rotation, logout.

use actix_web::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{ADMIN_EMAIL, JWT_SECRET, Options, PASSWORD, TestApp};

#[actix_web::test]
async fn login_answers_in_oauth2_shape_and_me_names_the_caller() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let token = app
        .user("manager@safer-plymouth.example", "csp_manager", Some(plymouth))
        .await;

    let reply = app
        .token_reply("Manager@Safer-Plymouth.example", PASSWORD)
        .await
        .expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert!(reply.body["refresh_token"].as_str().is_some_and(|t| t.len() >= 43));
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));

    let me = app.get("/api/v1/me").token(&token).send().await.expect(200);
    assert_eq!(me.body["role"], "csp_manager");
    assert_eq!(me.body["partnership"]["name"], "Safer Plymouth");
    assert_eq!(me.body["user"]["email"], "manager@safer-plymouth.example");
    assert!(me.body["user"].get("password_hash").is_none());
}

#[actix_web::test]
async fn wrong_password_and_unknown_account_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let wrong_password = app
        .token_reply(ADMIN_EMAIL, "not-the-password")
        .await
        .expect_problem(401, "unauthorized");
    let unknown = app
        .token_reply("nobody@opcc.example", PASSWORD)
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(wrong_password.body, unknown.body);
    assert_eq!(
        wrong_password.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
    assert_eq!(
        unknown.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"cspfund\"")
    );
}

#[actix_web::test]
async fn deactivated_users_cannot_log_in_and_their_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let token = app.user("reviewer@opcc.example", "opcc_reviewer", None).await;
    let user_id = app.get("/api/v1/me").token(&token).send().await.expect(200).body["user"]["id"].clone();
    app.patch(&format!("/api/v1/users/{user_id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"active": false}))
        .await
        .expect(200);
    app.get("/api/v1/me")
        .token(&token)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    app.token_reply("reviewer@opcc.example", PASSWORD)
        .await
        .expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn credentials_must_be_one_complete_pair() {
    let app = TestApp::spawn().await;
    let none = app
        .post("/api/v1/auth/token")
        .json(&json!({}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(none.violations(), ["email:required", "password:required"]);
    let half = app
        .post("/api/v1/auth/token")
        .json(&json!({"client_id": "x"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(half.violations(), ["client_secret:required"]);
    // The published shapes are closed: a null credential beside the other pair is neither.
    let null = app
        .post("/api/v1/auth/token")
        .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD, "client_id": null}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(null.violations(), ["client_id:type"]);
    let mixed = app
        .post("/api/v1/auth/token")
        .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD, "client_id": "x", "client_secret": "y"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(mixed.violations(), ["client_id:exclusive"]);
}

#[actix_web::test]
async fn repeated_failures_for_an_account_are_refused_with_retry_after() {
    let app = TestApp::spawn_with(Options {
        flags: vec!["--login-max-failures".into(), "3".into()],
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        app.token_reply(ADMIN_EMAIL, "wrong-password-guess").await.expect(401);
    }
    // Even the right password is refused while the account is locked.
    let locked = app
        .token_reply(ADMIN_EMAIL, PASSWORD)
        .await
        .expect_problem(429, "too-many-requests");
    let retry_after: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&retry_after));
    // Other accounts are unaffected.
    app.token_reply("someone-else@opcc.example", "wrong-password-guess")
        .await
        .expect(401);
}

#[actix_web::test]
async fn repeated_failures_from_one_address_are_refused_across_accounts() {
    let app = TestApp::spawn_with(Options {
        flags: vec!["--login-max-failures-per-address".into(), "4".into()],
        ..Options::default()
    })
    .await;
    for i in 0..4 {
        app.token_reply(&format!("guess{i}@opcc.example"), "wrong-password-guess")
            .await
            .expect(401);
    }
    app.token_reply("guess9@opcc.example", "wrong-password-guess")
        .await
        .expect_problem(429, "too-many-requests");
}

#[actix_web::test]
async fn the_login_throttle_counts_the_same_failures_on_every_instance() {
    let limit = || vec!["--login-max-failures".into(), "3".into()];
    let first = TestApp::spawn_with(Options {
        flags: limit(),
        ..Options::default()
    })
    .await;
    let second = TestApp::spawn_with(Options {
        flags: limit(),
        database_url: Some(first.database_url.clone()),
        ..Options::default()
    })
    .await;
    first.token_reply(ADMIN_EMAIL, "wrong-password-guess").await.expect(401);
    second
        .token_reply(ADMIN_EMAIL, "wrong-password-guess")
        .await
        .expect(401);
    first.token_reply(ADMIN_EMAIL, "wrong-password-guess").await.expect(401);
    for app in [&first, &second] {
        app.token_reply(ADMIN_EMAIL, PASSWORD)
            .await
            .expect_problem(429, "too-many-requests");
    }
    // Once the window has passed, either instance lets the right password in.
    for app in [&first, &second] {
        app.set_clock("2099-01-01T00:00:00Z");
    }
    second.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
}

fn mint(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("a token")
}

fn admin_claims(exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "cspfund", "aud": "cspfund-api", "sub": "user:1", "role": "admin",
           "iat": now, "exp": now + exp_offset, "jti": "test"})
}

#[actix_web::test]
async fn expired_forged_and_tampered_tokens_are_refused() {
    let app = TestApp::spawn().await;
    // Our own key and claims: accepted.
    let valid = mint(&admin_claims(60), JWT_SECRET, Algorithm::HS256);
    app.get("/api/v1/me").token(&valid).send().await.expect(200);
    // Instances behind one balancer share a clock to within the 5 s leeway: a token that expired
    // 2 s ago on a clock a little ahead still works; one 8 s past its expiry does not.
    let just_expired = mint(&admin_claims(-2), JWT_SECRET, Algorithm::HS256);
    app.get("/api/v1/me").token(&just_expired).send().await.expect(200);
    let past_leeway = mint(&admin_claims(-8), JWT_SECRET, Algorithm::HS256);
    app.get("/api/v1/me")
        .token(&past_leeway)
        .send()
        .await
        .expect_problem(401, "unauthorized");

    let expired = mint(&admin_claims(-120), JWT_SECRET, Algorithm::HS256);
    let forged = mint(
        &admin_claims(60),
        "another-secret-of-at-least-32-bytes!!",
        Algorithm::HS256,
    );
    let other_algorithm = mint(&admin_claims(60), JWT_SECRET, Algorithm::HS384);
    let mut wrong_audience = admin_claims(60);
    wrong_audience["aud"] = json!("someone-else");
    let wrong_audience = mint(&wrong_audience, JWT_SECRET, Algorithm::HS256);
    // Same signature, payload edited to claim another subject.
    let parts: Vec<&str> = app.admin_token.split('.').collect();
    let payload = base64_url(
        &serde_json::to_vec(&admin_claims(60).as_object().map(|o| {
            let mut o = o.clone();
            o.insert("sub".into(), json!("user:2"));
            o
        }))
        .expect("json"),
    );
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    let unsigned = format!("{}.{}.", base64_url(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);

    for token in [
        expired,
        forged,
        other_algorithm,
        wrong_audience,
        tampered,
        unsigned,
        "garbage".into(),
    ] {
        let reply = app
            .get("/api/v1/me")
            .token(&token)
            .send()
            .await
            .expect_problem(401, "unauthorized");
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer realm=\"cspfund\", error=\"invalid_token\""),
            "{challenge}"
        );
    }
    let missing = app.get("/api/v1/me").send().await.expect_problem(401, "unauthorized");
    assert_eq!(
        missing.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"cspfund\"")
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn refresh(app: &TestApp, token: &str) -> crate::support::Reply {
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": token}))
        .await
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    let app = TestApp::spawn().await;
    let login = app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
    let first = login.body["refresh_token"].as_str().expect("refresh token").to_owned();

    let refreshed = refresh(&app, &first).await.expect(200);
    let second = refreshed.body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert_ne!(first, second);
    let access = refreshed.body["access_token"].as_str().expect("access token");
    app.get("/api/v1/me").token(access).send().await.expect(200);

    // A second tab refreshing with the same token at once gets the same new pair.
    let again = refresh(&app, &first).await.expect(200);
    assert_eq!(again.body["refresh_token"], second.as_str());
    assert_eq!(again.body["access_token"], access);

    // Once the successor is used, the old token is a replay: the whole family is revoked,
    // including the newest token.
    let third = refresh(&app, &second).await.expect(200).body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    refresh(&app, &first).await.expect_problem(401, "unauthorized");
    refresh(&app, &third).await.expect_problem(401, "unauthorized");
    refresh(&app, "never-issued").await.expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn after_the_grace_window_a_reused_refresh_token_ends_the_session() {
    let app = TestApp::spawn_with(Options {
        flags: vec!["--refresh-grace".into(), "1".into()],
        ..Options::default()
    })
    .await;
    let login = app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
    let first = login.body["refresh_token"].as_str().expect("refresh token").to_owned();
    let second = refresh(&app, &first).await.expect(200).body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2_100)).await;
    // The successor is still unused, but the window has passed: a replay, and the session ends.
    refresh(&app, &first).await.expect_problem(401, "unauthorized");
    refresh(&app, &second).await.expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    let login = app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
    let refresh = login.body["refresh_token"].clone();
    app.post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": refresh}))
        .await
        .expect(204);
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": refresh}))
        .await
        .expect_problem(401, "unauthorized");
    // Logging out again is harmless.
    app.post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": refresh}))
        .await
        .expect(204);
}

#[actix_web::test]
async fn changing_my_password_needs_the_current_one_and_ends_my_sessions() {
    let app = TestApp::spawn().await;
    let login = app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
    let token = login.body["access_token"].as_str().expect("token").to_owned();
    let refresh = login.body["refresh_token"].clone();

    let wrong = app
        .post("/api/v1/me/password")
        .token(&token)
        .json(&json!({"current_password": "not-my-password", "new_password": "a-new-long-password"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(wrong.violations(), ["current_password:password_mismatch"]);
    let weak = app
        .post("/api/v1/me/password")
        .token(&token)
        .json(&json!({"current_password": PASSWORD, "new_password": "short"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(weak.violations(), ["new_password:min_length"]);

    app.post("/api/v1/me/password")
        .token(&token)
        .json(&json!({"current_password": PASSWORD, "new_password": "a-new-long-password"}))
        .await
        .expect(204);
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": refresh}))
        .await
        .expect(401);
    app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(401);
    app.login(ADMIN_EMAIL, "a-new-long-password").await;
}

#[actix_web::test]
async fn api_clients_log_in_with_their_secret_shown_once() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let created = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "Plymouth grants system", "role": "csp_manager", "partnership_id": plymouth}))
        .await
        .expect(201);
    let client_id = created.body["client_id"].as_str().expect("client id").to_owned();
    let secret = created.body["client_secret"].as_str().expect("secret").to_owned();
    let read = app
        .get(&format!("/api/v1/api-clients/{}", created.id()))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert!(read.body.get("client_secret").is_none() && read.body.get("secret_hash").is_none());

    let login = app
        .post("/api/v1/auth/token")
        .json(&json!({"client_id": client_id, "client_secret": secret}))
        .await
        .expect(200);
    let token = login.body["access_token"].as_str().expect("token").to_owned();
    let me = app.get("/api/v1/me").token(&token).send().await.expect(200);
    assert_eq!(me.body["api_client"]["name"], "Plymouth grants system");
    assert_eq!(me.body["partnership"]["id"], plymouth);

    // Rotating the secret: the old one fails, the client's sessions end, the new one works.
    let rotated = app
        .call(
            Method::POST,
            &format!("/api/v1/api-clients/{}/rotate-secret", created.id()),
        )
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    let refresh = login.body["refresh_token"].clone();
    app.post("/api/v1/auth/refresh")
        .json(&json!({"refresh_token": refresh}))
        .await
        .expect(401);
    app.post("/api/v1/auth/token")
        .json(&json!({"client_id": client_id, "client_secret": secret}))
        .await
        .expect(401);
    app.post("/api/v1/auth/token")
        .json(&json!({"client_id": client_id, "client_secret": rotated.body["client_secret"]}))
        .await
        .expect(200);
}

/// A storm of logins is refused at the hashing queue with 503 and Retry-After, at once, while
/// the logins it has room for go through.
#[actix_web::test]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(Options {
        flags: vec![
            "--hashing-threads".into(),
            "1".into(),
            "--hashing-queue".into(),
            "1".into(),
        ],
        ..Options::default()
    })
    .await;
    let storm = (0..16).map(|_| app.token_reply(ADMIN_EMAIL, PASSWORD));
    let replies = futures_util::future::join_all(storm).await;
    let mut refused = 0;
    for reply in &replies {
        match reply.status.as_u16() {
            200 => {}
            503 => {
                refused += 1;
                assert_eq!(reply.body["type"], "/problems/unavailable", "{}", reply.body);
                assert!(
                    reply
                        .header("retry-after")
                        .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0))
                );
            }
            other => panic!("a login in a storm answered {other}: {}", reply.body),
        }
    }
    assert!(
        refused > 0,
        "sixteen logins at once on one thread and one queue place: some are refused"
    );
    assert!(refused < replies.len(), "the ones with room go through");
}
