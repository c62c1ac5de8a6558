//! People signing in at their organisation's identity provider: the service as an OAuth 2.0
//! resource server. An issuer here is a small HTTP server of the test's own that publishes a
//! discovery document and a key set, and signs tokens with keys the test holds, so every refusal
//! can be provoked exactly. (CI also runs the whole flow against a real OpenID Provider:
//! tests/oidc.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle_with};
use crate::support::{Options, PASSWORD};

const AUDIENCE: &str = "https://cspfund.example/api";

/// A signing key of a test issuer.
struct IssuerKey {
    kid: String,
    private_der: Vec<u8>,
    public: [u8; 32],
    /// The algorithm its key set declares for it.
    alg: &'static str,
}

impl IssuerKey {
    fn generate(kid: &str) -> IssuerKey {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        IssuerKey {
            kid: kid.into(),
            private_der: key.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            public: key.verifying_key().to_bytes(),
            alg: "EdDSA",
        }
    }

    fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": self.alg, "kid": self.kid,
               "x": URL_SAFE_NO_PAD.encode(self.public)})
    }
}

/// An OpenID Connect issuer of the test's own: discovery and JWKS over HTTP, counting fetches.
struct TestIssuer {
    url: String,
    keys: Arc<Mutex<Vec<IssuerKey>>>,
    key_fetches: Arc<AtomicUsize>,
    /// The size, in bytes, the key set is padded to with trailing spaces (0: as it comes).
    key_set_size: Arc<AtomicUsize>,
    _server: actix_web::dev::ServerHandle,
}

impl TestIssuer {
    async fn start() -> TestIssuer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(vec![IssuerKey::generate("key-1")]));
        let key_fetches = Arc::new(AtomicUsize::new(0));
        let key_set_size = Arc::new(AtomicUsize::new(0));
        let (issuer, published, fetches, size) = (url.clone(), keys.clone(), key_fetches.clone(), key_set_size.clone());
        let server = HttpServer::new(move || {
            let issuer = issuer.clone();
            let published = published.clone();
            let fetches = fetches.clone();
            let size = size.clone();
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(move || {
                        let issuer = issuer.clone();
                        async move {
                            HttpResponse::Ok().json(json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")}))
                        }
                    }),
                )
                .route(
                    "/jwks",
                    web::get().to(move || {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        let keys: Vec<Value> = published.lock().iter().map(IssuerKey::jwk).collect();
                        let mut body = json!({"keys": keys}).to_string();
                        let padded = size.load(Ordering::SeqCst);
                        if padded > body.len() {
                            body.push_str(&" ".repeat(padded - body.len()));
                        }
                        async move { HttpResponse::Ok().content_type("application/json").body(body) }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestIssuer {
            url,
            keys,
            key_fetches,
            key_set_size,
            _server: handle,
        }
    }

    /// An access token as the provider issues it (RFC 9068), with `changes` applied to its
    /// claims; signed with its current first key.
    fn token(&self, subject: &str, changes: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({"iss": self.url, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 300,
                                "auth_time": now - 10, "client_id": "front-end", "jti": uuid::Uuid::new_v4().to_string()});
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        let keys = self.keys.lock();
        self.sign(&claims, &keys[0].kid, &keys[0].private_der, Some("at+jwt"))
    }

    fn sign(&self, claims: &Value, kid: &str, der: &[u8], typ: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
    }

    /// The provider rotates: a new key replaces the old one in its key set, published beside
    /// `upcoming` keys it will sign with later.
    fn rotate(&self, kid: &str, upcoming: usize) {
        let mut keys = vec![IssuerKey::generate(kid)];
        keys.extend((0..upcoming).map(|n| IssuerKey::generate(&format!("upcoming-{n}"))));
        *self.keys.lock() = keys;
    }

    /// Pads the key set to `bytes` from the next fetch on.
    fn pad_key_set_to(&self, bytes: usize) {
        self.key_set_size.store(bytes, Ordering::SeqCst);
    }

    fn fetches(&self) -> usize {
        self.key_fetches.load(Ordering::SeqCst)
    }
}

/// The tenants, with Plymouth's manager linked as "officer-1" at Plymouth's provider.
async fn officer_linked(plymouth_settings: Value) -> Tenants {
    let t = tenants(plymouth_settings).await;
    let manager = t.user_id(&t.cycle.manager).await;
    t.link(manager, &t.plymouth, "officer-1").await.expect(201);
    t
}

/// Waits out the refetch interval (1 s here), so that a key not yet seen is fetched.
async fn after_the_refetch_interval() {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1_100)).await;
}

/// The claims of an access token `issuer` issues now for "officer-1", without the RFC 9068 extras.
fn claims_now(issuer: &TestIssuer) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": issuer.url, "aud": AUDIENCE, "sub": "officer-1", "iat": now, "exp": now + 300, "auth_time": now - 10})
}

