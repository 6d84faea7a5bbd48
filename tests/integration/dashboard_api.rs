//! What the dashboard added to the API, over HTTP on both databases: `quote` prices with the
//! rates real jobs use and follows a rate change; `Job.billed`/`receiptId` and the `billed`
//! filter agree with receipts; `billingOverview` adds up to the receipts and the unbilled jobs;
//! `plugins` lists what the host loaded; `setLanguage` follows the user; `/formula` answers
//! with an ETag and changes rates through the audited core path; who may do what.

use crate::both_backends;
use crate::harness::{error_code, Backend};
use crate::usage::INGEST;
use serde_json::{json, Value};

const QUOTE: &str = "query($t: String) { quote(cpus: 4, gpus: 1, memGb: \"16\", hours: \"2.5\", tier: $t) { cost { minor currency } cpuCoreHours gpuHours memGbHours elapsedSeconds memMb explain { tier tierReason rate { id cpu } arithmetic } } }";

fn minor(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not minor units: {v}"))
}

async fn quote_prices_like_jobs_and_follows_rate_changes(backend: Backend) {
    let s = crate::payments::server(backend).await;
    let admin = s.admin().await;
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    // Default rates: alice is `private` (cpu 5, gpu 100, mem 2 per hour):
    // 4 × 2.5 × 5 + 1 × 2.5 × 100 + 16 × 2.5 × 2 = 50 + 250 + 80 = 380.00.
    let q = alice.gql(QUOTE, json!({})).await;
    let quote = &q["data"]["quote"];
    assert_eq!(quote["cost"], json!({"minor": 38000, "currency": "THB"}), "{q}");
    assert_eq!(quote["cpuCoreHours"], json!("10"), "{q}");
    assert_eq!(quote["memGbHours"], json!("40"), "{q}");
    assert_eq!(quote["elapsedSeconds"], json!(9000));
    assert_eq!(quote["memMb"], json!(16384));
    assert_eq!(quote["explain"]["tier"], json!("private"), "{q}");
    assert!(
        quote["explain"]["arithmetic"]
            .as_str()
            .unwrap_or("")
            .ends_with("= 380 → 380.00 THB"),
        "{q}"
    );
    // A chosen tier, then a new rate version: the quote follows at once.
    let mu = alice.gql(QUOTE, json!({"t": "mu"})).await;
    // mu (cpu 1, gpu 5, mem 0.5): 10 + 12.5 + 20 = 42.50.
    assert_eq!(minor(&mu["data"]["quote"]["cost"]["minor"]), 4250, "{mu}");
    assert_eq!(
        mu["data"]["quote"]["explain"]["tierReason"],
        json!("chosen for this quote")
    );
    let r = admin
        .gql(
            "mutation { updateRates(tier: \"private\", cpu: \"6\", gpu: \"100\", mem: \"2\") { id } }",
            json!({}),
        )
        .await;
    let new_id = r["data"]["updateRates"]["id"].clone();
    assert!(new_id.is_number(), "{r}");
    let after = alice.gql(QUOTE, json!({})).await;
    assert_eq!(minor(&after["data"]["quote"]["cost"]["minor"]), 39000, "{after}");
    assert_eq!(after["data"]["quote"]["explain"]["rate"]["id"], new_id, "{after}");
    // Bad sizes are the caller's mistake, named by field; an unknown tier too.
    for (query, field) in [
        (
            "{ quote(cpus: -1, memGb: \"1\", hours: \"1\") { cost { minor } } }",
            "cpus",
        ),
        (
            "{ quote(cpus: 1, memGb: \"1\", hours: \"-2\") { cost { minor } } }",
            "hours",
        ),
        (
            "{ quote(cpus: 1, memGb: \"99999999\", hours: \"1\") { cost { minor } } }",
            "memGb",
        ),
        (
            "{ quote(cpus: 1, memGb: \"1\", hours: \"1\", tier: \"nosuch\") { cost { minor } } }",
            "tier",
        ),
    ] {
        let r = alice.gql(query, json!({})).await;
        assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{query}: {r}");
        assert!(
            r["errors"][0]["message"].as_str().unwrap_or("").contains(field),
            "{query}: {r}"
        );
    }
    let anonymous = s.client().gql(QUOTE, json!({})).await;
    assert_eq!(
        error_code(&anonymous).as_deref(),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
}
both_backends!(quote_prices_like_jobs_and_follows_rate_changes);

const BILLED: &str = "query($b: Boolean, $after: String) { myUsage(filter: { billed: $b }, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { jobKey billed receiptId endAt } } }";

async fn billed_marker_filter_and_overview_agree_with_receipts(backend: Backend) {
    let s = crate::payments::server(backend).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let fin = s.user_with_role(&admin, "fin", "FINANCE").await;
    let total_before = alice.gql(BILLED, json!({})).await["data"]["myUsage"]["totalCount"].clone();
    let (receipt, receipt_total) = crate::payments::receipt_of(&alice).await;
    let lines = alice
        .gql(
            "query($id: ID!) { receipt(id: $id) { lines { jobKey } } }",
            json!({"id": receipt}),
        )
        .await["data"]["receipt"]["lines"]
        .as_array()
        .expect("lines")
        .len();
    let billed = alice.gql(BILLED, json!({"b": true})).await;
    let conn = &billed["data"]["myUsage"];
    assert_eq!(conn["totalCount"], json!(lines), "{billed}");
    for job in conn["nodes"].as_array().expect("nodes") {
        assert_eq!(job["billed"], json!(true), "{job}");
        assert_eq!(job["receiptId"], json!(receipt), "{job}");
    }
    let unbilled = alice.gql(BILLED, json!({"b": false})).await;
    let unbilled_count = minor(&unbilled["data"]["myUsage"]["totalCount"]);
    assert_eq!(unbilled_count + lines as i64, minor(&total_before), "{unbilled}");
    assert!(unbilled["data"]["myUsage"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .all(|j| j["billed"] == json!(false) && j["receiptId"].is_null()));
    // The CSV export takes the same filter: one header line and one line per billed job.
    let csv = alice
        .http
        .get(format!("{}/export/my-usage.csv?billed=true", s.base))
        .bearer_auth(alice.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("csv text");
    assert_eq!(csv.lines().count(), lines + 1, "{csv}");

    // The overview: this receipt pending, then paid; the unbilled amount is what is left.
    const OVERVIEW: &str = "{ billingOverview(months: 120) { revenueByMonth { month paid { minor } pending { minor } receipts } paid { minor } pending { minor } unbilled { minor currency } unbilledJobs topUsers { name jobs cost { minor } } topAccounts { name } } plugins { name kind loaded reason } }";
    let o = fin.gql(OVERVIEW, json!({})).await;
    let ov = &o["data"]["billingOverview"];
    assert_eq!(minor(&ov["pending"]["minor"]), receipt_total, "{o}");
    assert_eq!(minor(&ov["paid"]["minor"]), 0, "{o}");
    let months = ov["revenueByMonth"].as_array().expect("months");
    assert_eq!(months.len(), 1, "{o}");
    assert_eq!(minor(&months[0]["pending"]["minor"]), receipt_total);
    assert_eq!(months[0]["receipts"], json!(1));
    let unbilled_sum = fin
        .gql(
            "{ usageSummary(groupBy: TIER, filter: { billed: false, endedBefore: \"2100-01-01T00:00:00Z\" }) { jobs cost { minor } } }",
            json!({}),
        )
        .await;
    let rows = unbilled_sum["data"]["usageSummary"].as_array().expect("rows").clone();
    let (jobs, cost) = rows.iter().fold((0, 0), |(j, c), r| {
        (j + minor(&r["jobs"]), c + minor(&r["cost"]["minor"]))
    });
    assert_eq!(minor(&ov["unbilledJobs"]), jobs, "{o} vs {unbilled_sum}");
    assert_eq!(minor(&ov["unbilled"]["minor"]), cost, "{o} vs {unbilled_sum}");
    let top = ov["topUsers"].as_array().expect("top users");
    assert!(!top.is_empty() && top.len() <= 10, "{o}");
    assert!(
        top.windows(2)
            .all(|w| minor(&w[0]["cost"]["minor"]) >= minor(&w[1]["cost"]["minor"])),
        "{o}"
    );
    let plugins = o["data"]["plugins"].as_array().expect("plugins");
    assert!(
        plugins.iter().any(|p| p["name"] == json!("dummy")
            && p["loaded"] == json!(true)
            && p["kind"] == json!("payment-gateway")),
        "{o}"
    );
    let paid = fin
        .gql(
            "mutation($id: ID!) { markReceiptPaid(id: $id, method: \"transfer\") { status } }",
            json!({"id": receipt}),
        )
        .await;
    assert!(paid["errors"].is_null(), "{paid}");
    let o = fin.gql(OVERVIEW, json!({})).await;
    assert_eq!(
        minor(&o["data"]["billingOverview"]["paid"]["minor"]),
        receipt_total,
        "{o}"
    );
    assert_eq!(minor(&o["data"]["billingOverview"]["pending"]["minor"]), 0, "{o}");

    // Users see neither the overview nor the plugins; a bad window is named.
    for q in ["{ billingOverview { paid { minor } } }", "{ plugins { name } }"] {
        let r = alice.gql(q, json!({})).await;
        assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{q}: {r}");
    }
    let r = fin
        .gql("{ billingOverview(months: 0) { paid { minor } } }", json!({}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
}
both_backends!(billed_marker_filter_and_overview_agree_with_receipts);

async fn language_choice_follows_the_user(backend: Backend) {
    let s = crate::harness::Server::start(backend).await;
    let admin = s.admin().await;
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    assert_eq!(
        alice.gql("{ me { language } }", json!({})).await["data"]["me"]["language"],
        Value::Null
    );
    let r = alice.gql("mutation { setLanguage(language: TH) }", json!({})).await;
    assert_eq!(r["data"]["setLanguage"], json!(true), "{r}");
    // A new session (another browser) gets the same choice; other users keep theirs.
    let again = s.login("alice", &crate::harness::password_of("alice")).await;
    assert_eq!(
        again.gql("{ me { language } }", json!({})).await["data"]["me"]["language"],
        json!("TH")
    );
    assert_eq!(
        admin.gql("{ me { language } }", json!({})).await["data"]["me"]["language"],
        Value::Null
    );
    let bad = alice.gql("mutation { setLanguage(language: FR) }", json!({})).await;
    assert!(bad["errors"].is_array(), "{bad}");
}
both_backends!(language_choice_follows_the_user);

async fn formula_answers_with_an_etag_and_changes_rates_through_the_core(backend: Backend) {
    let s = crate::harness::Server::start(backend).await;
    let admin = s.admin().await;
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let http = reqwest::Client::new();
    let url = format!("{}/formula", s.base);
    let bearer = |c: &crate::harness::Client| format!("Bearer {}", c.token.clone().unwrap_or_default());

    assert_eq!(http.get(&url).send().await.expect("get").status(), 401);
    let first = http
        .get(&url)
        .header("authorization", bearer(&alice))
        .send()
        .await
        .expect("get");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["tiers"]["mu"]["cpu"], json!("1"), "{body}");
    assert_eq!(body["tiers"]["private"]["gpu"], json!("100"), "{body}");
    let same = http
        .get(&url)
        .header("authorization", bearer(&alice))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(same.status(), 304);

    // Users may read, not write; a cookie session needs its CSRF token.
    let post = |who: String, body: Value| {
        http.post(&url)
            .header("authorization", who)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let new = json!({"tier": "mu", "cpu": "1.25", "gpu": 5, "mem": "0.5"});
    assert_eq!(post(bearer(&alice), new.clone()).await.expect("post").status(), 403);
    let bad = post(
        bearer(&admin),
        json!({"tier": "mu", "cpu": "lots", "gpu": 5, "mem": "0.5"}),
    )
    .await
    .expect("post");
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.expect("json");
    assert_eq!(bad["field"], json!("cpu"), "{bad}");
    let unknown = post(
        bearer(&admin),
        json!({"tier": "mu", "cpu": 1, "gpu": 5, "mem": 1, "colour": "red"}),
    )
    .await
    .expect("post");
    assert_eq!(unknown.status(), 400);
    let created = post(bearer(&admin), new).await.expect("post");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["cpu"], json!("1.25"), "{created}");
    // The same version the API shows, with the same audit entry as `updateRates`.
    let rates = alice.gql("{ rates { id tier cpu } }", json!({})).await;
    assert!(
        rates["data"]["rates"]
            .as_array()
            .expect("rates")
            .iter()
            .any(|r| r["tier"] == json!("mu") && r["cpu"] == json!("1.25") && r["id"] == created["id"]),
        "{rates}"
    );
    let audit = admin
        .gql(
            "{ auditLog(first: 5, filter: { action: \"rates.update\" }) { edges { node { actor target } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["data"]["auditLog"]["edges"][0]["node"]["actor"],
        json!("admin"),
        "{audit}"
    );
    let changed = http
        .get(&url)
        .header("authorization", bearer(&alice))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(changed.status(), 200, "a new version changes the ETag");

    // A browser session: the cookie alone may not change rates.
    let cookie_login = http
        .post(format!("{}/graphql", s.base))
        .json(&json!({"query": "mutation { login(username: \"admin\", password: \"".to_owned() + crate::harness::ADMIN_PASSWORD + "\") { csrfToken } }"}))
        .send()
        .await
        .expect("login");
    let cookies: Vec<String> = cookie_login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .collect();
    let login: Value = cookie_login.json().await.expect("json");
    let csrf = login["data"]["login"]["csrfToken"].as_str().expect("csrf").to_owned();
    let with_cookie = |csrf: Option<&str>| {
        let mut r = http
            .post(&url)
            .header("cookie", cookies.join("; "))
            .header("content-type", "application/json")
            .body(json!({"tier": "gov", "cpu": "3", "gpu": "10", "mem": "1.5"}).to_string());
        if let Some(t) = csrf {
            r = r.header("x-csrf-token", t);
        }
        r.send()
    };
    assert_eq!(with_cookie(None).await.expect("post").status(), 403);
    assert_eq!(with_cookie(Some(&csrf)).await.expect("post").status(), 201);
}
both_backends!(formula_answers_with_an_etag_and_changes_rates_through_the_core);

/// A stored amount whose currency code is damaged never turns into baht (or anything else):
/// reading it is an error the log explains, and the rest of the API keeps working.
async fn a_damaged_currency_is_an_error_never_a_default(backend: Backend) {
    let s = crate::payments::server(backend).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let job = admin
        .gql(
            "{ usage(first: 1) { nodes { jobKey cluster cost { currency } } } }",
            json!({}),
        )
        .await;
    let key = job["data"]["usage"]["nodes"][0]["jobKey"]
        .as_str()
        .expect("a job")
        .to_owned();
    assert_eq!(
        job["data"]["usage"]["nodes"][0]["cost"]["currency"],
        json!("THB"),
        "{job}"
    );
    let db = s.db.connect().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!("UPDATE jobs SET currency = 'T1B' WHERE job_key = '{key}'"))
        .await
        .expect("damage one row");
    let r = admin
        .gql(
            "{ usage(first: 1000) { nodes { jobKey cost { amount currency } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("INTERNAL"), "{r}");
    assert!(!r.to_string().contains("T1B"), "the detail stays in the log: {r}");
    let rates = admin.gql("{ rates { tier } }", json!({})).await;
    assert!(rates["errors"].is_null(), "{rates}");
}
both_backends!(a_damaged_currency_is_an_error_never_a_default);
