//! What makes the service a system of record: a history nobody can quietly rewrite, retries
//! that do not duplicate, concurrent changes that cannot both win, and amendments that keep
//! every approved version.

use std::process::Command;

use serde_json::{Value, json};

use crate::fixtures::{Cycle, cycle, seed, seed_for};

async fn some_history(c: &Cycle) -> String {
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    c.act(&path, "submit", &c.manager, c.signature()).await.expect(200);
    c.act(&path, "start-review", &c.reviewer, json!({})).await.expect(200);
    path
}

fn verify_history_command(c: &Cycle) -> std::process::Output {
    verify_history_with(c, &[])
}

fn verify_history_with(c: &Cycle, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cspfund"))
        .arg("verify-history")
        .args(args)
        .env("DATABASE_URL", &c.app.database_url)
        .env("CSPFUND_JWT_SECRET", crate::support::JWT_SECRET)
        .env("CSPFUND_SIGNING_KEY", crate::support::SIGNING_KEY)
        .env("CSPFUND_DATA_DIR", std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

#[actix_web::test]
async fn the_history_chain_detects_an_entry_altered_in_the_database() {
    let c = cycle().await;
    some_history(&c).await;
    c.app
        .post("/api/v1/history/checkpoints")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200);
    let intact = verification(&c).await;
    assert_eq!(intact["intact"], true);
    assert!(
        intact["checkpoints"].as_i64() >= Some(1),
        "the one just signed: {intact}"
    );
    assert_eq!(
        intact["kept_checkpoints"], 1,
        "the one the service keeps outside the database"
    );
    let entries = intact["entries"].as_i64().expect("a count");
    assert!(
        entries >= 3,
        "reference data, the plan's creation, submission and review: {entries}"
    );
    c.app
        .get("/api/v1/history/verification")
        .token(&c.reviewer)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let output = verify_history_command(&c);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("history intact: {entries} entries")));

    // The database itself refuses to change the history...
    let refused = c
        .app
        .execute_sql("UPDATE history SET action = 'approve' WHERE action = 'submit'");
    assert!(
        refused.is_err_and(|e| e.contains("append-only")),
        "the trigger refuses the update"
    );
    let removed = c.app.execute_sql("DELETE FROM history");
    assert!(
        removed.is_err_and(|e| e.contains("append-only")),
        "the trigger refuses the deletion"
    );
    // ...so someone with database access removes the guard first, then rewrites an entry.
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        c.app
            .execute_sql("DROP TRIGGER history_no_change ON history")
            .expect("dropped");
    } else {
        c.app.execute_sql("DROP TRIGGER history_no_update").expect("dropped");
    }
    let feed = c
        .app
        .get("/api/v1/history?entity_kind=plan")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(feed["items"][1]["action"], "submit");
    let submit_id = feed["items"][1]["id"].as_i64().expect("an id");
    c.app
        .execute_sql(&format!(
            "UPDATE history SET actor_role = 'opcc_reviewer' WHERE id = {submit_id}"
        ))
        .expect("the entry is rewritten");

    let broken = verification(&c).await;
    assert_eq!(broken["intact"], false);
    assert_eq!(broken["first_broken"]["id"], submit_id);
    assert!(
        broken["first_broken"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("altered"))
    );
    let output = verify_history_command(&c);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("history broken at entry {submit_id}")),
        "{stderr}"
    );
}

