//! The forms people file: a plan and its versions as PDF/A records. What the text of a record
//! says is read by poppler's `pdftotext` in `tests/records/check.py` (CI installs it); here, what
//! needs no outside program: the answer, its archival identity, its stability, its scope.

use serde_json::Value;

use crate::fixtures::{Cycle, cycle};
use crate::support::Reply;

async fn as_pdf(c: &Cycle, path: &str, token: &str) -> Reply {
    c.app
        .get(path)
        .token(token)
        .header("accept", "application/pdf")
        .send()
        .await
}

/// The XMP metadata packet of a PDF (written uncompressed, as PDF/A readers expect).
fn xmp(pdf: &[u8]) -> String {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("<x:xmpmeta").expect("an XMP packet");
    let end = text[start..].find("</x:xmpmeta>").expect("the packet's end") + start;
    text[start..end].to_owned()
}

#[actix_web::test]
async fn a_plan_and_each_of_its_versions_render_as_stable_pdf_a_records_of_their_content() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");

    let draft = as_pdf(&c, &path, &c.manager).await.expect(200);
    assert_eq!(draft.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(
        draft.header("content-disposition").as_deref(),
        Some(format!("inline; filename=\"plan-{id}.pdf\"").as_str())
    );
    assert!(draft.bytes.starts_with(b"%PDF-"));
    let metadata = xmp(&draft.bytes);
    assert!(metadata.contains("<pdfaid:part>2</pdfaid:part>"), "{metadata}");
    assert!(
        metadata.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{metadata}"
    );
    assert!(
        metadata.contains("Safer Plymouth – Spending Intentions Plan 2021-22"),
        "{metadata}"
    );
    // The draft as it reads now, named by the SHA-256 of that content.
    let read: Value = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(read["status"], "draft");
    let again = as_pdf(&c, &path, &c.manager).await.expect(200);
    assert_eq!(again.bytes, draft.bytes, "the same content renders to the same bytes");

    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    let versions = c
        .app
        .get(&format!("{path}/versions"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let submitted = versions["items"].as_array().unwrap().last().unwrap().clone();
    let version_path = format!("{path}/versions/{}", submitted["number"]);
    let record = as_pdf(&c, &version_path, &c.reviewer).await.expect(200);
    let metadata = xmp(&record.bytes);
    let sha = submitted["content_sha256"].as_str().unwrap();
    assert!(metadata.contains(&format!("content-sha256:{sha}")), "{metadata}");
    assert_ne!(record.bytes, draft.bytes);
    for _ in 0..2 {
        let again = as_pdf(&c, &version_path, &c.manager).await.expect(200);
        assert_eq!(again.bytes, record.bytes);
    }
    // JSON stays as it was, and is what a client gets without asking for a PDF.
    let json = c.app.get(&version_path).token(&c.reviewer).send().await.expect(200);
    assert_eq!(json.body["content_sha256"], sha);

    // Another partnership's record is as missing as its plan.
    for other in [&path, &version_path] {
        as_pdf(&c, other, &c.torbay_manager)
            .await
            .expect_problem(404, "not-found");
    }
}
