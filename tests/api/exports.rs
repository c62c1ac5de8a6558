//! CSV for the office's other systems: every report and collection parsed back equals what the
//! JSON says, under the columns the OpenAPI document names, and a partnership exports only its
//! own rows.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle};
use crate::reports::year_2017_carried_through;

/// A CSV answer: its header and its records keyed by column.
struct Csv {
    header: Vec<String>,
    records: Vec<BTreeMap<String, String>>,
}

async fn csv(c: &Cycle, path: &str, token: &str) -> Csv {
    let reply = c
        .app
        .get(path)
        .token(token)
        .header("accept", "text/csv")
        .send()
        .await
        .expect(200);
    assert_eq!(reply.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert!(reply.header("content-disposition").unwrap().starts_with("attachment"));
    let text = reply.body.as_str().unwrap_or_default().to_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let records = reader
        .records()
        .map(|record| {
            header
                .iter()
                .cloned()
                .zip(record.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect();
    Csv { header, records }
}

async fn json(c: &Cycle, path: &str, token: &str) -> Value {
    c.app.get(path).token(token).send().await.expect(200).body
}

/// A JSON value as a CSV cell: text as itself (neutralised where a spreadsheet would run it as a
/// formula, such as an indicator's target "= 100 %"), null as empty, numbers and booleans as
/// written.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => cspfund::tables::neutralised(text.clone()),
        other => other.to_string(),
    }
}

/// The header the OpenAPI document gives the CSV of `path`.
async fn documented_header(c: &Cycle, path: &str) -> Vec<String> {
    let spec = c.app.get("/api/v1/openapi.json").send().await.expect(200).body;
    let example = spec["paths"][path]["get"]["responses"]["200"]["content"]["text/csv"]["example"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} documents its CSV columns"))
        .trim_end()
        .to_owned();
    example.split(',').map(str::to_owned).collect()
}

/// Each record holds exactly the cells of the JSON object beside it, for the columns they share
/// (lists, flattened in CSV, are checked on their own); `every_column` also asks the CSV to hold
/// every field of the JSON.
fn assert_same(csv: &Csv, objects: &[&Value], every_column: bool) {
    assert_eq!(csv.records.len(), objects.len());
    for (record, object) in csv.records.iter().zip(objects) {
        let fields = object.as_object().unwrap();
        if every_column {
            let mut keys: Vec<&String> = fields.keys().collect();
            let mut columns: Vec<&String> = csv.header.iter().collect();
            keys.sort();
            columns.sort();
            assert_eq!(columns, keys);
        }
        for (column, value) in record {
            if let Some(expected) = fields.get(column).filter(|v| !v.is_array()) {
                assert_eq!(value, &cell(expected), "column {column} of {object}");
            }
        }
    }
}

#[actix_web::test]
async fn every_report_as_csv_holds_exactly_its_json_rows_under_the_documented_columns() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    for name in [
        "fund-by-partnership",
        "fund-by-priority",
        "projects-by-rag",
        "projects-by-provider-status",
        "indicators",
    ] {
        let path = format!("/api/v1/reports/{name}");
        let as_json = json(&c, &path, &c.reviewer).await;
        let as_csv = csv(&c, &path, &c.reviewer).await;
        assert_eq!(as_csv.header, documented_header(&c, &path).await, "{name}");
        let rows: Vec<&Value> = as_json["rows"].as_array().unwrap().iter().collect();
        assert!(!rows.is_empty(), "{name} has rows");
        assert_same(&as_csv, &rows, true);
    }
    let report = csv(&c, "/api/v1/reports/fund-by-partnership?fund_year=2017-18", &c.reviewer).await;
    assert_eq!(report.records[0]["available"], "428246.00");
    assert_eq!(report.records[0]["unspent_decision"], "");

    let preferred_json = c
        .app
        .get("/api/v1/reports/fund-by-partnership")
        .token(&c.reviewer)
        .header("accept", "text/csv;q=0.5, application/json")
        .send()
        .await
        .expect(200);
    assert!(preferred_json.body["rows"].is_array());
}

#[actix_web::test]
async fn each_collection_exports_what_its_documents_show() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let finance = c.app.login("finance@opcc.example", crate::support::PASSWORD).await;

    let path = "/api/v1/exports/plan-lines?fund_year=2017-18";
    let lines = csv(&c, path, &finance).await;
    assert_eq!(lines.header, documented_header(&c, "/api/v1/exports/plan-lines").await);
    let plans = json(&c, "/api/v1/plans?fund_year=2017-18", &finance).await;
    let plan = json(&c, &format!("/api/v1/plans/{}", plans["items"][0]["id"]), &finance).await;
    let plan_lines: Vec<&Value> = plan["lines"].as_array().unwrap().iter().collect();
    assert_same(&lines, &plan_lines, false);
    assert_eq!(lines.records[2]["priorities"], "2;3;4");
    assert_eq!(lines.records[2]["plan_status"], "approved");

    let projects = csv(&c, "/api/v1/exports/half-year-projects", &finance).await;
    assert_eq!(
        projects.header,
        documented_header(&c, "/api/v1/exports/half-year-projects").await
    );
    let returns = json(&c, "/api/v1/half-year-returns?fund_year=2017-18", &finance).await;
    let claim = json(
        &c,
        &format!("/api/v1/half-year-returns/{}", returns["items"][0]["id"]),
        &finance,
    )
    .await;
    let return_projects: Vec<&Value> = claim["projects"].as_array().unwrap().iter().collect();
    assert_same(&projects, &return_projects, false);
    assert_eq!(projects.records[7]["letter"], "H");
    assert_eq!(projects.records[5]["expenditure_to_date"], "1330.06");

    let report_lines = csv(&c, "/api/v1/exports/final-report-lines", &finance).await;
    assert_eq!(
        report_lines.header,
        documented_header(&c, "/api/v1/exports/final-report-lines").await
    );
    let reports = json(&c, "/api/v1/final-reports", &finance).await;
    let report = json(
        &c,
        &format!("/api/v1/final-reports/{}", reports["items"][0]["id"]),
        &finance,
    )
    .await;
    let final_lines: Vec<&Value> = report["lines"].as_array().unwrap().iter().collect();
    assert_same(&report_lines, &final_lines, false);
    assert_eq!(report_lines.records[5]["virements_in"], "440.00");

    let payments = csv(&c, "/api/v1/exports/payments", &finance).await;
    assert_eq!(payments.header, documented_header(&c, "/api/v1/exports/payments").await);
    let listed = json(&c, "/api/v1/payments", &finance).await;
    let items: Vec<&Value> = listed["items"].as_array().unwrap().iter().collect();
    assert_same(&payments, &items, true);
}