/// Two partnerships' tenants and the OPCC's, with the service trusting each for its own
/// organisation (Safer Plymouth is partnership 1, Safer Torbay 2, in a fresh database).
struct Tenants {
    cycle: Cycle,
    plymouth: TestIssuer,
    torbay: TestIssuer,
    opcc: TestIssuer,
    _config: tempfile::TempDir,
}

async fn tenants(plymouth_settings: Value) -> Tenants {
    let (plymouth, torbay, opcc) = (
        TestIssuer::start().await,
        TestIssuer::start().await,
        TestIssuer::start().await,
    );
    let mut plymouth_issuer =
        json!({"issuer": plymouth.url, "audience": AUDIENCE, "organisation": {"partnership_id": 1}});
    for (name, value) in plymouth_settings.as_object().unwrap() {
        plymouth_issuer[name] = value.clone();
    }
    let issuers = json!([
        plymouth_issuer,
        {"issuer": torbay.url, "audience": AUDIENCE, "organisation": {"partnership_id": 2}},
        {"issuer": opcc.url, "audience": AUDIENCE, "organisation": "opcc"},
    ]);
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join("issuers.json");
    std::fs::write(&path, issuers.to_string()).unwrap();
    let cycle = cycle_with(Options {
        flags: vec![
            "--oidc-issuers".into(),
            path.to_string_lossy().into_owned(),
            "--oidc-key-refetch-interval".into(),
            "1".into(),
        ],
        ..Options::default()
    })
    .await;
    assert_eq!((cycle.plymouth, cycle.torbay), (1, 2));
    Tenants {
        cycle,
        plymouth,
        torbay,
        opcc,
        _config: config,
    }
}

impl Tenants {
    /// `/me` with a token, as a front end calls it.
    async fn me(&self, token: &str) -> crate::support::Reply {
        self.cycle.app.get("/api/v1/me").token(token).send().await
    }

    async fn user_id(&self, token: &str) -> i64 {
        self.cycle
            .app
            .get("/api/v1/me")
            .token(token)
            .send()
            .await
            .expect(200)
            .body["user"]["id"]
            .as_i64()
            .unwrap()
    }

    async fn link(&self, user_id: i64, issuer: &TestIssuer, subject: &str) -> crate::support::Reply {
        self.cycle
            .app
            .post(&format!("/api/v1/users/{user_id}/identities"))
            .token(&self.cycle.app.admin_token)
            .json(&json!({"issuer": issuer.url, "subject": subject}))
            .await
    }
}