/// Whether an Ed25519 signature (base64) of `message` verifies with the published key.
pub async fn verifies_with_published_key(c: &Cycle, message: &str, signature: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::Verifier;
    let published = c.app.get("/api/v1/signing-key").send().await.expect(200).body;
    assert_eq!(published["algorithm"], "Ed25519");
    let raw: [u8; 32] = STANDARD
        .decode(published["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&raw).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&STANDARD.decode(signature).unwrap()).unwrap();
    key.verify(message.as_bytes(), &signature).is_ok()
}

/// What an attacker with write access to the database does: rewrite one entry's actor and
/// recompute the hash of it and of every entry after it, so the chain checks out again.
async fn rewrite_and_rechain(c: &Cycle, target: i64) {
    rewrite_and_rechain_through(c, target, i64::MAX).await;
}

/// Like [`rewrite_and_rechain`], recomputing the hashes of the entries up to `last` only.
async fn rewrite_and_rechain_through(c: &Cycle, target: i64, last: i64) {
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    if postgres {
        c.app.execute_sql("DROP TRIGGER history_no_change ON history").unwrap();
    } else {
        c.app.execute_sql("DROP TRIGGER history_no_update").unwrap();
    }
    let feed = c
        .app
        .get("/api/v1/history?limit=200")
        .token(&c.app.admin_token)
        .send()
        .await
        .expect(200)
        .body;
    let mut previous = String::new();
    let mut statements = Vec::new();
    for entry in feed["items"].as_array().unwrap() {
        let id = entry["id"].as_i64().unwrap();
        if id < target {
            previous = entry["hash"].as_str().unwrap().to_owned();
            continue;
        }
        if id > last {
            break;
        }
        let actor = if id == target {
            "user:999"
        } else {
            entry["actor"].as_str().unwrap()
        };
        let occurred_at: chrono::DateTime<chrono::Utc> = entry["occurred_at"].as_str().unwrap().parse().unwrap();
        let content = json!({
            "occurred_at": occurred_at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "actor": actor,
            "actor_role": entry["actor_role"],
            "partnership_id": entry["partnership_id"],
            "entity_kind": entry["entity_kind"],
            "entity_id": entry["entity_id"],
            "action": entry["action"],
            "from_state": entry["from_state"],
            "to_state": entry["to_state"],
            "changed_fields": entry["changed_fields"].to_string(),
            "details": cspfund::canonical::canonical_json(&entry["details"]),
        });
        let hash = cspfund::canonical::digest(&json!({"previous_hash": previous, "entry": content}));
        statements.push(format!(
            "UPDATE history SET actor = '{actor}', previous_hash = '{previous}', hash = '{hash}' WHERE id = {id};"
        ));
        previous = hash;
    }
    c.app.execute_sql(&statements.join("\n")).unwrap();
}

/// Removes the guard on stored checkpoints, then every stored checkpoint, as an attacker with
/// write access to the database would.
fn delete_stored_checkpoints(c: &Cycle) {
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    if postgres {
        c.app
            .execute_sql("DROP TRIGGER history_checkpoints_no_change ON history_checkpoints")
            .unwrap();
    } else {
        c.app.execute_sql("DROP TRIGGER history_checkpoints_no_delete").unwrap();
    }
    c.app.execute_sql("DELETE FROM history_checkpoints").unwrap();
}

/// A checkpoint signed now, at a reviewer's request.
async fn sign_checkpoint(c: &Cycle) -> Value {
    c.app
        .post("/api/v1/history/checkpoints")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body
}

/// Signs a checkpoint now and answers the entry it covers, after which one more entry is made.
async fn checkpoint_then_more_history(c: &Cycle) -> i64 {
    let path = some_history(c).await;
    let kept = sign_checkpoint(c).await;
    c.act(
        &path,
        "request-changes",
        &c.reviewer,
        json!({"reason": "Please split line 3"}),
    )
    .await
    .expect(200);
    kept["entry_id"].as_i64().unwrap()
}

async fn verification(c: &Cycle) -> Value {
    c.app
        .get("/api/v1/history/verification")
        .token(&c.app.admin_token)
        .send()
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn the_earliest_broken_entry_is_named_even_when_found_last() {
    let c = cycle().await;
    let checkpointed = checkpoint_then_more_history(&c).await;
    // The checkpointed entry rewritten with its own hash recomputed, the rest left: the chain
    // breaks at the next entry, and the signed checkpoint, checked after the batch, at this one.
    rewrite_and_rechain_through(&c, checkpointed, checkpointed).await;
    let verified = verification(&c).await;
    assert_eq!(verified["intact"], false, "{verified}");
    assert_eq!(verified["first_broken"]["id"], checkpointed, "{verified}");
    assert!(
        verified["first_broken"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("signed checkpoint")),
        "{verified}"
    );
}

#[actix_web::test]
async fn an_entry_broken_two_ways_is_named_for_the_first_found() {
    let c = cycle().await;
    let checkpointed = checkpoint_then_more_history(&c).await;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let guards = if postgres {
        "DROP TRIGGER history_no_change ON history; \
         DROP TRIGGER history_checkpoints_no_change ON history_checkpoints;"
    } else {
        "DROP TRIGGER history_no_update; DROP TRIGGER history_checkpoints_no_update;"
    };
    c.app.execute_sql(guards).unwrap();
    // The entry altered without its hash, and its checkpoint's signature spoiled: the entry's
    // own mismatch, found first, is the one named.
    c.app
        .execute_sql(&format!(
            "UPDATE history SET actor = 'user:999' WHERE id = {checkpointed}; \
             UPDATE history_checkpoints SET signature = 'AAAA' WHERE entry_id = {checkpointed};"
        ))
        .unwrap();
    let verified = verification(&c).await;
    assert_eq!(verified["first_broken"]["id"], checkpointed, "{verified}");
    assert!(
        verified["first_broken"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("does not match its content")),
        "{verified}"
    );
}

#[actix_web::test]
async fn a_rewritten_and_rechained_history_is_caught_by_a_signed_checkpoint() {
    let c = cycle().await;
    let path = some_history(&c).await;
    // An outside system keeps the checkpoint the service signs...
    let kept = sign_checkpoint(&c).await;
    let message = kept["message"].as_str().unwrap();
    assert!(verifies_with_published_key(&c, message, kept["signature"].as_str().unwrap()).await);
    assert!(
        !verifies_with_published_key(
            &c,
            &message.replace("\"entry_id\":", "\"entry_id\":1"),
            kept["signature"].as_str().unwrap()
        )
        .await
    );
    let kept_id = kept["entry_id"].as_i64().unwrap();
    let feed = c
        .app
        .get("/api/v1/history?limit=200")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(feed["checkpoint"], kept, "the feed carries the newest checkpoint");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), feed.to_string()).unwrap();
    let kept_file = file.path().to_string_lossy().into_owned();
    let output = verify_history_with(&c, &["--checkpoint", &kept_file]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(" signed checkpoints, 1 kept checkpoints"));

    // ...the history goes on, and then someone rewrites who submitted the plan.
    c.act(
        &path,
        "request-changes",
        &c.reviewer,
        json!({"reason": "Please split line 3"}),
    )
    .await
    .expect(200);
    let submit_id = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "submit")
        .and_then(|e| e["id"].as_i64())
        .unwrap();
    assert!(submit_id < kept_id);
    rewrite_and_rechain(&c, submit_id).await;

    // The chain alone checks out, but the stored checkpoint's hash no longer matches.
    let verified = verification(&c).await;
    assert_eq!(verified["intact"], false, "{verified}");
    assert_eq!(verified["first_broken"]["id"], kept_id);

    // Removing the stored checkpoints hides it from the service's own check, but not from the
    // checkpoint kept outside.
    delete_stored_checkpoints(&c);
    let output = verify_history_command(&c);
    assert!(
        output.status.success(),
        "with nothing kept, the rewrite passes: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = verify_history_with(&c, &["--checkpoint", &kept_file]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("history broken at entry {kept_id}")) && stderr.contains("kept outside"),
        "{stderr}"
    );
    // A forged checkpoint proves nothing.
    let mut forged = kept.clone();
    forged["entry_hash"] = json!("0".repeat(64));
    std::fs::write(file.path(), forged.to_string()).unwrap();
    let output = verify_history_with(&c, &["--checkpoint", &kept_file]);
    assert!(!output.status.success(), "a forged checkpoint must fail the check");
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not verify"));

    // The entry a kept checkpoint names is deleted: the chain breaks at the next one, but the
    // deleted entry, earlier, is the one named.
    std::fs::write(file.path(), kept.to_string()).unwrap();
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        c.app.execute_sql("DROP TRIGGER history_no_delete").unwrap();
    }
    c.app
        .execute_sql(&format!("DELETE FROM history WHERE id = {kept_id}"))
        .unwrap();
    let output = verify_history_with(&c, &["--checkpoint", &kept_file]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("history broken at entry {kept_id}")) && stderr.contains("no longer in the history"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn a_signature_carries_the_service_s_attestation_over_the_exact_content_signed() {
    let c = cycle().await;
    let path = some_history(&c).await;
    let signatures = c.signatures(&path, &c.treasurer).await;
    let signature = &signatures[0];
    let attestation = &signature["attestation"];
    let message: Value = serde_json::from_str(attestation["message"].as_str().unwrap()).unwrap();
    assert_eq!(message["document_kind"], "plan");
    assert_eq!(message["content_sha256"], signature["content_sha256"]);
    assert_eq!(message["signer"], signature["signer"]);
    assert_eq!(message["capacity"], "csp_manager");
    assert!(
        verifies_with_published_key(
            &c,
            attestation["message"].as_str().unwrap(),
            attestation["signature"].as_str().unwrap()
        )
        .await
    );
    let version = c
        .app
        .get(&format!("{path}/versions/{}", signature["version"]))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(version["reason"], "signed");
    let canonical = version["canonical_content"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(canonical.as_bytes())),
        signature["content_sha256"].as_str().unwrap()
    );
}

