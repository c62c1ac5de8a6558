//! The grant cycle's reference data as the admin sets it up, and the seed documents (the same
//! JSON files `cspfund demo` loads, in `src/demo/documents/`) for tests to send through the API.

use serde_json::{Value, json};

use crate::support::{Options, TestApp};

/// A seed document from `src/demo/`.
pub fn seed(name: &str) -> Value {
    let path = format!("{}/src/demo/documents/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("the seed file exists")).expect("the seed is JSON")
}

/// A seed document addressed to an allocation.
pub fn seed_for(name: &str, allocation_id: i64) -> Value {
    let mut document = seed(name);
    document["allocation_id"] = json!(allocation_id);
    document
}

/// Two partnerships, two fund years, their allocations and the people of each role.
pub struct Cycle {
    pub app: TestApp,
    pub plymouth: i64,
    pub torbay: i64,
    pub plymouth_2017: i64,
    pub plymouth_2021: i64,
    pub torbay_2021: i64,
    pub manager: String,
    pub treasurer: String,
    pub reviewer: String,
    pub torbay_manager: String,
}

pub async fn cycle() -> Cycle {
    cycle_with(Options::default()).await
}

pub async fn cycle_with(options: Options) -> Cycle {
    let app = TestApp::spawn_with(options).await;
    let admin = app.admin_token.clone();
    let set = app
        .post("/api/v1/priority-sets")
        .token(&admin)
        .json(
            &json!({"name": "Police and Crime Plan 2017-2021", "starts_on": "2017-04-01", "ends_on": "2022-03-31",
            "priorities": [
                {"number": 1, "title": "Connecting Communities and Policing"},
                {"number": 2, "title": "Preventing and deterring crime"},
                {"number": 3, "title": "Protecting people at risk of abuse"},
                {"number": 4, "title": "Supporting victims and witnesses and helping them to get justice"},
                {"number": 5, "title": "Getting the best out of the police"}]}),
        )
        .await
        .expect(201)
        .id();
    let year = |label: &str, plan: &str, first_half: &str, second_half: &str, last: &str| {
        json!({"label": label, "plan_due": plan, "first_half_return_due": first_half,
               "second_half_return_due": second_half, "final_report_due": last, "priority_set_id": set})
    };
    let year_2017 = app
        .post("/api/v1/fund-years")
        .token(&admin)
        .json(&year("2017-18", "2017-05-31", "2017-11-03", "2018-05-04", "2018-06-29"))
        .await
        .expect(201)
        .id();
    let year_2021 = app
        .post("/api/v1/fund-years")
        .token(&admin)
        .json(&year("2021-22", "2021-05-28", "2021-11-05", "2022-05-06", "2022-06-30"))
        .await
        .expect(201)
        .id();
    let plymouth = app.partnership("Safer Plymouth").await;
    let torbay = app.partnership("Safer Torbay").await;
    let allocate = |year: i64, partnership: i64, grant: &str, carry_forward: &str, purpose: Option<&str>| {
        json!({"fund_year_id": year, "partnership_id": partnership, "grant": grant,
               "carry_forward": carry_forward, "carry_forward_purpose": purpose})
    };
    let mut allocations = Vec::new();
    for body in [
        allocate(
            year_2017,
            plymouth,
            "400568.00",
            "27678.00",
            Some("MARAC co-ordinator and IDVA hours"),
        ),
        allocate(year_2021, plymouth, "400568.00", "0.00", None),
        allocate(year_2021, torbay, "180000.00", "0.00", None),
    ] {
        allocations.push(
            app.post("/api/v1/allocations")
                .token(&admin)
                .json(&body)
                .await
                .expect(201)
                .id(),
        );
    }
    let manager = app
        .user("manager@safer-plymouth.example", "csp_manager", Some(plymouth))
        .await;
    let treasurer = app
        .user("treasurer@safer-plymouth.example", "treasurer", Some(plymouth))
        .await;
    let reviewer = app.user("reviewer@opcc.example", "opcc_reviewer", None).await;
    let torbay_manager = app.user("manager@torbay.example", "csp_manager", Some(torbay)).await;
    Cycle {
        app,
        plymouth,
        torbay,
        plymouth_2017: allocations[0],
        plymouth_2021: allocations[1],
        torbay_2021: allocations[2],
        manager,
        treasurer,
        reviewer,
        torbay_manager,
    }
}

impl Cycle {
    /// Creates a plan from a seed document as the given manager; returns its id.
    pub async fn plan(&self, seed_name: &str, allocation_id: i64, token: &str) -> i64 {
        self.app
            .post("/api/v1/plans")
            .token(token)
            .json(&seed_for(seed_name, allocation_id))
            .await
            .expect(201)
            .id()
    }
}

impl Cycle {
    /// Reads a document and returns its current version (its ETag).
    pub async fn version(&self, path: &str) -> Value {
        let reply = self.app.get(path).token(&self.app.admin_token).send().await.expect(200);
        let etag = reply.header("etag").expect("documents have an ETag");
        assert_eq!(etag, format!("\"{}\"", reply.body["version"]));
        reply.body["version"].clone()
    }

    /// A document's signatures, as `token` reads them.
    pub async fn signatures(&self, path: &str, token: &str) -> Value {
        self.app
            .get(&format!("{path}/signatures"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body
    }

    /// Why each of a document's snapshots was taken, oldest first, as `token` reads them.
    pub async fn version_reasons(&self, path: &str, token: &str) -> Vec<String> {
        let versions = self
            .app
            .get(&format!("{path}/versions"))
            .token(token)
            .send()
            .await
            .expect(200)
            .body;
        versions["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["reason"].as_str().map(str::to_owned))
            .collect()
    }

    /// Takes a transition at the document's current version; returns the raw reply.
    pub async fn act(&self, path: &str, transition: &str, token: &str, body: Value) -> crate::support::Reply {
        let version = self.version(path).await;
        self.app
            .post(&format!("{path}/{transition}"))
            .token(token)
            .if_match(&version)
            .json(&body)
            .await
    }

    /// Safer Plymouth's 2017-18 plan and its draft half-year return, from the seeds; returns the
    /// return's path.
    pub async fn draft_return_2017(&self) -> String {
        self.plan("plymouth-2017-18-plan", self.plymouth_2017, &self.manager)
            .await;
        self.draft_return_2017_only().await
    }

    /// Safer Plymouth's draft 2017-18 half-year return, its plan already made; returns its path.
    pub async fn draft_return_2017_only(&self) -> String {
        let id = self
            .app
            .post("/api/v1/half-year-returns")
            .token(&self.manager)
            .json(&seed_for("plymouth-2017-18-half-year-return", self.plymouth_2017))
            .await
            .expect(201)
            .id();
        format!("/api/v1/half-year-returns/{id}")
    }

    /// The 2018-19 fund year and Safer Plymouth's allocation in it, the year after the seed's;
    /// returns the allocation's id.
    pub async fn plymouth_2018_19(&self) -> i64 {
        let admin = &self.app.admin_token;
        let set = self
            .app
            .get("/api/v1/priority-sets")
            .token(admin)
            .send()
            .await
            .expect(200)
            .body["items"][0]["id"]
            .clone();
        let year = self
            .app
            .post("/api/v1/fund-years")
            .token(admin)
            .json(&serde_json::json!({"label": "2018-19", "plan_due": "2018-05-31",
                "first_half_return_due": "2018-11-02", "second_half_return_due": "2019-05-03",
                "final_report_due": "2019-06-28", "priority_set_id": set}))
            .await
            .expect(201)
            .id();
        self.app
            .post("/api/v1/allocations")
            .token(admin)
            .json(&serde_json::json!({"fund_year_id": year, "partnership_id": self.plymouth, "grant": "400568.00"}))
            .await
            .expect(201)
            .id()
    }

    /// A signature body with the test password.
    pub fn signature(&self) -> Value {
        serde_json::json!({"password": crate::support::PASSWORD})
    }
}