#[actix_web::test]
async fn a_manager_signs_in_at_their_councils_provider_and_acts_as_their_account() {
    let t = tenants(json!({})).await;
    let app = &t.cycle.app;
    let manager = t.user_id(&t.cycle.manager).await;
    let linked = t.link(manager, &t.plymouth, "entra-object-7f3a").await.expect(201);
    assert_eq!(linked.body["subject"], "entra-object-7f3a");
    let listed = app
        .get(&format!("/api/v1/users/{manager}/identities"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body[0]["issuer"], t.plymouth.url.as_str());

    let token = t.plymouth.token("entra-object-7f3a", json!({}));
    let me = app.get("/api/v1/me").token(&token).send().await.expect(200);
    assert_eq!(me.body["role"], "csp_manager");
    assert_eq!(me.body["partnership"]["name"], "Safer Plymouth");
    assert_eq!(me.body["user"]["email"], "manager@safer-plymouth.example");
    // Roles come from the account: a token claiming more changes nothing.
    let claiming = t.plymouth.token(
        "entra-object-7f3a",
        json!({"role": "admin", "partnership_id": 2, "roles": ["admin"]}),
    );
    app.get("/api/v1/users").token(&claiming).send().await.expect(403);
    let plan = t
        .cycle
        .plan("plymouth-2017-18-plan", t.cycle.plymouth_2017, &token)
        .await;
    app.get(&format!("/api/v1/plans/{plan}"))
        .token(&token)
        .send()
        .await
        .expect(200);
    // Torbay's allocation stays out of sight.
    app.get(&format!("/api/v1/allocations/{}", t.cycle.torbay_2021))
        .token(&token)
        .send()
        .await
        .expect(404);

    // Deactivated here: the provider's token stops at once.
    app.call(actix_web::http::Method::PATCH, &format!("/api/v1/users/{manager}"))
        .token(&app.admin_token)
        .header("If-Match", "*")
        .json(&json!({"active": false}))
        .await
        .expect(200);
    app.get("/api/v1/me")
        .token(&token)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn tokens_that_fail_any_check_are_refused() {
    let t = officer_linked(json!({})).await;
    let app = &t.cycle.app;
    let refused = |token: String| async move {
        let reply = app.get("/api/v1/me").token(&token).send().await;
        reply.expect_problem(401, "unauthorized")
    };
    let now = chrono::Utc::now().timestamp();
    refused(
        t.plymouth
            .token("officer-1", json!({"aud": "https://another-api.example"})),
    )
    .await;
    refused(
        t.plymouth
            .token("officer-1", json!({"exp": now - 120, "iat": now - 600})),
    )
    .await;
    refused(t.plymouth.token("officer-1", json!({"nbf": now + 600}))).await;
    refused(
        t.plymouth
            .token("officer-1", json!({"iat": now + 600, "exp": now + 900})),
    )
    .await;
    refused(t.plymouth.token("officer-1", json!({"exp": null}))).await;
    // An ID token (typ JWT) is not an access token.
    let claims = json!({"iss": t.plymouth.url, "aud": AUDIENCE, "sub": "officer-1", "iat": now, "exp": now + 300});
    let id_token = {
        let keys = t.plymouth.keys.lock();
        t.plymouth
            .sign(&claims, &keys[0].kid, &keys[0].private_der, Some("JWT"))
    };
    refused(id_token).await;
    // The same claims with the algorithm changed to HS256, keyed with the provider's public key.
    let public = t.plymouth.keys.lock()[0].public;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-1".into());
    header.typ = Some("at+jwt".into());
    refused(jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&public)).unwrap()).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-1".into());
    header.typ = Some("at+jwt".into());
    refused(
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(URL_SAFE_NO_PAD.encode(public).as_bytes()),
        )
        .unwrap(),
    )
    .await;
    // `alg: none`, unsigned.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt","kid":"key-1"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    refused(none).await;
    // Signed by a key the provider does not publish.
    let stranger = IssuerKey::generate("key-1");
    refused(t.plymouth.sign(&claims, "key-1", &stranger.private_der, Some("at+jwt"))).await;
    // An issuer nobody configured, even with a key of a trusted one.
    let mut untrusted = claims.clone();
    untrusted["iss"] = json!("https://login.stranger.example");
    let forged = {
        let keys = t.plymouth.keys.lock();
        t.plymouth
            .sign(&untrusted, &keys[0].kid, &keys[0].private_der, Some("at+jwt"))
    };
    refused(forged).await;
    // And the good one passes, so the refusals above were the checks', not the set-up's.
    app.get("/api/v1/me")
        .token(&t.plymouth.token("officer-1", json!({})))
        .send()
        .await
        .expect(200);
}