#[actix_web::test]
async fn the_history_is_a_feed_scoped_to_the_partnership() {
    let c = cycle().await;
    some_history(&c).await;
    c.plan("torbay-2021-22-plan", c.torbay_2021, &c.torbay_manager).await;
    // Followed page by page, the feed is one unbroken chain.
    let mut entries: Vec<Value> = Vec::new();
    let mut path = "/api/v1/history?limit=2".to_owned();
    loop {
        let page = c.app.get(&path).token(&c.reviewer).send().await.expect(200).body;
        entries.extend(page["items"].as_array().into_iter().flatten().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/history?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert!(entries.len() > 4);
    assert_eq!(entries[0]["previous_hash"], cspfund::history::GENESIS);
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["previous_hash"], pair[0]["hash"]);
    }
    let torbay = c
        .app
        .get("/api/v1/history")
        .token(&c.torbay_manager)
        .send()
        .await
        .expect(200)
        .body;
    let seen = torbay["items"].as_array().cloned().unwrap_or_default();
    assert!(
        seen.iter().all(|e| e["partnership_id"] == c.torbay),
        "only Torbay's entries"
    );
    assert!(
        seen.iter()
            .any(|e| e["entity_kind"] == "plan" && e["action"] == "created")
    );
    assert!(seen.len() < entries.len());
    // Followed a page at a time, the partnership's feed gives the same entries in the same order.
    let mut followed: Vec<Value> = Vec::new();
    let mut path = "/api/v1/history?limit=1".to_owned();
    loop {
        let page = c.app.get(&path).token(&c.torbay_manager).send().await.expect(200).body;
        followed.extend(page["items"].as_array().into_iter().flatten().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/history?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(followed, seen);
}

#[actix_web::test]
async fn a_key_whose_answer_was_lost_after_its_work_committed_is_not_run_again() {
    let c = cycle().await;
    let admin = c.app.admin_token.clone();
    let body = json!({"name": "Plymouth grants system", "role": "csp_manager", "partnership_id": c.plymouth});
    let post = |key: &'static str| {
        c.app
            .post("/api/v1/api-clients")
            .token(&admin)
            .header("idempotency-key", key)
    };
    let clients = || async {
        let listed = c
            .app
            .get("/api/v1/api-clients")
            .token(&admin)
            .send()
            .await
            .expect(200)
            .body;
        listed["items"].as_array().map(Vec::len).unwrap_or(0)
    };
    post("client-attempt-1").json(&body).await.expect(201);
    // The connection drops between the work's commit and the answer being kept.
    c.app
        .execute_sql(
            "UPDATE idempotency_keys SET response_status = NULL, response_headers = NULL, response_body = NULL \
             WHERE idempotency_key = 'client-attempt-1'",
        )
        .unwrap();
    let retried = post("client-attempt-1")
        .json(&body)
        .await
        .expect_problem(409, "conflict");
    assert!(retried.body["detail"].as_str().unwrap().contains("carried out"));
    assert_eq!(clients().await, 1, "one API client, not two");

    // A first attempt that died before its work committed leaves its key free, once its claim
    // has lapsed or the instance that held it has started again; until then the key is taken.
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    digest.update(b"POST /api/v1/api-clients\napplication/json\n");
    digest.update(serde_json::to_vec(&body).unwrap());
    let digest = hex::encode(digest.finalize());
    let this_instance = c.app.state.instance_name().to_owned();
    assert!(
        c.app.base.ends_with(this_instance.rsplit(' ').next().unwrap()),
        "{this_instance}"
    );
    for (key, claimed, by) in [
        (
            "client-attempt-2",
            chrono::Duration::minutes(10),
            "another-host 10.0.0.7:8080",
        ),
        (
            "client-attempt-3",
            chrono::Duration::zero(),
            "another-host 10.0.0.7:8080",
        ),
        ("client-attempt-4", chrono::Duration::zero(), this_instance.as_str()),
    ] {
        let at = (chrono::Utc::now() - claimed).format("%Y-%m-%d %H:%M:%S");
        c.app
            .execute_sql(&format!(
                "INSERT INTO idempotency_keys (principal, idempotency_key, request_sha256, created_at, claimed_at, \
                 claimed_by) VALUES ('user:1', '{key}', '{digest}', '{at}', '{at}', '{by}')"
            ))
            .unwrap();
    }
    post("client-attempt-2").json(&body).await.expect(201);
    for key in ["client-attempt-3", "client-attempt-4"] {
        let taken = post(key).json(&body).await.expect_problem(409, "conflict");
        assert_eq!(
            taken.body["detail"],
            "a request with this Idempotency-Key is still being processed; retry shortly"
        );
    }
    assert_eq!(clients().await, 2);
    // What an instance does as it starts listening again at the same address after being killed.
    let mut conn = c.app.state.db.connection().unwrap();
    assert_eq!(
        cspfund::http::idempotency::release_claims_of(&mut conn, &this_instance).unwrap(),
        1
    );
    post("client-attempt-4").json(&body).await.expect(201);
    let still = post("client-attempt-3")
        .json(&body)
        .await
        .expect_problem(409, "conflict");
    assert!(still.body["detail"].as_str().unwrap().contains("still being processed"));
    assert_eq!(clients().await, 3);
}

#[actix_web::test]
async fn a_retried_request_with_the_same_idempotency_key_is_answered_once() {
    let c = cycle().await;
    let body = seed_for("plymouth-2021-22-plan", c.plymouth_2021);
    let post = || {
        c.app
            .post("/api/v1/plans")
            .token(&c.manager)
            .header("idempotency-key", "plan-2021-22-attempt-1")
    };
    let first = post().json(&body).await.expect(201);
    let retry = post().json(&body).await.expect(201);
    assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    let plans = c
        .app
        .get("/api/v1/plans")
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(plans["items"].as_array().map(Vec::len), Some(1), "one plan, not two");

    let mut different = body.clone();
    different["lines"][0]["amount"] = json!("1.00");
    let reused = post().json(&different).await.expect_problem(422, "validation");
    assert_eq!(reused.violations(), ["Idempotency-Key:reused"]);
    // A key is 1 to 255 visible characters; anything else is a malformed request, not a new key.
    for malformed in ["   ", &"k".repeat(256), "caf\u{e9}"] {
        c.app
            .post("/api/v1/plans")
            .token(&c.manager)
            .header("idempotency-key", malformed)
            .json(&body)
            .await
            .expect_problem(400, "malformed-request");
    }

    // Keys belong to their caller: another partnership's key of the same name is another key.
    c.app
        .post("/api/v1/plans")
        .token(&c.torbay_manager)
        .header("idempotency-key", "plan-2021-22-attempt-1")
        .json(&seed_for("torbay-2021-22-plan", c.torbay_2021))
        .await
        .expect(201);

    // Kept for a day: after that the key is new again, and the same request is judged afresh
    // rather than replayed (here, the allocation already has its plan).
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(25)).to_rfc3339();
    c.app.set_clock(&later);
    let afresh = post().json(&body).await.expect_problem(422, "validation");
    assert_eq!(afresh.violations(), ["allocation_id:one_per_allocation"]);
    c.app.set_clock(&chrono::Utc::now().to_rfc3339());

    // A submission retried after a lost answer is not a second submission.
    let path = format!("/api/v1/plans/{}", first.id());
    let submit = || {
        c.app
            .post(&format!("{path}/submit"))
            .token(&c.manager)
            .if_match(&json!(1))
            .header("idempotency-key", "submit-plan-once")
    };
    let submitted = submit().json(&c.signature()).await.expect(200);
    let again = submit().json(&c.signature()).await.expect(200);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.body["version"], submitted.body["version"]);
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let submits = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "submit")
        .count();
    assert_eq!(submits, 1);
}

