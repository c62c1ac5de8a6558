//! Machines speak OAuth 2.0 at `/oauth/token`: the standard form (RFC 6749) with the client
//! credentials grant, client_secret_basic, client_secret_post and private_key_jwt (RFC 7523), the
//! refresh token grant, and RFC 6749's error answers.

use actix_web::http::Method;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{ADMIN_EMAIL, Options, PASSWORD, Reply, TestApp};

const FORM: &str = "application/x-www-form-urlencoded";

struct Client {
    id: i64,
    client_id: String,
    secret: String,
}

async fn client(app: &TestApp) -> Client {
    let plymouth = match app
        .get("/api/v1/partnerships")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_i64()
    {
        Some(id) => id,
        None => app.partnership("Safer Plymouth").await,
    };
    let created = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "Plymouth grants system", "role": "csp_manager", "partnership_id": plymouth}))
        .await
        .expect(201);
    Client {
        id: created.id(),
        client_id: created.body["client_id"].as_str().unwrap().to_owned(),
        secret: created.body["client_secret"].as_str().unwrap().to_owned(),
    }
}

async fn form(app: &TestApp, body: &str) -> Reply {
    app.post("/api/v1/oauth/token").raw(FORM, body.to_owned()).await
}

fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[track_caller]
fn assert_oauth_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    assert_eq!(reply.body["error"], error, "{}", reply.body);
    assert!(reply.body["error_description"].is_string());
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
}

#[actix_web::test]
async fn a_stock_client_obtains_a_token_with_its_secret_in_either_place() {
    let app = TestApp::spawn().await;
    let c = client(&app).await;
    // client_secret_post.
    let posted = form(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=anything",
            c.client_id,
            encoded(&c.secret)
        ),
    )
    .await
    .expect(200);
    assert_eq!(posted.body["token_type"], "Bearer");
    assert!(
        posted.body.get("refresh_token").is_none(),
        "RFC 6749 4.4.3: no refresh token"
    );
    let me = app
        .get("/api/v1/me")
        .token(posted.body["access_token"].as_str().unwrap())
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["api_client"]["client_id"], c.client_id.as_str());
    // client_secret_basic: the id and secret form-encoded, then base64.
    let basic = STANDARD.encode(format!("{}:{}", encoded(&c.client_id), encoded(&c.secret)));
    let reply = app
        .post("/api/v1/oauth/token")
        .header("Authorization", &format!("Basic {basic}"))
        .raw(FORM, "grant_type=client_credentials")
        .await
        .expect(200);
    assert_eq!(reply.body["expires_in"], 900);

    // A wrong secret: RFC 6749's invalid_client, with the Basic challenge.
    let wrong = STANDARD.encode(format!("{}:not-the-secret", c.client_id));
    let refused = app
        .post("/api/v1/oauth/token")
        .header("Authorization", &format!("Basic {wrong}"))
        .raw(FORM, "grant_type=client_credentials")
        .await;
    assert_oauth_error(&refused, 401, "invalid_client");
    assert!(refused.header("www-authenticate").unwrap().starts_with("Basic"));
}

#[actix_web::test]
async fn malformed_and_unsupported_requests_get_rfc_6749_errors() {
    let app = TestApp::spawn().await;
    let c = client(&app).await;
    let secret = encoded(&c.secret);
    assert_oauth_error(&form(&app, "").await, 400, "invalid_request");
    assert_oauth_error(
        &form(
            &app,
            &format!("grant_type=password&username={ADMIN_EMAIL}&password={PASSWORD}"),
        )
        .await,
        400,
        "unsupported_grant_type",
    );
    assert_oauth_error(
        &form(&app, "grant_type=client_credentials").await,
        401,
        "invalid_client",
    );
    assert_oauth_error(
        &form(
            &app,
            &format!(
                "grant_type=client_credentials&grant_type=client_credentials&client_id={}&client_secret={secret}",
                c.client_id
            ),
        )
        .await,
        400,
        "invalid_request",
    );
    assert_oauth_error(
        &form(&app, &format!("grant_type=client_credentials&client_secret={secret}")).await,
        400,
        "invalid_request",
    );
    // Two ways of authenticating at once.
    let basic = STANDARD.encode(format!("{}:{}", c.client_id, c.secret));
    let both = app
        .post("/api/v1/oauth/token")
        .header("Authorization", &format!("Basic {basic}"))
        .raw(
            FORM,
            format!(
                "grant_type=client_credentials&client_id={}&client_secret={secret}",
                c.client_id
            ),
        )
        .await;
    assert_oauth_error(&both, 400, "invalid_request");
    assert_oauth_error(
        &form(&app, "grant_type=refresh_token&refresh_token=never-issued").await,
        400,
        "invalid_grant",
    );
    assert_oauth_error(&form(&app, "grant_type=refresh_token").await, 400, "invalid_request");
    // Only the form: this service's JSON login is /auth/token.
    for content_type in ["text/plain", "application/json"] {
        app.post("/api/v1/oauth/token")
            .raw(content_type, "{\"grant_type\": \"client_credentials\"}")
            .await
            .expect_problem(415, "unsupported-media-type");
    }
}

#[actix_web::test]
async fn a_person_refreshes_through_the_standard_grant() {
    let app = TestApp::spawn().await;
    let login = app.token_reply(ADMIN_EMAIL, PASSWORD).await.expect(200);
    let refresh_token = login.body["refresh_token"].as_str().unwrap();
    let refreshed = form(&app, &format!("grant_type=refresh_token&refresh_token={refresh_token}"))
        .await
        .expect(200);
    assert_ne!(refreshed.body["refresh_token"], refresh_token);
    app.get("/api/v1/me")
        .token(refreshed.body["access_token"].as_str().unwrap())
        .send()
        .await
        .expect(200);
}

