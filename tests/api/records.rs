//! The forms people file: a plan and its versions as PDF/A records. What the text of a record
//! says is read by poppler's `pdftotext` in `tests/records/check.py` (CI installs it); here, what
//! needs no outside program: the answer, its archival identity, its stability, its scope.

use serde_json::{Value, json};

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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[actix_web::test]
async fn a_countersigned_returns_versions_render_once_and_are_served_as_kept() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    let id = path.rsplit('/').next().unwrap().to_owned();
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    assert_eq!(
        c.version_reasons(&path, &c.reviewer).await,
        ["signed", "signed", "submitted"]
    );
    let signatures = c.signatures(&path, &c.reviewer).await;
    let signed_sha = signatures[1]["content_sha256"].as_str().unwrap().to_owned();

    // The JSON view of a version states its record's SHA-256; the record served has it.
    let submitted = format!("{path}/versions/3");
    let view = c.app.get(&submitted).token(&c.reviewer).send().await.expect(200).body;
    let stated = view["record_sha256"].as_str().expect("a record_sha256").to_owned();
    let record = as_pdf(&c, &submitted, &c.manager).await.expect(200);
    assert_eq!(sha256_hex(&record.bytes), stated);
    assert_eq!(
        record.header("content-disposition").as_deref(),
        Some(format!("inline; filename=\"half-year-return-{id}-version-3.pdf\"").as_str())
    );
    let metadata = xmp(&record.bytes);
    assert!(metadata.contains("<pdfaid:part>2</pdfaid:part>"), "{metadata}");
    assert!(
        metadata.contains("Safer Plymouth – Half Year Report Return 2017-18"),
        "{metadata}"
    );
    assert!(
        metadata.contains(&format!("content-sha256:{}", view["content_sha256"].as_str().unwrap())),
        "{metadata}"
    );
    assert!(metadata.contains("attestation-key:"), "{metadata}");
    let check_at = metadata
        .split("check-at:")
        .nth(1)
        .and_then(|rest| rest.split([',', '<']).next())
        .expect("a check-at keyword");
    assert!(
        check_at.ends_with(&format!("/api/v1/records/{}", view["content_sha256"].as_str().unwrap())),
        "{check_at}"
    );

    // The service's attestation: its published key signed the canonical JSON of the check
    // address, the content's SHA-256, what the record was made from and its purpose.
    let keyword = |name: &str| {
        metadata
            .split(&format!("{name}:"))
            .nth(1)
            .and_then(|rest| rest.split([',', '<']).next())
            .unwrap_or_default()
            .to_owned()
    };
    let message = json!({
        "purpose": "cspfund record attestation",
        "check_at": check_at,
        "content_sha256": view["content_sha256"],
        "record_of": made_from(&record.bytes).trim_start_matches("Produced from "),
    });
    let message = serde_json::to_string(&message).unwrap();
    assert!(
        crate::integrity::verifies_with_published_key(&c, &message, &keyword("attestation")).await,
        "{message}"
    );
    assert!(
        !crate::integrity::verifies_with_published_key(
            &c,
            &message.replace("version 3", "version 4"),
            &keyword("attestation")
        )
        .await
    );

    // The manager's signed version names the content both signatures cover.
    let first = as_pdf(&c, &format!("{path}/versions/1"), &c.reviewer).await.expect(200);
    assert!(xmp(&first.bytes).contains(&format!("content-sha256:{signed_sha}")));

    // A change the record shows (the grant, printed on the form) changes the record of the return
    // as it reads now, but not the kept records of its versions.
    let before = as_pdf(&c, &path, &c.manager).await.expect(200);
    c.app
        .patch(&format!("/api/v1/allocations/{}", c.plymouth_2017))
        .header("if-match", "*")
        .token(&c.app.admin_token)
        .json(&json!({"grant": "450000.00"}))
        .await
        .expect(200);
    let after = as_pdf(&c, &path, &c.manager).await.expect(200);
    assert_ne!(
        after.bytes, before.bytes,
        "the return as it reads now shows the new grant"
    );
    for version in [&submitted, &format!("{path}/versions/1")] {
        let kept = as_pdf(&c, version, &c.treasurer).await.expect(200);
        let view = c.app.get(version).token(&c.reviewer).send().await.expect(200).body;
        assert_eq!(view["record_sha256"].as_str(), Some(sha256_hex(&kept.bytes).as_str()));
    }
    let kept = as_pdf(&c, &submitted, &c.treasurer).await.expect(200);
    assert_eq!(kept.bytes, record.bytes, "a version's record is served as first kept");

    // Anyone holding the paper checks it by the SHA-256 printed on it, or by the file's own,
    // without a token: which version it is and who signed it, not the content.
    for sha in [view["content_sha256"].as_str().unwrap(), stated.as_str()] {
        let check = c
            .app
            .get(&format!("/api/v1/records/{sha}"))
            .send()
            .await
            .expect(200)
            .body;
        let versions = check["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 1, "{check}");
        assert_eq!(versions[0]["address"], submitted.as_str());
        assert_eq!(versions[0]["reason"], "submitted");
        assert_eq!(versions[0]["partnership"], "Safer Plymouth");
        assert_eq!(versions[0]["fund_year"], "2017-18");
        assert_eq!(versions[0]["record_sha256"], stated.as_str());
        let signers: Vec<&str> = versions[0]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["capacity"].as_str().unwrap())
            .collect();
        assert_eq!(signers, ["csp_manager", "treasurer"]);
        assert!(versions[0].get("content").is_none());
    }
    // The content both signatures cover was kept twice, once per signature.
    let signed = c
        .app
        .get(&format!("/api/v1/records/{}", signed_sha.to_uppercase()))
        .send()
        .await
        .expect(200)
        .body;
    let numbers: Vec<i64> = signed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(signed["versions"][0]["signatures"].as_array().map(Vec::len), Some(1));
    c.app
        .get(&format!("/api/v1/records/{}", "0".repeat(64)))
        .send()
        .await
        .expect_problem(404, "not-found");
    let malformed = c.app.get("/api/v1/records/not-a-digest").send().await;
    assert_eq!(
        malformed.expect_problem(422, "validation").violations(),
        ["sha256:format"]
    );

    // Another partnership's return and versions are as missing as ever.
    for other in [&path, &submitted] {
        as_pdf(&c, other, &c.torbay_manager)
            .await
            .expect_problem(404, "not-found");
    }
}