#[actix_web::test]
async fn two_concurrent_submissions_make_exactly_one_transition() {
    let c = cycle().await;
    let id = c.plan("plymouth-2021-22-plan", c.plymouth_2021, &c.manager).await;
    let path = format!("/api/v1/plans/{id}");
    let (signature, version, url) = (c.signature(), json!(1), format!("{path}/submit"));
    let submit = || c.app.post(&url).token(&c.manager).if_match(&version).json(&signature);
    let (a, b) = futures_util::future::join(submit(), submit()).await;
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "one succeeds: {} / {}", a.body, b.body);
    assert!(
        [409, 412].contains(&statuses[1]),
        "the other is refused: {} / {}",
        a.body,
        b.body
    );
    // The loser is told why: the plan moved on (409, with what it now allows) or its version did.
    let loser = if a.status.as_u16() == 200 { &b } else { &a };
    match loser.status.as_u16() {
        409 => assert_eq!(loser.body["allowed_transitions"], json!(["withdraw"]), "{}", loser.body),
        _ => assert_eq!(loser.body["type"], "/problems/precondition-failed", "{}", loser.body),
    }
    let history = c
        .app
        .get(&format!("{path}/history"))
        .token(&c.manager)
        .send()
        .await
        .expect(200)
        .body;
    let submits = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "submit")
        .count();
    assert_eq!(submits, 1);
    let signatures = c.signatures(&path, &c.manager).await;
    assert_eq!(signatures.as_array().map(Vec::len), Some(1));
}

