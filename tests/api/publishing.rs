//! Publishing the grants as 360Giving data: the admin's settings, and the package's grants to
//! partnerships and onward grants to providers. (The package is validated against the 360Giving
//! schema by tests/contract/giving.py.)

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle};
use crate::reports::year_2017_carried_through;

const SETTINGS: &str = "/api/v1/publishing";

async fn publish_settings(c: &Cycle) {
    c.app
        .call(actix_web::http::Method::PUT, SETTINGS)
        .token(&c.app.admin_token)
        .json(
            &json!({"funder_name": "Office of the Police and Crime Commissioner", "funder_org_id": "GB-EXAMPLE-OPCC",
                      "grant_id_prefix": "360G-OPCC"}),
        )
        .await
        .expect(200);
}

async fn package(c: &Cycle, token: &str) -> Value {
    c.app
        .get("/api/v1/exports/360giving")
        .token(token)
        .send()
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn only_the_admin_sets_the_opccs_identifiers_and_they_are_checked() {
    let c = cycle().await;
    c.app
        .get(SETTINGS)
        .token(&c.reviewer)
        .send()
        .await
        .expect_problem(404, "not-found");
    c.app
        .get("/api/v1/exports/360giving")
        .token(&c.reviewer)
        .send()
        .await
        .expect_problem(409, "conflict");
    c.app
        .call(actix_web::http::Method::PUT, SETTINGS)
        .token(&c.reviewer)
        .json(&json!({"funder_name": "OPCC", "funder_org_id": "GB-EXAMPLE-OPCC", "grant_id_prefix": "360G-OPCC"}))
        .await
        .expect_problem(403, "forbidden");
    let refused = c
        .app
        .call(actix_web::http::Method::PUT, SETTINGS)
        .token(&c.app.admin_token)
        .json(&json!({"funder_name": " ", "funder_org_id": "OPCC", "grant_id_prefix": "OPCC"}))
        .await
        .expect_problem(422, "validation");
    assert_eq!(
        refused.violations(),
        [
            "funder_name:blank",
            "funder_org_id:org_id",
            "grant_id_prefix:grant_id_prefix"
        ]
    );
    publish_settings(&c).await;
    let settings = c
        .app
        .get(SETTINGS)
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(settings["grant_id_prefix"], "360G-OPCC");
}

#[actix_web::test]
async fn each_allocation_is_a_grant_and_each_provider_line_an_onward_grant() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    c.app
        .patch(&format!("/api/v1/partnerships/{}", c.plymouth))
        .header("if-match", "*")
        .token(&c.app.admin_token)
        .json(&json!({"org_id": "GB-LAE-PLY"}))
        .await
        .expect(200);
    publish_settings(&c).await;
    let p = package(&c, &c.reviewer).await;
    assert_eq!(p["version"], "1.4");
    assert_eq!(
        p["publisher"],
        json!({"name": "Office of the Police and Crime Commissioner", "identifier": "GB-EXAMPLE-OPCC"})
    );
    let grants = p["grants"].as_array().unwrap();
    let grant_id = format!("360G-OPCC-CSPF-A{}", c.plymouth_2017);
    let grant = grants.iter().find(|g| g["id"] == grant_id.as_str()).unwrap();
    assert_eq!(grant["amountAwarded"].as_f64(), Some(400_568.0));
    assert_eq!(grant["amountDisbursed"].as_f64(), Some(150_000.0));
    assert_eq!(grant["currency"], "GBP");
    assert_eq!(grant["regrantType"], "FRG070");
    assert_eq!(
        grant["recipientOrganization"],
        json!([{"id": "GB-LAE-PLY", "name": "Safer Plymouth Council", "department": "Safer Plymouth"}])
    );
    assert_eq!(grant["fundingOrganization"][0]["id"], "GB-EXAMPLE-OPCC");
    assert_eq!(grant["grantProgramme"][0]["code"], "CSPF-2017-18");
    assert_eq!(grant["plannedDates"][0]["startDate"], "2017-04-01T00:00:00Z");

    let onward: Vec<&Value> = grants
        .iter()
        .filter(|g| g["relatedActivity"] == json!([grant_id]))
        .collect();
    assert_eq!(onward.len(), 6, "the six lines with a provider");
    let refuge = onward[0];
    assert_eq!(refuge["id"], format!("{grant_id}-L1"));
    assert_eq!(refuge["amountAwarded"].as_f64(), Some(160_200.0));
    assert_eq!(refuge["amountDisbursed"].as_f64(), Some(160_200.0));
    assert_eq!(refuge["recipientOrganization"][0]["name"], "Sanctuary Supported Living");
    assert_eq!(
        refuge["recipientOrganization"][0]["id"],
        "360G-OPCC-PROVIDER-sanctuary-supported-living"
    );
    assert_eq!(refuge["fundingOrganization"][0]["id"], "GB-LAE-PLY");

    let torbay = grants
        .iter()
        .find(|g| g["id"] == format!("360G-OPCC-CSPF-A{}", c.torbay_2021).as_str())
        .unwrap();
    assert_eq!(
        torbay["recipientOrganization"][0]["id"],
        format!("360G-OPCC-CSP-{}", c.torbay),
        "a partnership without an org-id is named in the OPCC's prefix"
    );

    let own = package(&c, &c.torbay_manager).await;
    let own_ids: Vec<&str> = own["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(own_ids, [format!("360G-OPCC-CSPF-A{}", c.torbay_2021)]);
}

#[actix_web::test]
async fn the_settings_once_set_change_only_against_the_version_read() {
    let c = cycle().await;
    let body = json!({"funder_name": "Office of the Police and Crime Commissioner", "funder_org_id": "GB-EXAMPLE-OPCC",
                      "grant_id_prefix": "360G-OPCC"});
    let put = |if_match: Option<&'static str>| {
        let mut call = c
            .app
            .call(actix_web::http::Method::PUT, SETTINGS)
            .token(&c.app.admin_token);
        if let Some(tag) = if_match {
            call = call.header("if-match", tag);
        }
        call.json(&body)
    };
    // `*` asks for a current representation, and there is none yet.
    put(Some("*")).await.expect_problem(412, "precondition-failed");
    let first = put(None).await.expect(200);
    assert_eq!(first.header("etag").as_deref(), Some("\"1\""));
    put(None).await.expect_problem(428, "precondition-required");
    put(Some("\"2\"")).await.expect_problem(412, "precondition-failed");
    let second = put(Some("\"1\"")).await.expect(200);
    assert_eq!(second.body["version"], 2);
    let read = c.app.get(SETTINGS).token(&c.reviewer).send().await.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"2\""));
}