/// A council's key pair: the private half stays with the council.
struct CouncilKey {
    der: Vec<u8>,
    jwk: Value,
}

fn council_key(kid: &str) -> CouncilKey {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    CouncilKey {
        der: key.to_pkcs8_der().unwrap().as_bytes().to_vec(),
        jwk: json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA",
                    "x": URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())}),
    }
}

fn assertion(key: &CouncilKey, client_id: &str, audience: &str, changes: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60,
                            "jti": uuid::Uuid::new_v4().to_string()});
    for (name, value) in changes.as_object().unwrap() {
        claims[name] = value.clone();
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &claims,
        &EncodingKey::from_ed_der(&key.der),
    )
    .unwrap()
}

async fn with_assertion(app: &TestApp, assertion: &str) -> Reply {
    form(
        app,
        &format!(
            "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
            encoded("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        ),
    )
    .await
}

#[actix_web::test]
async fn a_council_signs_in_with_its_own_key_and_rotates_it_itself() {
    // Refused assertions count towards the login throttle like wrong secrets; this test makes
    // more of them than the default allows.
    let app = TestApp::spawn_with(Options {
        flags: vec!["--login-max-failures".into(), "20".into()],
        ..Options::default()
    })
    .await;
    let c = client(&app).await;
    let audience = format!("{}/api/v1/oauth/token", app.state.config.public_url);
    let key = council_key("plymouth-1");
    let path = format!("/api/v1/api-clients/{}/public-key", c.id);
    // Private parts are refused: only the public key is ever sent.
    let mut private = key.jwk.clone();
    private["d"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
    let refused = app
        .call(Method::PUT, &path)
        .token(&app.admin_token)
        .json(&json!({"public_key": private}))
        .await
        .expect(422);
    assert_eq!(refused.violations(), vec!["public_key:public_only"]);
    let refused = app
        .call(Method::PUT, &path)
        .token(&app.admin_token)
        .json(&json!({"public_key": {"kty": "oct", "k": "c2VjcmV0"}}))
        .await
        .expect(422);
    assert_eq!(refused.violations(), vec!["public_key:public_only"]);
    // The members the API names are text: a key with `"use": null` or an object for `y` would be
    // shown back as no reader of the document expects.
    let mut mistyped = key.jwk.clone();
    mistyped["use"] = Value::Null;
    mistyped["y"] = json!({});
    let refused = app
        .call(Method::PUT, &path)
        .token(&app.admin_token)
        .json(&json!({"public_key": mistyped}))
        .await
        .expect(422);
    assert_eq!(refused.violations(), vec!["public_key.y:type", "public_key.use:type"]);
    let registered = app
        .call(Method::PUT, &path)
        .token(&app.admin_token)
        .json(&json!({"public_key": key.jwk}))
        .await
        .expect(200);
    assert_eq!(registered.body["public_key"]["x"], key.jwk["x"]);

    let signed = assertion(&key, &c.client_id, &audience, json!({}));
    let token = with_assertion(&app, &signed).await.expect(200).body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app.get("/api/v1/me").token(&token).send().await.expect(200);
    assert_eq!(me.body["api_client"]["client_id"], c.client_id.as_str());
    // Each assertion is good once; one for another audience, too long-lived, or signed by
    // another key is refused; and the retired secret no longer works.
    assert_oauth_error(&with_assertion(&app, &signed).await, 401, "invalid_client");
    let elsewhere = assertion(&key, &c.client_id, "https://other-service.example/token", json!({}));
    assert_oauth_error(&with_assertion(&app, &elsewhere).await, 401, "invalid_client");
    let lasting = assertion(
        &key,
        &c.client_id,
        &audience,
        json!({"exp": chrono::Utc::now().timestamp() + 86_400}),
    );
    assert_oauth_error(&with_assertion(&app, &lasting).await, 401, "invalid_client");
    let other = council_key("plymouth-1");
    assert_oauth_error(
        &with_assertion(&app, &assertion(&other, &c.client_id, &audience, json!({}))).await,
        401,
        "invalid_client",
    );
    let by_secret = form(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            c.client_id,
            encoded(&c.secret)
        ),
    )
    .await;
    assert_oauth_error(&by_secret, 401, "invalid_client");

    // The council rotates its key itself, with the token its current key gave it.
    let next = council_key("plymouth-2");
    app.call(Method::PUT, &path)
        .token(&token)
        .json(&json!({"public_key": next.jwk}))
        .await
        .expect(200);
    assert_oauth_error(
        &with_assertion(&app, &assertion(&key, &c.client_id, &audience, json!({}))).await,
        401,
        "invalid_client",
    );
    with_assertion(&app, &assertion(&next, &c.client_id, &audience, json!({})))
        .await
        .expect(200);
    // Another client may not touch it; the admin may remove it.
    let other_client = client(&app).await;
    let other_token = form(
        &app,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            other_client.client_id,
            encoded(&other_client.secret)
        ),
    )
    .await
    .expect(200)
    .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(Method::PUT, &path)
        .token(&other_token)
        .json(&json!({"public_key": next.jwk}))
        .await
        .expect(403);
    let removed = app
        .call(Method::DELETE, &path)
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert!(removed.body["public_key"].is_null());
}