async fn approved_plan(c: &Cycle) -> String {
    let path = some_history(c).await;
    let decisions: Vec<Value> = (1..=6)
        .map(|line| json!({"line": line, "decision": "approved"}))
        .collect();
    c.act(&path, "decisions", &c.reviewer, json!({"decisions": decisions}))
        .await
        .expect(200);
    c.act(&path, "approve", &c.reviewer, json!({})).await.expect(200);
    path
}

#[actix_web::test]
async fn small_amendments_apply_at_once_and_large_ones_wait_for_review() {
    let c = cycle().await;
    let years = c
        .app
        .get("/api/v1/fund-years")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    let year_2021 = years["items"][1]["id"].clone();
    c.app
        .patch(&format!("/api/v1/fund-years/{year_2021}"))
        .header("if-match", "*")
        .token(&c.app.admin_token)
        .json(&json!({"amendment_threshold": "2000.00", "amendment_threshold_percent": 50}))
        .await
        .expect(200);
    let path = approved_plan(&c).await;

    // A £1,500 virement from the analysis line (32% of it) to WRAP training: within both limits.
    let mut small = seed("plymouth-2021-22-plan")["lines"].clone();
    small[3]["amount"] = json!("28000.00");
    small[3]["sub_allocations"][3]["amount"] = json!("5000.00");
    small[5]["amount"] = json!("3174.00");
    let applied = propose(&c, &path, small, "WRAP is oversubscribed")
        .await
        .expect(201)
        .body;
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["largest_change"], "1500.00");
    assert_eq!(applied["largest_change_percent"], "32.09");
    let plan = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(plan["status"], "approved");
    assert_eq!(plan["lines"][3]["amount"], "28000.00");
    assert_eq!(plan["review"]["approved_amount"], "400568.00");

    // Moving £20,000 needs a reviewer; meanwhile the plan is unchanged and a second proposal waits.
    let mut large = plan["lines"].clone();
    for line in large.as_array_mut().into_iter().flatten() {
        if let Some(fields) = line.as_object_mut() {
            for computed in ["sub_allocated", "opcc_share_percent"] {
                fields.remove(computed);
            }
            let priorities: Vec<Value> = fields["priorities"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["number"].clone())
                .collect();
            fields.insert("priorities".into(), json!(priorities));
            if let Some(indicators) = fields.get_mut("indicators").and_then(Value::as_array_mut) {
                for indicator in indicators.iter_mut().filter_map(Value::as_object_mut) {
                    indicator.remove("target_text");
                }
            }
        }
    }
    large[0]["amount"] = json!("220819.00");
    large[0]["sub_allocations"][0]["amount"] = json!("190000.00");
    large[4]["amount"] = json!("30000.00");
    let proposed = propose(&c, &path, large.clone(), "Expand reverse mentoring")
        .await
        .expect(201)
        .body;
    assert_eq!(proposed["status"], "proposed");
    propose(&c, &path, large, "again").await.expect_problem(409, "conflict");
    let unchanged = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(unchanged["lines"][4]["amount"], "10000.00");

    let decision = format!("{path}/amendments/{}", proposed["id"]);
    decide(&c, &path, &format!("{decision}/approve"), &c.manager)
        .await
        .expect_problem(403, "forbidden");
    let approved = decide(&c, &path, &format!("{decision}/approve"), &c.reviewer)
        .await
        .expect(200)
        .body;
    assert_eq!(approved["status"], "approved");
    decide(&c, &path, &format!("{decision}/decline"), &c.reviewer)
        .await
        .expect_problem(409, "conflict");
    let amended = c.app.get(&path).token(&c.manager).send().await.expect(200).body;
    assert_eq!(amended["lines"][4]["amount"], "30000.00");

    let reasons = c.version_reasons(&path, &c.reviewer).await;
    assert_eq!(reasons, ["signed", "submitted", "approved", "amended", "amended"]);
    let listed = c
        .app
        .get(&format!("{path}/amendments"))
        .token(&c.treasurer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));

    // Returns compare against the plan as amended.
    let half = c
        .app
        .post("/api/v1/half-year-returns")
        .token(&c.manager)
        .json(&json!({"allocation_id": c.plymouth_2021, "half": "first", "half_year_end": "2021-09-30",
            "amount_claimed": "200284.00", "invoice_reference": "SP-H1",
            "projects": [{"plan_line": 5, "provider": "Youth service", "provider_status": "statutory", "rag": "on_track"}]}))
        .await
        .expect(201)
        .body;
    assert_eq!(half["projects"][0]["funding"], "30000.00");
}