#[actix_web::test]
async fn a_councils_provider_never_acts_for_another_partnership_and_strangers_get_no_account() {
    let t = tenants(json!({})).await;
    let app = &t.cycle.app;
    let manager = t.user_id(&t.cycle.manager).await;
    let reviewer = t.user_id(&t.cycle.reviewer).await;
    // Torbay's provider and the OPCC's cannot be linked to a Plymouth manager.
    let refused = t.link(manager, &t.torbay, "officer-1").await.expect(422);
    assert_eq!(refused.violations(), vec!["issuer:organisation"]);
    for (user, issuer) in [(manager, &t.opcc), (reviewer, &t.plymouth)] {
        let refused = t.link(user, issuer, "officer-2").await.expect(422);
        assert_eq!(refused.violations(), vec!["issuer:organisation"]);
    }
    t.link(reviewer, &t.opcc, "reviewer-1").await.expect(201);
    t.link(manager, &t.plymouth, "officer-1").await.expect(201);
    // One identity, one account.
    // (The reviewer is refused for the organisation before the identity is looked at.)
    let refused = t.link(reviewer, &t.plymouth, "officer-1").await.expect(422);
    assert_eq!(refused.violations(), vec!["issuer:organisation"]);
    let treasurer = t.user_id(&t.cycle.treasurer).await;
    let taken = t.link(treasurer, &t.plymouth, "officer-1").await.expect(409);
    assert_eq!(taken.body["errors"][0]["field"], "subject");
    let untrusted = app
        .post(&format!("/api/v1/users/{manager}/identities"))
        .token(&app.admin_token)
        .json(&json!({"issuer": "https://login.stranger.example", "subject": "x"}))
        .await
        .expect(422);
    assert_eq!(untrusted.violations(), vec!["issuer:trusted"]);

    // Torbay's provider vouching for the Plymouth officer's subject is someone else entirely.
    let users_before = app
        .get("/api/v1/users")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body["total"]
        .clone();
    let from_torbay = t.torbay.token("officer-1", json!({}));
    let stranger = app
        .get("/api/v1/me")
        .token(&from_torbay)
        .send()
        .await
        .expect_problem(403, "forbidden");
    assert!(
        stranger.body["detail"]
            .as_str()
            .unwrap()
            .contains("ask the fund administrator")
    );
    let unlinked = t.plymouth.token(
        "someone-new",
        json!({"email": "manager@safer-plymouth.example", "email_verified": true}),
    );
    app.get("/api/v1/me")
        .token(&unlinked)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let users_after = app
        .get("/api/v1/users")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200)
        .body["total"]
        .clone();
    assert_eq!(users_before, users_after, "nothing is created for a stranger");

    // A linked person moved to another partnership is refused by their old council's provider.
    app.call(actix_web::http::Method::PATCH, &format!("/api/v1/users/{manager}"))
        .token(&app.admin_token)
        .header("If-Match", "*")
        .json(&json!({"partnership_id": 2}))
        .await
        .expect(200);
    app.get("/api/v1/me")
        .token(&t.plymouth.token("officer-1", json!({})))
        .send()
        .await
        .expect_problem(403, "forbidden");

    // Unlinked: the provider's tokens no longer reach the account.
    let identities = app
        .get(&format!("/api/v1/users/{reviewer}/identities"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    let identity = identities.body[0]["id"].as_i64().unwrap();
    let reviewer_token = t.opcc.token("reviewer-1", json!({}));
    app.get("/api/v1/me").token(&reviewer_token).send().await.expect(200);
    app.call(
        actix_web::http::Method::DELETE,
        &format!("/api/v1/users/{reviewer}/identities/{identity}"),
    )
    .token(&app.admin_token)
    .send()
    .await
    .expect(204);
    app.get("/api/v1/me")
        .token(&reviewer_token)
        .send()
        .await
        .expect_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_first_sign_in_links_by_a_verified_address_where_the_issuer_allows_it() {
    let t = tenants(json!({"link_by_email": true})).await;
    let app = &t.cycle.app;
    let unverified = t.plymouth.token(
        "new-officer",
        json!({"email": "manager@safer-plymouth.example", "email_verified": false}),
    );
    app.get("/api/v1/me")
        .token(&unverified)
        .send()
        .await
        .expect_problem(403, "forbidden");
    // Another organisation's account is never taken by its address.
    let reviewer = t.plymouth.token(
        "new-officer",
        json!({"email": "reviewer@opcc.example", "email_verified": true}),
    );
    app.get("/api/v1/me")
        .token(&reviewer)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let verified = t.plymouth.token(
        "new-officer",
        json!({"email": "Manager@Safer-Plymouth.example", "email_verified": true}),
    );
    let me = app.get("/api/v1/me").token(&verified).send().await.expect(200);
    assert_eq!(me.body["user"]["email"], "manager@safer-plymouth.example");
    // Linked now: later tokens need no address, and a second person with the same address is
    // not let in.
    app.get("/api/v1/me")
        .token(&t.plymouth.token("new-officer", json!({})))
        .send()
        .await
        .expect(200);
    let impostor = t.plymouth.token(
        "impostor",
        json!({"email": "manager@safer-plymouth.example", "email_verified": true}),
    );
    app.get("/api/v1/me")
        .token(&impostor)
        .send()
        .await
        .expect_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_key_rotation_needs_no_restart_and_random_key_ids_do_not_hammer_the_provider() {
    let t = officer_linked(json!({})).await;
    t.me(&t.plymouth.token("officer-1", json!({}))).await.expect(200);
    assert_eq!(t.plymouth.fetches(), 1);
    // Keys fetched are kept (for an hour): a later token with a known key fetches nothing.
    after_the_refetch_interval().await;
    t.me(&t.plymouth.token("officer-1", json!({}))).await.expect(200);
    assert_eq!(t.plymouth.fetches(), 1);

    // A flood of tokens naming made-up keys: at most one fetch per refetch interval (1 s here).
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": t.plymouth.url, "aud": AUDIENCE, "sub": "officer-1", "iat": now, "exp": now + 300});
    let stranger = IssuerKey::generate("unused");
    let started = std::time::Instant::now();
    for _ in 0..60 {
        let kid = uuid::Uuid::new_v4().to_string();
        let token = t.plymouth.sign(&claims, &kid, &stranger.private_der, Some("at+jwt"));
        t.me(&token).await.expect(401);
    }
    let allowed = 1 + started.elapsed().as_secs() as usize + 1;
    assert!(
        t.plymouth.fetches() <= allowed,
        "{} fetches for 60 tokens in {:?}",
        t.plymouth.fetches(),
        started.elapsed()
    );

    // The provider rotates its key: the new one is fetched on its first token, from a key set of
    // several kilobytes (Microsoft Entra ID's, with its upcoming keys and certificates, is larger).
    t.plymouth.rotate("key-2", 40);
    after_the_refetch_interval().await;
    t.me(&t.plymouth.token("officer-1", json!({}))).await.expect(200);
}

#[actix_web::test]
async fn a_key_is_used_only_with_the_algorithm_its_key_set_declares() {
    let t = officer_linked(json!({})).await;
    let mislabelled = IssuerKey {
        alg: "ES256",
        ..IssuerKey::generate("mislabelled")
    };
    let der = mislabelled.private_der.clone();
    t.plymouth.keys.lock().push(mislabelled);
    let claims = claims_now(&t.plymouth);
    // Signed by the key, with EdDSA, but the key set says the key is for ES256.
    let token = t.plymouth.sign(&claims, "mislabelled", &der, Some("at+jwt"));
    t.me(&token).await.expect(401);
}

/// The most a provider's discovery document or key set may hold before it is not believed.
const KEY_SET_CAP: usize = 256 * 1024;

#[actix_web::test]
async fn a_key_set_up_to_the_cap_is_read_and_a_larger_one_is_not_believed() {
    let t = officer_linked(json!({})).await;
    t.plymouth.pad_key_set_to(KEY_SET_CAP);
    t.me(&t.plymouth.token("officer-1", json!({}))).await.expect(200);
    // One byte more, after a rotation (its new key is fetched on its first token).
    t.plymouth.pad_key_set_to(KEY_SET_CAP + 1);
    t.plymouth.rotate("key-2", 0);
    after_the_refetch_interval().await;
    t.me(&t.plymouth.token("officer-1", json!({}))).await.expect(401);
}

#[actix_web::test]
async fn a_token_without_a_key_id_is_checked_with_the_only_key_and_never_guessed_among_several() {
    let t = officer_linked(json!({})).await;
    let claims = claims_now(&t.plymouth);
    let without_kid = |t: &Tenants| {
        let keys = t.plymouth.keys.lock();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&keys[0].private_der)).unwrap()
    };
    t.me(&without_kid(&t)).await.expect(200);
    // With a second key published (and fetched for the first token naming it), none is guessed,
    // even where either would do: here the provider publishes its key under a second id too.
    let der = {
        let mut keys = t.plymouth.keys.lock();
        let alias = IssuerKey {
            kid: "key-1-again".into(),
            private_der: keys[0].private_der.clone(),
            public: keys[0].public,
            alg: "EdDSA",
        };
        keys.push(alias);
        keys[0].private_der.clone()
    };
    after_the_refetch_interval().await;
    let naming_the_second = t.plymouth.sign(&claims, "key-1-again", &der, Some("at+jwt"));
    t.me(&naming_the_second).await.expect(200);
    t.me(&without_kid(&t)).await.expect(401);
}

/// The plan's submission is the manager's declaration: it needs a recent sign-in.
#[actix_web::test]
async fn a_declaration_needs_a_fresh_sign_in_and_the_signature_records_it() {
    let t = officer_linked(json!({"signing_max_age": 300})).await;
    let app = &t.cycle.app;
    let now = chrono::Utc::now().timestamp();
    let stale = t.plymouth.token("officer-1", json!({"auth_time": now - 3_600}));
    let plan = t
        .cycle
        .plan("plymouth-2017-18-plan", t.cycle.plymouth_2017, &stale)
        .await;
    let path = format!("/api/v1/plans/{plan}");

    let challenged = t.cycle.act(&path, "submit", &stale, json!({})).await;
    let challenged = challenged.expect_problem(401, "unauthorized");
    let challenge = challenged.header("www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\""),
        "{challenge}"
    );
    assert!(challenge.contains("max_age=\"300\""), "{challenge}");
    // No auth_time at all is no proof of a recent sign-in either.
    let timeless = t.plymouth.token("officer-1", json!({"auth_time": null}));
    t.cycle.act(&path, "submit", &timeless, json!({})).await.expect(401);
    // A password means nothing for someone who signs in at their provider.
    let fresh = t.plymouth.token(
        "officer-1",
        json!({"auth_time": now - 5, "amr": ["pwd", "mfa"], "acr": "urn:council:mfa"}),
    );
    let with_password = t
        .cycle
        .act(&path, "submit", &fresh, json!({"password": PASSWORD}))
        .await
        .expect(422);
    assert_eq!(with_password.violations(), vec!["password:not_applicable"]);
    assert_eq!(t.cycle.version(&path).await, json!(1), "nothing was submitted");

    let submitted = t.cycle.act(&path, "submit", &fresh, json!({})).await.expect(200);
    assert_eq!(submitted.body["status"], "submitted");
    let signatures = app
        .get(&format!("{path}/signatures"))
        .token(&fresh)
        .send()
        .await
        .expect(200);
    let signature = &signatures.body[0];
    assert_eq!(signature["printed_name"], "manager@safer-plymouth.example");
    assert_eq!(signature["sign_in"]["issuer"], t.plymouth.url.as_str());
    assert_eq!(signature["sign_in"]["subject"], "officer-1");
    assert_eq!(signature["sign_in"]["auth_time"], now - 5);
    assert_eq!(signature["sign_in"]["amr"], json!(["pwd", "mfa"]));
    assert_eq!(signature["sign_in"]["acr"], "urn:council:mfa");
    // The service's attestation covers the sign-in, and verifies with its published key.
    let attestation = &signature["attestation"];
    let message: Value = serde_json::from_str(attestation["message"].as_str().unwrap()).unwrap();
    assert_eq!(message["sign_in"], signature["sign_in"]);
    assert!(
        crate::integrity::verifies_with_published_key(
            &t.cycle,
            attestation["message"].as_str().unwrap(),
            attestation["signature"].as_str().unwrap()
        )
        .await
    );
    // A password kept here still confirms as before (the treasurer has no identity linked).
    assert!(t.cycle.signature()["password"].is_string());
}