#[actix_web::test]
async fn a_partnership_exports_only_its_own_rows() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    c.plan("torbay-2021-22-plan", c.torbay_2021, &c.torbay_manager).await;
    for export in ["plan-lines", "half-year-projects", "final-report-lines", "payments"] {
        let mine = csv(&c, &format!("/api/v1/exports/{export}"), &c.torbay_manager).await;
        assert!(
            mine.records.iter().all(|r| r["partnership_id"] == c.torbay.to_string()),
            "{export}"
        );
        let theirs = csv(
            &c,
            &format!("/api/v1/exports/{export}?partnership_id={}", c.plymouth),
            &c.torbay_manager,
        )
        .await;
        assert!(theirs.records.is_empty(), "{export}");
    }
    let torbay_lines = csv(&c, "/api/v1/exports/plan-lines", &c.torbay_manager).await;
    assert!(!torbay_lines.records.is_empty());
    let plymouth = csv(&c, "/api/v1/reports/fund-by-partnership", &c.manager).await;
    assert!(plymouth.records.iter().all(|r| r["partnership"] == "Safer Plymouth"));
}

#[actix_web::test]
async fn an_export_longer_than_a_chunk_arrives_whole_and_in_order() {
    let c = cycle().await;
    year_2017_carried_through(&c).await;
    let finance = c.app.login("finance@opcc.example", crate::support::PASSWORD).await;
    let returns = json(&c, "/api/v1/half-year-returns?fund_year=2017-18", &finance).await;
    let path = format!("/api/v1/half-year-returns/{}/payments", returns["items"][0]["id"]);
    for n in 0..520 {
        c.app
            .post(&path)
            .token(&finance)
            .json(&json!({"amount": "1.00", "paid_on": "2017-12-15", "remittance_reference": format!("BACS {n}")}))
            .await
            .expect(201);
    }
    let payments = csv(&c, "/api/v1/exports/payments", &finance).await;
    assert_eq!(payments.records.len(), 521);
    let ids: Vec<i64> = payments.records.iter().map(|r| r["id"].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(payments.records[520]["remittance_reference"], "BACS 519");
}

#[actix_web::test]
async fn text_that_would_run_as_a_formula_is_neutralised_and_a_byte_order_mark_is_offered() {
    let c = cycle().await;
    let mut plan = crate::fixtures::seed_for("plymouth-2017-18-plan", c.plymouth_2017);
    plan["lines"][0]["title"] = json!("=HYPERLINK(\"http://evil.example\",\"Refuge\")");
    plan["lines"][0]["provider"] = json!("@SUM(1+1)*cmd|' /C calc'!A0");
    plan["lines"][1]["provider"] = json!("Café Ysgol - Plymouth");
    c.app
        .post("/api/v1/plans")
        .token(&c.manager)
        .json(&plan)
        .await
        .expect(201);
    let exported = csv(&c, "/api/v1/exports/plan-lines", &c.reviewer).await;
    let first = &exported.records[0];
    assert_eq!(first["title"], "'=HYPERLINK(\"http://evil.example\",\"Refuge\")");
    assert_eq!(first["provider"], "'@SUM(1+1)*cmd|' /C calc'!A0");
    assert_eq!(first["amount"], "160200.00", "money stays a number");
    assert_eq!(exported.records[1]["provider"], "Café Ysgol - Plymouth");

    let plain = c
        .app
        .get("/api/v1/exports/plan-lines")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200);
    assert!(plain.body.as_str().unwrap().starts_with("plan_id,"));
    for path in [
        "/api/v1/exports/plan-lines?bom=true",
        "/api/v1/reports/fund-by-partnership?bom=true",
    ] {
        let marked = c
            .app
            .get(path)
            .token(&c.reviewer)
            .header("accept", "text/csv")
            .send()
            .await
            .expect(200);
        let text = marked.body.as_str().unwrap();
        assert!(text.starts_with('\u{feff}'), "{path}: a UTF-8 byte-order mark first");
    }
}