async fn propose(c: &Cycle, path: &str, lines: Value, reason: &str) -> crate::support::Reply {
    let version = c.version(path).await;
    c.app
        .post(&format!("{path}/amendments"))
        .token(&c.manager)
        .if_match(&version)
        .json(&json!({"reason": reason, "lines": lines, "password": crate::support::PASSWORD}))
        .await
}

async fn decide(c: &Cycle, plan: &str, url: &str, token: &str) -> crate::support::Reply {
    let version = c.version(plan).await;
    c.app
        .post(url)
        .token(token)
        .if_match(&version)
        .json(&json!({"comment": "Agreed at the commissioning meeting"}))
        .await
}

/// The attack the checkpoints stored in the database cannot catch alone: entries rewritten, the
/// chain recomputed, and every checkpoint stored after the rewrite deleted, the service then
/// started again. The checkpoint it keeps outside the database still holds the old hash, so it
/// signs nothing over the forged chain, is not ready, and says which entry.
#[actix_web::test]
async fn a_rewrite_with_its_later_checkpoints_deleted_is_caught_by_the_kept_checkpoint() {
    let c = cycle().await;
    let path = some_history(&c).await;
    let signed = sign_checkpoint(&c).await;
    let kept_id = signed["entry_id"].as_i64().unwrap();
    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(c.app.data_dir.join("history-checkpoint.json")).expect("the checkpoint is kept"),
    )
    .unwrap();
    assert_eq!(
        kept, signed,
        "the service keeps the checkpoint it signed, outside the database"
    );
    c.act(
        &path,
        "request-changes",
        &c.reviewer,
        json!({"reason": "Please split line 3"}),
    )
    .await
    .expect(200);
    c.app.get("/health/ready").send().await.expect(200);

    rewrite_and_rechain(&c, kept_id).await;
    delete_stored_checkpoints(&c);

    // Started again on the same database and files.
    let again = crate::support::TestApp::spawn_with(crate::support::Options {
        database_url: Some(c.app.database_url.clone()),
        data_dir: Some(c.app.data_dir.clone()),
        ..Default::default()
    })
    .await;
    let refused = again
        .post("/api/v1/history/checkpoints")
        .token(&again.admin_token)
        .send()
        .await
        .expect_problem(503, "unavailable");
    let detail = refused.body["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(&format!("broken at entry {kept_id}")), "{detail}");
    let stored = again
        .get("/api/v1/history/checkpoints")
        .token(&again.admin_token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(stored["items"], json!([]), "nothing was signed over the forged chain");
    let ready = again
        .get("/health/ready")
        .send()
        .await
        .expect_problem(503, "unavailable");
    assert!(
        ready.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("entry {kept_id}"))),
        "{}",
        ready.body
    );
    let verified = again
        .get("/api/v1/history/verification")
        .token(&again.admin_token)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(verified["intact"], false);
    assert_eq!(verified["first_broken"]["id"], kept_id, "{verified}");
    let output = Command::new(env!("CARGO_BIN_EXE_cspfund"))
        .arg("verify-history")
        .env("DATABASE_URL", &c.app.database_url)
        .env("CSPFUND_JWT_SECRET", crate::support::JWT_SECRET)
        .env("CSPFUND_SIGNING_KEY", crate::support::SIGNING_KEY)
        .env("CSPFUND_DATA_DIR", &c.app.data_dir)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("history broken at entry {kept_id}")),
        "{stderr}"
    );
}