#[actix_web::test]
async fn where_the_operator_asks_for_it_a_declaration_needs_multi_factor() {
    let t = officer_linked(json!({"mfa_acr_values": ["urn:council:mfa"], "mfa_amr_values": ["mfa"]})).await;
    let now = chrono::Utc::now().timestamp();
    let password_only = t.plymouth.token("officer-1", json!({"auth_time": now, "amr": ["pwd"]}));
    let plan = t
        .cycle
        .plan("plymouth-2017-18-plan", t.cycle.plymouth_2017, &password_only)
        .await;
    let path = format!("/api/v1/plans/{plan}");
    let challenged = t
        .cycle
        .act(&path, "submit", &password_only, json!({}))
        .await
        .expect(401);
    let challenge = challenged.header("www-authenticate").unwrap();
    assert!(challenge.contains("acr_values=\"urn:council:mfa\""), "{challenge}");
    assert!(!challenge.contains("max_age"), "{challenge}");
    let with_mfa = t
        .plymouth
        .token("officer-1", json!({"auth_time": now, "amr": ["pwd", "mfa"]}));
    t.cycle.act(&path, "submit", &with_mfa, json!({})).await.expect(200);
}

#[actix_web::test]
async fn front_ends_find_the_trusted_providers_without_a_token() {
    let t = tenants(json!({"mfa_acr_values": ["urn:council:mfa"]})).await;
    let listed = t
        .cycle
        .app
        .get("/api/v1/auth/identity-providers")
        .send()
        .await
        .expect(200);
    assert_eq!(
        listed.body,
        json!([
            {"issuer": t.plymouth.url, "audience": AUDIENCE, "organisation": "partnership", "partnership_id": 1,
             "signing_max_age": 300, "mfa_acr_values": ["urn:council:mfa"]},
            {"issuer": t.torbay.url, "audience": AUDIENCE, "organisation": "partnership", "partnership_id": 2,
             "signing_max_age": 300, "mfa_acr_values": []},
            {"issuer": t.opcc.url, "audience": AUDIENCE, "organisation": "opcc", "partnership_id": null,
             "signing_max_age": 300, "mfa_acr_values": []},
        ])
    );
}