#[actix_web::test]
async fn the_fund_reports_render_as_papers_for_the_panel() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    for (report, title) in [
        ("fund-by-partnership", "The fund by partnership"),
        ("fund-by-priority", "The fund by Police &amp; Crime Plan priority"),
    ] {
        let address = format!("/api/v1/reports/{report}?fund_year=2017-18");
        for token in [&c.reviewer, &c.manager] {
            let paper = as_pdf(&c, &address, token).await.expect(200);
            assert_eq!(paper.header("content-type").as_deref(), Some("application/pdf"));
            assert_eq!(
                paper.header("content-disposition").as_deref(),
                Some(format!("inline; filename=\"{report}.pdf\"").as_str())
            );
            let metadata = xmp(&paper.bytes);
            assert!(metadata.contains("<pdfaid:part>2</pdfaid:part>"), "{metadata}");
            assert!(metadata.contains(title), "{metadata}");
        }
        let json = c.app.get(&address).token(&c.reviewer).send().await.expect(200);
        assert!(json.body["rows"].is_array());
    }
}

/// What a record says it was made from (its metadata's description).
fn made_from(pdf: &[u8]) -> String {
    let metadata = xmp(pdf);
    let start = metadata.find("Produced from ").expect("a description");
    let end = metadata[start..].find('<').map_or(metadata.len(), |end| start + end);
    metadata[start..end].to_owned()
}

#[actix_web::test]
async fn a_signed_versions_record_shows_the_content_signed_as_the_form_still_holds_it() {
    let c = cycle().await;
    let path = c.draft_return_2017().await;
    let version_at = |number: i32| format!("{path}/versions/{number}");

    // Signed, withdrawn and edited before any snapshot was taken: only the content signed is
    // left to show.
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "withdraw", &c.manager, json!({})).await.expect(200);
    let mut edited = crate::fixtures::seed_for("plymouth-2017-18-half-year-return", c.plymouth_2017);
    edited["invoice_reference"] = json!("SP-CSF-2017-18-H1-B");
    let version = c.version(&path).await;
    c.app
        .call(actix_web::http::Method::PUT, &path)
        .token(&c.manager)
        .header("if-match", &format!("\"{version}\""))
        .json(&edited)
        .await
        .expect(200);
    let alone = as_pdf(&c, &version_at(1), &c.reviewer).await.expect(200);
    assert_eq!(
        made_from(&alone.bytes),
        "Produced from version 1 of the half-year return: the content signed alone, as the half-year return has changed since"
    );

    // Signed again and awaiting the countersignature: the return still reads as signed.
    c.act(&path, "sign", &c.manager, c.signature()).await.expect(200);
    let awaiting = as_pdf(&c, &version_at(2), &c.reviewer).await.expect(200);
    assert_eq!(
        made_from(&awaiting.bytes),
        "Produced from version 2 of the half-year return: the content signed, laid out as the half-year return still reads"
    );

    // Countersigned: the treasurer's signed version is laid out as the submitted snapshot; the
    // manager's, kept at its first reading, stays as it was.
    c.act(&path, "countersign", &c.treasurer, c.signature())
        .await
        .expect(200);
    assert_eq!(
        c.version_reasons(&path, &c.reviewer).await,
        ["signed", "signed", "signed", "submitted"]
    );
    let countersigned = as_pdf(&c, &version_at(3), &c.reviewer).await.expect(200);
    assert_eq!(
        made_from(&countersigned.bytes),
        "Produced from version 3 of the half-year return: the content signed, laid out as version 4 (submitted) shows it"
    );
    let kept = as_pdf(&c, &version_at(2), &c.reviewer).await.expect(200);
    assert_eq!(kept.bytes, awaiting.bytes);
}