/// An outside system lists every checkpoint, keeps them, and asks later which the history
/// contradicts; a checkpoint row forged in the database is caught by its signature.
#[actix_web::test]
async fn checkpoints_kept_outside_are_checked_through_the_api() {
    let c = cycle().await;
    let path = some_history(&c).await;
    let first = sign_checkpoint(&c).await;
    c.act(
        &path,
        "request-changes",
        &c.reviewer,
        json!({"reason": "Please split line 3"}),
    )
    .await
    .expect(200);
    let second = sign_checkpoint(&c).await;
    let listed = c
        .app
        .get("/api/v1/history/checkpoints?limit=1")
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"], json!([first]));
    let cursor = listed["next_cursor"].as_str().expect("a second page").to_owned();
    let rest = c
        .app
        .get(&format!("/api/v1/history/checkpoints?cursor={cursor}"))
        .token(&c.reviewer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(rest["items"], json!([second]));
    let finance = c.app.user("finance@opcc.example", "opcc_finance", None).await;
    let check = |token: String, kept: Value| {
        let app = &c.app;
        async move {
            app.post("/api/v1/history/verification")
                .token(&token)
                .json(&json!({"checkpoints": kept}))
                .await
        }
    };
    let intact = check(finance.clone(), json!([first, second])).await.expect(200).body;
    assert_eq!(
        (intact["intact"].clone(), intact["kept_checkpoints"].clone()),
        (json!(true), json!(2))
    );
    assert_eq!(intact["contradicted"], json!([]));
    check(c.manager.clone(), json!([first]))
        .await
        .expect_problem(403, "forbidden");

    // A checkpoint row forged in the database (a made-up signature) proves nothing.
    let unsigned = first["entry_id"].as_i64().unwrap() - 1;
    c.app
        .execute_sql(&format!(
            "INSERT INTO history_checkpoints (entry_id, entry_hash, signed_at, key_id, signature) \
             VALUES ({unsigned}, '{}', '2026-12-05 06:00:00', '{}', 'Zm9yZ2Vk')",
            "ab".repeat(32),
            first["key_id"].as_str().unwrap()
        ))
        .unwrap();
    let verified = verification(&c).await;
    assert_eq!(verified["first_broken"]["id"], unsigned, "{verified}");
    assert!(
        verified["first_broken"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("forged or altered")),
        "{verified}"
    );

    // The first checkpoint's entry rewritten and the chain recomputed: both are contradicted.
    rewrite_and_rechain(&c, first["entry_id"].as_i64().unwrap()).await;
    let broken = check(finance.clone(), json!([first, second])).await.expect(200).body;
    let contradicted: Vec<&Value> = broken["contradicted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(contradicted, [&first["entry_id"], &second["entry_id"]], "{broken}");
}