#[actix_web::test]
async fn without_trusted_issuers_every_provider_token_is_refused() {
    let t = crate::fixtures::cycle().await;
    let listed = t.app.get("/api/v1/auth/identity-providers").send().await.expect(200);
    assert_eq!(listed.body, json!([]));
    let issuer = TestIssuer::start().await;
    let token = issuer.token("officer-1", json!({}));
    t.app
        .get("/api/v1/me")
        .token(&token)
        .send()
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(issuer.fetches(), 0, "an untrusted issuer is never contacted");
}

#[actix_web::test]
async fn an_account_for_someone_who_signs_in_at_their_provider_needs_no_password() {
    let t = tenants(json!({})).await;
    let app = &t.cycle.app;
    let created = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(
            &json!({"email": "officer@safer-plymouth.example", "display_name": "Community Safety Officer",
                      "job_title": "Officer", "role": "csp_manager", "partnership_id": 1}),
        )
        .await
        .expect(201);
    t.link(created.id(), &t.plymouth, "officer-9").await.expect(201);
    let me = app
        .get("/api/v1/me")
        .token(&t.plymouth.token("officer-9", json!({})))
        .send()
        .await
        .expect(200);
    assert_eq!(me.body["user"]["email"], "officer@safer-plymouth.example");
    // No password of any kind signs in as them here.
    for password in [PASSWORD, "", "null"] {
        app.token_reply("officer@safer-plymouth.example", password)
            .await
            .expect_problem(401, "unauthorized");
    }
}
