//! Evidence files: upload, list, download, limits and scoping.

use actix_web::http::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::fixtures::{cycle, seed_for};
use crate::support::Options;

const FORM: &[u8] = b"%PDF-1.4 Trauma Informed Evaluation Form";

#[actix_web::test]
async fn evidence_is_attached_listed_and_downloaded_intact() {
    let c = cycle().await;
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let uploaded = c
        .app
        .post(&format!(
            "/api/v1/plans/{plan}/attachments?filename=Trauma%20Informed%20Evaluation%20Form.pdf&plan_line=4"
        ))
        .token(&c.manager)
        .raw("application/pdf", FORM)
        .await
        .expect(201);
    let id = uploaded.id();
    assert_eq!(uploaded.body["plan_line"], 4);
    assert_eq!(uploaded.body["size_bytes"], FORM.len());
    assert_eq!(uploaded.body["sha256"], hex::encode(Sha256::digest(FORM)));
    assert_eq!(uploaded.body["document_kind"], "plan");

    let listed = c
        .app
        .get(&format!("/api/v1/plans/{plan}/attachments"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200);
    assert_eq!(
        listed.body["items"][0]["filename"],
        "Trauma Informed Evaluation Form.pdf"
    );

    let download = c
        .app
        .get(&format!("/api/v1/attachments/{id}/content"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200);
    assert_eq!(download.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(
        download.header("etag"),
        Some(format!("\"{}\"", hex::encode(Sha256::digest(FORM))))
    );
    assert_eq!(download.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment"))
    );
    assert_eq!(download.body, json!(String::from_utf8_lossy(FORM)));

    // Another partnership cannot see it; a failed upload leaves what is stored untouched.
    c.app
        .get(&format!("/api/v1/attachments/{id}"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(404);
    c.app
        .get(&format!("/api/v1/attachments/{id}/content"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(404);
    c.app
        .get(&format!("/api/v1/plans/{plan}/attachments"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(404);
    let bad_line = c
        .app
        .post(&format!("/api/v1/plans/{plan}/attachments?filename=x.pdf&plan_line=9"))
        .token(&c.manager)
        .raw("application/pdf", b"other".to_vec())
        .await
        .expect_problem(422, "validation");
    assert_eq!(bad_line.violations(), ["plan_line:not_in_plan"]);
    let listed = c
        .app
        .get(&format!("/api/v1/plans/{plan}/attachments"))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    c.app
        .get(&format!("/api/v1/attachments/{id}/content"))
        .token(&c.manager)
        .send()
        .await
        .expect(200);

    c.app
        .call(Method::DELETE, &format!("/api/v1/attachments/{id}"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(403);
    c.app
        .call(Method::DELETE, &format!("/api/v1/attachments/{id}"))
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(404);
    c.app
        .call(Method::DELETE, &format!("/api/v1/attachments/{id}"))
        .token(&c.manager)
        .send()
        .await
        .expect(204);
    c.app
        .get(&format!("/api/v1/attachments/{id}"))
        .token(&c.manager)
        .send()
        .await
        .expect(404);
}

#[actix_web::test]
async fn evidence_attaches_to_returns_and_reports_too() {
    let c = cycle().await;
    c.plan("plymouth-2017-18-plan", c.plymouth_2017, &c.manager).await;
    let report = c
        .app
        .post("/api/v1/final-reports")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-final-report", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    let half = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017))
        .await
        .expect(201)
        .id();
    for path in [
        format!("/api/v1/final-reports/{report}"),
        format!("/api/v1/half-year-returns/{half}"),
    ] {
        c.app
            .post(&format!("{path}/attachments?filename=DOMES%20Q3.csv&plan_line=3"))
            .token(&c.manager)
            .raw("text/csv", b"measure,plymouth,national\nopiate,25,21.9\n".to_vec())
            .await
            .expect(201);
        let listed = c
            .app
            .get(&format!("{path}/attachments"))
            .token(&c.reviewer)
            .send()
            .await
            .expect(200);
        assert_eq!(listed.body["items"][0]["plan_line"], 3);
    }
}

#[actix_web::test]
async fn uploads_are_limited_in_type_size_and_name() {
    let c = crate::fixtures::cycle_with(Options {
        flags: vec!["--attachment-max-bytes".into(), "64".into()],
        ..Options::default()
    })
    .await;
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let post = |query: &str| {
        c.app
            .post(&format!("/api/v1/plans/{plan}/attachments?{query}"))
            .token(&c.manager)
    };
    post("filename=a.html")
        .raw("text/html", b"<script>".to_vec())
        .await
        .expect_problem(415, "unsupported-media-type");
    post("filename=a.pdf")
        .raw("application/pdf", vec![b'x'; 65])
        .await
        .expect_problem(413, "payload-too-large");
    post("filename=a.pdf")
        .raw("application/pdf", Vec::new())
        .await
        .expect_problem(422, "validation");
    let folder = post("filename=..%2Fetc%2Fpasswd")
        .raw("text/plain", b"x".to_vec())
        .await
        .expect_problem(422, "validation");
    assert_eq!(folder.violations(), ["filename:filename"]);
    let missing = post("")
        .raw("application/pdf", b"x".to_vec())
        .await
        .expect_problem(422, "validation");
    assert_eq!(missing.violations(), ["filename:required"]);
    post("filename=a.pdf")
        .raw("application/pdf; charset=binary", vec![b'x'; 64])
        .await
        .expect(201);
    c.app
        .post(&format!("/api/v1/plans/{plan}/attachments?filename=a.pdf"))
        .token(&c.treasurer)
        .raw("application/pdf", b"x".to_vec())
        .await
        .expect_problem(403, "forbidden");
    c.app
        .post(&format!("/api/v1/plans/{plan}/attachments?filename=a.pdf"))
        .token(&c.torbay_manager)
        .raw("application/pdf", b"x".to_vec())
        .await
        .expect_problem(404, "not-found");
}

#[actix_web::test]
async fn a_generic_upload_takes_its_type_from_the_file_name() {
    let c = cycle().await;
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let upload = |filename: &str| {
        c.app
            .post(&format!("/api/v1/plans/{plan}/attachments?filename={filename}"))
            .token(&c.manager)
    };
    let sheet = upload("Outcomes.XLSX")
        .raw("application/octet-stream", b"PK spreadsheet".to_vec())
        .await
        .expect(201);
    assert_eq!(
        sheet.body["content_type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let download = c
        .app
        .get(&format!("/api/v1/attachments/{}/content", sheet.id()))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(
        download.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    for unknown in ["notes", "script.exe"] {
        upload(unknown)
            .raw("application/octet-stream", b"bytes".to_vec())
            .await
            .expect_problem(415, "unsupported-media-type");
    }
    // An empty cursor is the first page, as an absent one.
    let listed = c
        .app
        .get(&format!("/api/v1/plans/{plan}/attachments?cursor="))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn evidence_kept_in_the_database_is_read_through_any_instance() {
    let in_database = || vec!["--attachment-storage".into(), "database".into()];
    let c = crate::fixtures::cycle_with(Options {
        flags: in_database(),
        ..Options::default()
    })
    .await;
    // Another instance, with its own (empty) data directory, on the same database.
    let beside = crate::support::TestApp::spawn_with(Options {
        flags: in_database(),
        database_url: Some(c.app.database_url.clone()),
        ..Options::default()
    })
    .await;
    let plan = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let id = c
        .app
        .post(&format!("/api/v1/plans/{plan}/attachments?filename=form.pdf"))
        .token(&c.manager)
        .raw("application/pdf", FORM)
        .await
        .expect(201)
        .id();
    let again = beside
        .post(&format!("/api/v1/plans/{plan}/attachments?filename=copy.pdf"))
        .token(&c.manager)
        .raw("application/pdf", FORM)
        .await
        .expect(201);
    assert_eq!(
        again.body["sha256"],
        hex::encode(Sha256::digest(FORM)),
        "stored once, shared"
    );
    let downloaded = beside
        .get(&format!("/api/v1/attachments/{id}/content"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200);
    assert_eq!(downloaded.body, json!(String::from_utf8_lossy(FORM)));
}

/// Evidence is part of what a signer vouches for: once signed, it can be neither added nor
/// removed, and evidence changed behind the service's back voids the signatures.
#[actix_web::test]
async fn signed_evidence_is_fixed_and_changed_evidence_voids_the_signature() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    let upload = |token: String| {
        let target = format!("{path}/attachments?filename=DOMES%20Q3.csv&plan_line=3");
        let app = &c.app;
        async move {
            app.post(&target)
                .token(&token)
                .raw("text/csv", b"measure,plymouth,national\nopiate,25,21.9\n".to_vec())
                .await
        }
    };
    let evidence = upload(c.manager.clone()).await.expect(201).id();
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    let signatures = c.signatures(&path, &c.manager).await;
    assert_eq!(signatures[0]["valid"], true);

    upload(c.manager.clone()).await.expect_problem(409, "conflict");
    c.app
        .call(Method::DELETE, &format!("/api/v1/attachments/{evidence}"))
        .token(&c.manager)
        .send()
        .await
        .expect_problem(409, "conflict");
    let listed = c
        .app
        .get(&format!("{path}/attachments"))
        .token(&c.manager)
        .send()
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));

    // The stored file's fingerprint altered in the database: the signature no longer holds,
    // and says the evidence is what changed.
    c.app
        .execute_sql(&format!(
            "UPDATE attachments SET sha256 = '{}' WHERE id = {evidence}",
            "0".repeat(64)
        ))
        .expect("tamper");
    let signatures = c.signatures(&path, &c.manager).await;
    assert_eq!(signatures[0]["valid"], false);
    let changed = signatures[0]["changed_fields"].as_array().expect("changed fields");
    assert!(
        !changed.is_empty()
            && changed
                .iter()
                .all(|f| f.as_str().is_some_and(|f| f.starts_with("attachments"))),
        "{changed:?}"
    );
}