#[actix_web::test]
async fn a_browser_front_end_may_read_the_file_name_the_replay_mark_and_allow() {
    let app = crate::support::TestApp::spawn_with(crate::support::Options {
        flags: vec!["--cors-origins".into(), "https://grants.example.gov.uk".into()],
        ..Default::default()
    })
    .await;
    let reply = app
        .get("/api/v1/exports/payments")
        .token(&app.admin_token)
        .header("origin", "https://grants.example.gov.uk")
        .send()
        .await
        .expect(200);
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "content-disposition",
        "idempotent-replayed",
        "allow",
        "etag",
        "location",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
}

/// CORS: a listed front end's preflight is answered with the methods and headers it needs
/// (If-Match, Idempotency-Key, Authorization); another origin gets no CORS headers, so its
/// browser refuses to hand it the answer.
#[actix_web::test]
async fn only_the_listed_front_ends_may_call_from_a_browser() {
    let app = crate::support::TestApp::spawn_with(crate::support::Options {
        flags: vec!["--cors-origins".into(), "https://grants.example.gov.uk".into()],
        ..Default::default()
    })
    .await;
    let preflight = app
        .call(actix_web::http::Method::OPTIONS, "/api/v1/plans/1/submit")
        .header("origin", "https://grants.example.gov.uk")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, if-match, idempotency-key, content-type",
        )
        .send()
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("https://grants.example.gov.uk")
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["authorization", "if-match", "idempotency-key", "content-type"] {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap_or_default()
            .contains("POST")
    );

    let stranger = app
        .get("/api/v1/me")
        .token(&app.admin_token)
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert!(
        stranger.header("access-control-allow-origin").is_none(),
        "{:?}",
        stranger.headers
    );
    let stranger_preflight = app
        .call(actix_web::http::Method::OPTIONS, "/api/v1/me")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert!(stranger_preflight.header("access-control-allow-origin").is_none());
}
