//! Every route of a document, read from the served OpenAPI document, refuses another
//! partnership's object as "not found". A new route is covered without anyone listing it.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed_for};

/// Safer Plymouth's documents (an agreed commissioning paper too), each with a snapshot and signatures; an amendment waiting for
/// review; evidence; line decisions.
pub struct Objects {
    commissioning_paper: i64,
    plan: i64,
    half_year_return: i64,
    final_report: i64,
    amendment: i64,
    attachment: i64,
}

pub async fn plymouths_objects(c: &Cycle) -> Objects {
    let mut paper = crate::fixtures::seed("plymouth-integrated-commissioning-2017");
    paper["fund_years"] = json!(["2017-18"]);
    let commissioning_paper = c
        .app
        .post("/api/v1/commissioning-papers")
        .token(&c.manager)
        .json(&paper)
        .await
        .expect(201)
        .id();
    let paper_path = format!("/api/v1/commissioning-papers/{commissioning_paper}");
    c.act(
        &paper_path,
        "table",
        &c.manager,
        json!({"board": "Safer Plymouth", "meeting_on": "2017-01-24"}),
    )
    .await
    .expect(200);
    c.act(&paper_path, "agree", &c.manager, json!({"decided_on": "2017-01-24"}))
        .await
        .expect(200);
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let plan_path = format!("/api/v1/plans/{plan}");
    c.act(&plan_path, "submit", &c.manager, c.signature()).await.expect(200);
    c.act(&plan_path, "start-review", &c.reviewer, json!({}))
        .await
        .expect(200);
    let decisions: Vec<Value> = (1..=6)
        .map(|line| json!({"line": line, "decision": "approved"}))
        .collect();
    c.act(&plan_path, "decisions", &c.reviewer, json!({"decisions": decisions}))
        .await
        .expect(200);
    c.act(&plan_path, "approve", &c.reviewer, json!({})).await.expect(200);
    let mut lines = crate::fixtures::seed("plymouth-2021-22-plan")["lines"].clone();
    lines[5]["amount"] = json!("4000.00");
    let amendment = c
        .app
        .post(&format!("{plan_path}/amendments"))
        .token(&c.manager)
        .if_match(&c.version(&plan_path).await)
        .json(&json!({"reason": "Less analysis", "lines": lines, "password": crate::support::PASSWORD}))
        .await
        .expect(201)
        .id();

    let return_path = c.draft_return_2017().await;
    let attachment = c
        .app
        .post(&format!(
            "{return_path}/attachments?filename=monitoring.pdf&plan_line=1"
        ))
        .token(&c.manager)
        .raw("application/pdf", b"%PDF-1.4 monitoring".to_vec())
        .await
        .expect(201)
        .id();
    c.act(&return_path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&return_path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);

    let final_report = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-final-report", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let report_path = format!("/api/v1/final-reports/{final_report}");
    c.act(&report_path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&report_path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    Objects {
        commissioning_paper,
        plan,
        half_year_return: return_path
            .rsplit('/')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or_default(),
        final_report,
        amendment,
        attachment,
    }
}

/// The path with Plymouth's objects in it, if it names one object of a partnership.
fn concrete(path: &str, objects: &Objects) -> Option<String> {
    let id = match path.split('/').nth(3)? {
        "commissioning-papers" => objects.commissioning_paper,
        "plans" => objects.plan,
        "half-year-returns" => objects.half_year_return,
        "final-reports" => objects.final_report,
        "attachments" => objects.attachment,
        _ => return None,
    };
    if !path.contains("{id}") {
        return None;
    }
    Some(
        path.replace("{id}", &id.to_string())
            .replace("{number}", "1")
            .replace("{amendment_id}", &objects.amendment.to_string()),
    )
}

/// The target with a plausible value for each required query parameter (an upload's file name).
fn with_required_query(target: &str, op: &Value) -> String {
    let required: Vec<String> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .filter_map(|p| p["name"].as_str().map(|name| format!("{name}=evidence.pdf")))
        .collect();
    if required.is_empty() {
        target.to_owned()
    } else {
        format!("{target}?{}", required.join("&"))
    }
}

/// A request body the operation accepts in form: its schema's example, so that the answer
/// depends on whose object it is and not on the body.
fn request_body(doc: &Value, op: &Value) -> (&'static str, Vec<u8>) {
    let content = &op["requestBody"]["content"];
    if content.get("application/octet-stream").is_some() {
        return ("application/pdf", b"%PDF-1.4 evidence".to_vec());
    }
    let schema = &content["application/json"]["schema"];
    let example = schema["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .map(|name| doc["components"]["schemas"][name]["examples"][0].clone())
        .filter(|example| !example.is_null())
        .unwrap_or_else(|| json!({}));
    ("application/json", example.to_string().into_bytes())
}

#[actix_web::test]
async fn every_document_route_refuses_another_partnership() {
    let c = cycle().await;
    let objects = plymouths_objects(&c).await;
    let doc = c.app.get("/api/v1/openapi.json").send().await.expect(200).body;
    let torbay_treasurer = c
        .app
        .user("treasurer@torbay.example", "treasurer", Some(c.torbay))
        .await;
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(target) = concrete(path, &objects) else {
            continue;
        };
        for (method, op) in item.as_object().expect("a path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let target = with_required_query(&target, op);
            let (content_type, body) = request_body(&doc, op);
            if method == Method::GET {
                let own = c.app.get(&target).token(&c.manager).send().await;
                assert_eq!(own.status.as_u16(), 200, "{method} {target} for its own partnership");
            }
            for (who, token) in [
                ("Torbay's manager", &c.torbay_manager),
                ("Torbay's treasurer", &torbay_treasurer),
            ] {
                let reply = c
                    .app
                    .call(method.clone(), &target)
                    .token(token)
                    .header("if-match", "\"1\"")
                    .raw(content_type, body.clone())
                    .await;
                assert_eq!(reply.status.as_u16(), 404, "{method} {target} as {who}: {}", reply.body);
                assert_eq!(reply.body["type"], "/problems/not-found");
            }
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked.len() >= 50,
        "the spec's document routes were all tried: {checked:?}"
    );

    // Lists and the history feed: nothing of Plymouth's, even when asked for by name.
    for list in [
        format!("/api/v1/commissioning-papers?partnership_id={}", c.plymouth),
        format!("/api/v1/plans?partnership_id={}", c.plymouth),
        format!("/api/v1/half-year-returns?partnership_id={}", c.plymouth),
        format!("/api/v1/final-reports?partnership_id={}", c.plymouth),
        "/api/v1/history".to_owned(),
    ] {
        let reply = c.app.get(&list).token(&c.torbay_manager).send().await.expect(200);
        let items = reply.body["items"].as_array().expect("a page");
        assert!(
            items.iter().all(|item| item["partnership_id"] != json!(c.plymouth)),
            "{list}: {items:?}"
        );
    }
}
