//! Each role's reach, and the first security rule: nobody of one partnership sees or changes
//! anything of another.

use actix_web::http::Method;
use serde_json::json;

use crate::support::TestApp;

struct World {
    app: TestApp,
    plymouth: i64,
    torbay: i64,
    reviewer: String,
    manager: String,
    treasurer: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let torbay = app.partnership("Safer Torbay").await;
    let reviewer = app.user("reviewer@opcc.example", "opcc_reviewer", None).await;
    let manager = app
        .user("manager@safer-plymouth.example", "csp_manager", Some(plymouth))
        .await;
    let treasurer = app
        .user("treasurer@safer-plymouth.example", "treasurer", Some(plymouth))
        .await;
    World {
        app,
        plymouth,
        torbay,
        reviewer,
        manager,
        treasurer,
    }
}

#[actix_web::test]
async fn each_role_reaches_what_it_may_and_no_further() {
    let w = world().await;
    let app = &w.app;
    let rename = json!({"area": "Plymouth and district"});
    let new_partnership = json!({"name": "Safer Devon", "area": "Devon", "lead_authority": "Devon County Council"});
    let new_client = json!({"name": "x", "role": "treasurer", "partnership_id": w.plymouth});
    type Case<'a> = (&'a str, &'a str, Method, String, Option<&'a serde_json::Value>, u16);
    let cases: Vec<Case> = vec![
        (
            "admin",
            &app.admin_token,
            Method::GET,
            "/api/v1/partnerships".into(),
            None,
            200,
        ),
        (
            "admin",
            &app.admin_token,
            Method::PATCH,
            format!("/api/v1/partnerships/{}", w.plymouth),
            Some(&rename),
            200,
        ),
        (
            "admin",
            &app.admin_token,
            Method::GET,
            "/api/v1/users".into(),
            None,
            200,
        ),
        (
            "admin",
            &app.admin_token,
            Method::GET,
            "/api/v1/api-clients".into(),
            None,
            200,
        ),
        (
            "reviewer",
            &w.reviewer,
            Method::GET,
            format!("/api/v1/partnerships/{}", w.torbay),
            None,
            200,
        ),
        (
            "reviewer",
            &w.reviewer,
            Method::POST,
            "/api/v1/partnerships".into(),
            Some(&new_partnership),
            403,
        ),
        (
            "reviewer",
            &w.reviewer,
            Method::PATCH,
            format!("/api/v1/partnerships/{}", w.plymouth),
            Some(&rename),
            403,
        ),
        ("reviewer", &w.reviewer, Method::GET, "/api/v1/users".into(), None, 403),
        (
            "reviewer",
            &w.reviewer,
            Method::GET,
            "/api/v1/api-clients".into(),
            None,
            403,
        ),
        (
            "manager",
            &w.manager,
            Method::GET,
            format!("/api/v1/partnerships/{}", w.plymouth),
            None,
            200,
        ),
        (
            "manager",
            &w.manager,
            Method::PATCH,
            format!("/api/v1/partnerships/{}", w.plymouth),
            Some(&rename),
            403,
        ),
        (
            "manager",
            &w.manager,
            Method::POST,
            "/api/v1/partnerships".into(),
            Some(&new_partnership),
            403,
        ),
        ("manager", &w.manager, Method::GET, "/api/v1/users".into(), None, 403),
        ("manager", &w.manager, Method::GET, "/api/v1/users/1".into(), None, 403),
        (
            "treasurer",
            &w.treasurer,
            Method::GET,
            format!("/api/v1/partnerships/{}", w.plymouth),
            None,
            200,
        ),
        (
            "treasurer",
            &w.treasurer,
            Method::PATCH,
            format!("/api/v1/partnerships/{}", w.plymouth),
            Some(&rename),
            403,
        ),
        (
            "treasurer",
            &w.treasurer,
            Method::POST,
            "/api/v1/api-clients".into(),
            Some(&new_client),
            403,
        ),
    ];
    for (who, token, method, path, body, status) in cases {
        let call = app.call(method.clone(), &path).token(token).header("if-match", "*");
        let reply = match body {
            Some(body) => call.json(body).await,
            None => call.send().await,
        };
        assert_eq!(reply.status.as_u16(), status, "{who} {method} {path}: {}", reply.body);
        if status == 403 {
            assert_eq!(reply.body["type"], "/problems/forbidden");
        }
    }
}

#[actix_web::test]
async fn a_partnership_cannot_see_or_change_another() {
    let w = world().await;
    let app = &w.app;
    for token in [&w.manager, &w.treasurer] {
        let listed = app.get("/api/v1/partnerships").token(token).send().await.expect(200);
        let ids: Vec<i64> = listed.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["id"].as_i64())
            .collect();
        assert_eq!(ids, vec![w.plymouth]);
        // Torbay's partnership is "not found", exactly like one that does not exist.
        let other = app
            .get(&format!("/api/v1/partnerships/{}", w.torbay))
            .token(token)
            .send()
            .await
            .expect_problem(404, "not-found");
        let missing = app
            .get("/api/v1/partnerships/999999")
            .token(token)
            .send()
            .await
            .expect_problem(404, "not-found");
        assert_eq!(other.body, missing.body);
    }
    // Changing another partnership is refused by role first; nothing changes either way.
    app.patch(&format!("/api/v1/partnerships/{}", w.torbay))
        .header("if-match", "*")
        .token(&w.manager)
        .json(&json!({"name": "Hijacked"}))
        .await
        .expect(403);
    let torbay = app
        .get(&format!("/api/v1/partnerships/{}", w.torbay))
        .token(&w.reviewer)
        .send()
        .await
        .expect(200);
    assert_eq!(torbay.body["name"], "Safer Torbay");
}

#[actix_web::test]
async fn an_api_client_is_confined_to_its_partnership() {
    let w = world().await;
    let app = &w.app;
    let created = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "Torbay system", "role": "csp_manager", "partnership_id": w.torbay}))
        .await
        .expect(201);
    let token = app
        .post("/api/v1/auth/token")
        .json(&json!({"client_id": created.body["client_id"], "client_secret": created.body["client_secret"]}))
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let listed = app.get("/api/v1/partnerships").token(&token).send().await.expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["items"][0]["id"], w.torbay);
    app.get(&format!("/api/v1/partnerships/{}", w.plymouth))
        .token(&token)
        .send()
        .await
        .expect(404);
    app.get("/api/v1/users").token(&token).send().await.expect(403);
}

#[actix_web::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let w = world().await;
    let app = &w.app;
    let me = app.get("/api/v1/me").token(&w.manager).send().await.expect(200);
    let id = me.body["user"]["id"].as_i64().expect("id");
    app.patch(&format!("/api/v1/users/{id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"partnership_id": w.torbay}))
        .await
        .expect(200);
    // The token says Plymouth; the account now says Torbay: the token no longer stands.
    app.get("/api/v1/me")
        .token(&w.manager)
        .send()
        .await
        .expect_problem(401, "unauthorized");
}
