//! The admin's management of partnerships, users and API clients.

use serde_json::json;

use crate::support::{ADMIN_EMAIL, PASSWORD, TestApp};

#[actix_web::test]
async fn partnership_names_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let reply = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"name": "  safer plymouth ", "area": "x", "lead_authority": "y"}))
        .await
        .expect_problem(409, "conflict");
    assert_eq!(reply.violations(), ["name:unique"]);
    let renamed = app
        .patch(&format!("/api/v1/partnerships/{plymouth}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"lead_authority": "Plymouth City Council"}))
        .await
        .expect(200);
    assert_eq!(renamed.body["name"], "Safer Plymouth");
    assert_eq!(renamed.body["lead_authority"], "Plymouth City Council");
    let blank = app
        .post("/api/v1/partnerships")
        .token(&app.admin_token)
        .json(&json!({"name": " ", "area": "", "lead_authority": "y"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(blank.violations(), ["name:blank", "area:blank"]);
}

#[actix_web::test]
async fn users_are_checked_field_by_field_and_nothing_is_stored_from_bad_input() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let bad = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(
            &json!({"email": "not-an-email", "display_name": "", "job_title": "Manager",
                      "role": "csp_manager", "password": "short"}),
        )
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        bad.violations(),
        ["email:email", "display_name:blank", "password:min_length"]
    );

    let base =
        json!({"email": "m@safer-plymouth.example", "display_name": "M", "job_title": "Manager", "password": PASSWORD});
    let with = |extra: serde_json::Value| {
        let mut body = base.clone();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    let no_partnership = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(json!({"role": "treasurer"})))
        .await;
    assert_eq!(
        no_partnership.expect_problem(422, "validation").violations(),
        ["partnership_id:required"]
    );
    let reviewer_with_partnership = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(json!({"role": "opcc_reviewer", "partnership_id": plymouth})))
        .await;
    assert_eq!(
        reviewer_with_partnership.expect_problem(422, "validation").violations(),
        ["partnership_id:forbidden"]
    );
    let unknown_partnership = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(json!({"role": "csp_manager", "partnership_id": 424242})))
        .await;
    assert_eq!(
        unknown_partnership.expect_problem(422, "validation").violations(),
        ["partnership_id:exists"]
    );
    let unknown_role = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(json!({"role": "mayor"})))
        .await;
    assert_eq!(
        unknown_role.expect_problem(422, "validation").violations(),
        ["role:enum"]
    );

    let listed = app
        .get("/api/v1/users")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(1),
        "only the admin exists"
    );

    app.post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(json!({"role": "csp_manager", "partnership_id": plymouth})))
        .await
        .expect(201);
    let duplicate = app
        .post("/api/v1/users")
        .token(&app.admin_token)
        .json(&with(
            json!({"email": "M@Safer-Plymouth.example", "role": "csp_manager", "partnership_id": plymouth}),
        ))
        .await
        .expect_problem(409, "conflict");
    assert_eq!(duplicate.violations(), ["email:unique"]);
}

#[actix_web::test]
async fn users_page_and_filter_stably() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    for i in 0..4 {
        app.user(
            &format!("officer{i}@safer-plymouth.example"),
            "treasurer",
            Some(plymouth),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_owned();
    loop {
        let page = app.get(&path).token(&app.admin_token).send().await.expect(200);
        seen.extend(
            page.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u["email"].as_str().map(str::to_owned)),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], ADMIN_EMAIL);
    let treasurers = app
        .get(&format!("/api/v1/users?role=treasurer&partnership_id={plymouth}"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(treasurers.body["items"].as_array().map(Vec::len), Some(4));
    let bad = app
        .get("/api/v1/users?limit=0&role=mayor")
        .token(&app.admin_token)
        .send()
        .await;
    assert_eq!(bad.expect_problem(422, "validation").violations(), ["role:enum"]);
    let bad_limit = app.get("/api/v1/users?limit=1000").token(&app.admin_token).send().await;
    assert_eq!(
        bad_limit.expect_problem(422, "validation").violations(),
        ["limit:range"]
    );
    let bad_cursor = app
        .get("/api/v1/users?cursor=forged")
        .token(&app.admin_token)
        .send()
        .await;
    assert_eq!(
        bad_cursor.expect_problem(422, "validation").violations(),
        ["cursor:cursor"]
    );
}

#[actix_web::test]
async fn the_last_active_admin_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let me = app.get("/api/v1/me").token(&app.admin_token).send().await.expect(200);
    let id = me.body["user"]["id"].as_i64().expect("id");
    app.patch(&format!("/api/v1/users/{id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"active": false}))
        .await
        .expect_problem(409, "conflict");
    app.patch(&format!("/api/v1/users/{id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"role": "opcc_reviewer"}))
        .await
        .expect_problem(409, "conflict");
    app.user("second-admin@opcc.example", "admin", None).await;
    app.patch(&format!("/api/v1/users/{id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"role": "opcc_reviewer"}))
        .await
        .expect(200);
}

#[actix_web::test]
async fn an_admin_reset_password_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    app.user("reviewer@opcc.example", "opcc_reviewer", None).await;
    let users = app
        .get("/api/v1/users?role=opcc_reviewer")
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    let id = users.body["items"][0]["id"].as_i64().expect("id");
    app.patch(&format!("/api/v1/users/{id}"))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"password": "a-reset-long-password", "job_title": "Commissioning Officer"}))
        .await
        .expect(200);
    app.token_reply("reviewer@opcc.example", PASSWORD).await.expect(401);
    app.login("reviewer@opcc.example", "a-reset-long-password").await;
}

#[actix_web::test]
async fn api_clients_are_bound_to_a_partnership_role() {
    let app = TestApp::spawn().await;
    let plymouth = app.partnership("Safer Plymouth").await;
    let admin_client = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "root", "role": "admin"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(admin_client.violations(), ["role:not_allowed"]);
    let unbound = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "x", "role": "treasurer"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(unbound.violations(), ["partnership_id:required"]);
    let created = app
        .post("/api/v1/api-clients")
        .token(&app.admin_token)
        .json(&json!({"name": "Plymouth finance", "role": "treasurer", "partnership_id": plymouth}))
        .await
        .expect(201);
    let disabled = app
        .patch(&format!("/api/v1/api-clients/{}", created.id()))
        .header("if-match", "*")
        .token(&app.admin_token)
        .json(&json!({"active": false}))
        .await
        .expect(200);
    assert_eq!(disabled.body["active"], false);
    app.post("/api/v1/auth/token")
        .json(&json!({"client_id": created.body["client_id"], "client_secret": created.body["client_secret"]}))
        .await
        .expect(401);
    let listed = app
        .get(&format!("/api/v1/api-clients?partnership_id={plymouth}&active=false"))
        .token(&app.admin_token)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
}
