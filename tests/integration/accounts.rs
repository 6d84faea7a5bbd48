//! Sign-in, sessions, throttling and CSRF, end to end.

use crate::both_backends;
use crate::harness::{error_code, password_of, Backend, Server, ADMIN_PASSWORD};
use serde_json::json;
use std::time::Duration;

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token csrfToken user { username role } } }";

async fn logout_revokes_the_session_at_once(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let me = admin.gql("{ me { username role } }", json!({})).await;
    assert_eq!(me["data"]["me"], json!({"username": "admin", "role": "ADMIN"}));
    let out = admin.gql("mutation { logout }", json!({})).await;
    assert_eq!(out["data"]["logout"], json!(true), "{out}");
    let after = admin.gql("{ me { username } }", json!({})).await;
    assert_eq!(error_code(&after).as_deref(), Some("UNAUTHENTICATED"), "{after}");
    // A second session of the same user is unaffected.
    let other = s.admin().await;
    assert!(other.gql("{ me { username } }", json!({})).await["errors"].is_null());
}
both_backends!(logout_revokes_the_session_at_once);

async fn disabling_a_user_ends_their_sessions_and_blocks_login(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    assert!(alice.gql("{ me { username } }", json!({})).await["errors"].is_null());
    let r = admin
        .gql("mutation { disableUser(username: \"alice\") { disabled } }", json!({}))
        .await;
    assert_eq!(r["data"]["disableUser"]["disabled"], json!(true), "{r}");
    assert_eq!(
        error_code(&alice.gql("{ me { username } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    let again = s
        .client()
        .gql(LOGIN, json!({"u": "alice", "p": password_of("alice")}))
        .await;
    assert_eq!(error_code(&again).as_deref(), Some("FORBIDDEN"), "{again}");
    admin
        .gql("mutation { enableUser(username: \"alice\") { disabled } }", json!({}))
        .await;
    let back = s
        .client()
        .gql(LOGIN, json!({"u": "alice", "p": password_of("alice")}))
        .await;
    assert_eq!(back["data"]["login"]["user"]["username"], json!("alice"), "{back}");
}
both_backends!(disabling_a_user_ends_their_sessions_and_blocks_login);

async fn lockout_refuses_even_the_right_password_then_expires(backend: Backend) {
    let s = Server::start_with(
        backend,
        &[
            ("HPC_BILLING_AUTH_THROTTLE_MAX_FAILURES", "3"),
            ("HPC_BILLING_AUTH_THROTTLE_LOCK_SECS", "2"),
            ("HPC_BILLING_SERVER_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let mut c = s.client();
    c.headers.push(("x-forwarded-for".into(), "203.0.113.7".into()));
    for i in 0..3 {
        let r = c.gql(LOGIN, json!({"u": "admin", "p": "wrong-password"})).await;
        assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "attempt {i}: {r}");
    }
    let locked = c.gql(LOGIN, json!({"u": "admin", "p": ADMIN_PASSWORD})).await;
    assert_eq!(error_code(&locked).as_deref(), Some("RATE_LIMITED"), "{locked}");
    let retry = locked["errors"][0]["extensions"]["retryAfter"]
        .as_i64()
        .expect("retryAfter");
    assert!((1..=2).contains(&retry), "retryAfter {retry}");
    // The lock is per (user, address): the same user from another address is not locked.
    let mut elsewhere = s.client();
    elsewhere
        .headers
        .push(("x-forwarded-for".into(), "198.51.100.9".into()));
    let ok = elsewhere.gql(LOGIN, json!({"u": "admin", "p": ADMIN_PASSWORD})).await;
    assert!(ok["errors"].is_null(), "{ok}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let after = c.gql(LOGIN, json!({"u": "admin", "p": ADMIN_PASSWORD})).await;
    assert!(after["errors"].is_null(), "{after}");
    let admin = s.admin().await;
    let log = admin
        .gql(
            "{ auditLog(first: 100, filter: {action: \"auth.*\"}) { edges { node { action ip } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<String> = log["data"]["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["ip"] == json!("203.0.113.7"))
        .map(|e| e["node"]["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    for want in [
        "auth.login.failure",
        "auth.lockout.start",
        "auth.lockout.active",
        "auth.lockout.end",
        "auth.login.success",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} missing from {actions:?}");
    }
}
both_backends!(lockout_refuses_even_the_right_password_then_expires);

async fn cookie_sessions_need_the_csrf_header_for_mutations(backend: Backend) {
    let s = Server::start(backend).await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", s.base);
    let resp = http
        .post(&url)
        .json(&json!({"query": LOGIN, "variables": {"u": "admin", "p": ADMIN_PASSWORD}}))
        .send()
        .await
        .expect("login");
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .collect();
    let session_cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hpcb_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"),
        "{session_cookie}"
    );
    let body: serde_json::Value = resp.json().await.expect("json");
    let csrf = body["data"]["login"]["csrfToken"]
        .as_str()
        .expect("csrf token")
        .to_owned();
    let cookie_header = cookies.join("; ");
    let send = |query: &'static str, csrf: Option<String>| {
        let mut r = http
            .post(&url)
            .header("cookie", cookie_header.clone())
            .json(&json!({"query": query}));
        if let Some(t) = csrf {
            r = r.header("x-csrf-token", t);
        }
        async move {
            r.send()
                .await
                .expect("send")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    // Reads work with the cookie alone.
    let me = send("{ me { username } }", None).await;
    assert_eq!(me["data"]["me"]["username"], json!("admin"), "{me}");
    // Mutations without, or with a wrong, token are refused and change nothing.
    let mutation = "mutation { setTierOverride(username: \"bob\", tier: \"gov\") { tier } }";
    let refused = send(mutation, None).await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"), "{refused}");
    let wrong = send(mutation, Some("0".repeat(64))).await;
    assert_eq!(error_code(&wrong).as_deref(), Some("FORBIDDEN"), "{wrong}");
    let overrides = send("{ tierOverrides { username } }", None).await;
    assert_eq!(overrides["data"]["tierOverrides"], json!([]), "{overrides}");
    let ok = send(mutation, Some(csrf.clone())).await;
    assert_eq!(ok["data"]["setTierOverride"]["tier"], json!("gov"), "{ok}");
    // Logout is a mutation too.
    assert_eq!(
        error_code(&send("mutation { logout }", None).await).as_deref(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        send("mutation { logout }", Some(csrf)).await["data"]["logout"],
        json!(true)
    );
    // A form post (no JSON content type) never reaches the resolvers.
    let form = http
        .post(&url)
        .header("cookie", cookie_header.clone())
        .header("content-type", "text/plain")
        .body("{\"query\":\"mutation { logout }\"}")
        .send()
        .await
        .expect("send");
    assert_eq!(form.status().as_u16(), 415);
}
both_backends!(cookie_sessions_need_the_csrf_header_for_mutations);

async fn passwords_change_and_other_sessions_end(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let bob_elsewhere = s.login("bob", &password_of("bob")).await;
    let short = bob
        .gql(
            "mutation { changePassword(currentPassword: \"x\", newPassword: \"short\") }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&short).as_deref(), Some("BAD_USER_INPUT"), "{short}");
    assert_eq!(short["errors"][0]["extensions"]["field"], json!("newPassword"));
    let wrong = bob
        .gql(
            "mutation($n: String!) { changePassword(currentPassword: \"not-it-at-all\", newPassword: $n) }",
            json!({"n": "a-new-password-1"}),
        )
        .await;
    assert_eq!(error_code(&wrong).as_deref(), Some("BAD_USER_INPUT"), "{wrong}");
    let ok = bob
        .gql(
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            json!({"c": password_of("bob"), "n": "a-new-password-1"}),
        )
        .await;
    assert_eq!(ok["data"]["changePassword"], json!(true), "{ok}");
    assert!(
        bob.gql("{ me { username } }", json!({})).await["errors"].is_null(),
        "the changing session stays"
    );
    assert_eq!(
        error_code(&bob_elsewhere.gql("{ me { username } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    s.login("bob", "a-new-password-1").await;
}
both_backends!(passwords_change_and_other_sessions_end);

async fn the_last_admin_cannot_be_demoted_or_disabled(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let r = admin
        .gql(
            "mutation { setUserRole(username: \"admin\", role: USER) { role } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    let r = admin
        .gql("mutation { disableUser(username: \"admin\") { disabled } }", json!({}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    let dup = admin
        .gql(
            "mutation { createUser(username: \"admin\", password: \"whatever-123\") { username } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&dup).as_deref(), Some("CONFLICT"), "{dup}");
    let bad = admin
        .gql(
            "mutation { createUser(username: \"bad name!\", password: \"whatever-123\") { username } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"), "{bad}");
    // Role changes apply to the very next request of the affected account.
    let carol = s.user_with_role(&admin, "carol", "USER").await;
    assert_eq!(
        error_code(&carol.gql("{ tierOverrides { username } }", json!({})).await).as_deref(),
        Some("FORBIDDEN")
    );
    admin
        .gql(
            "mutation { setUserRole(username: \"carol\", role: FINANCE) { role } }",
            json!({}),
        )
        .await;
    assert!(carol.gql("{ tierOverrides { username } }", json!({})).await["errors"].is_null());
}
both_backends!(the_last_admin_cannot_be_demoted_or_disabled);

async fn rates_are_exact_versioned_and_validated(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let rates = admin.gql("{ rates { tier cpu gpu mem currency } }", json!({})).await;
    assert_eq!(
        rates["data"]["rates"],
        json!([
            {"tier": "gov", "cpu": "3", "gpu": "10", "mem": "1", "currency": "THB"},
            {"tier": "mu", "cpu": "1", "gpu": "5", "mem": "0.5", "currency": "THB"},
            {"tier": "private", "cpu": "5", "gpu": "100", "mem": "2", "currency": "THB"},
        ])
    );
    let up = admin
        .gql("mutation { updateRates(tier: \"mu\", cpu: \"1.10\", gpu: \"5.5\", mem: \"0.123456\", effectiveFrom: \"2020-01-01T00:00:00+07:00\") { id cpu effectiveFrom } }", json!({}))
        .await;
    assert_eq!(up["data"]["updateRates"]["cpu"], json!("1.1"), "{up}");
    assert_eq!(
        up["data"]["updateRates"]["effectiveFrom"],
        json!("2019-12-31T17:00:00Z")
    );
    let future = admin.gql("mutation { updateRates(tier: \"mu\", cpu: \"9\", gpu: \"9\", mem: \"9\", effectiveFrom: \"2999-01-01T00:00:00Z\") { id } }", json!({})).await;
    assert!(future["errors"].is_null(), "{future}");
    let now = admin.gql("{ rates { tier cpu mem } }", json!({})).await;
    assert_eq!(
        now["data"]["rates"][1],
        json!({"tier": "mu", "cpu": "1.1", "mem": "0.123456"}),
        "a future version is not in force yet"
    );
    let hist = admin.gql("{ rateHistory(tier: \"mu\") { cpu } }", json!({})).await;
    assert_eq!(
        hist["data"]["rateHistory"],
        json!([{"cpu": "9"}, {"cpu": "1.1"}, {"cpu": "1"}])
    );
    let float = admin
        .gql(
            "mutation { updateRates(tier: \"mu\", cpu: 1.1, gpu: \"1\", mem: \"1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&float).as_deref(), Some("BAD_USER_INPUT"), "{float}");
    let negative = admin
        .gql(
            "mutation { updateRates(tier: \"mu\", cpu: \"-1\", gpu: \"1\", mem: \"1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(negative["errors"][0]["extensions"]["field"], json!("cpu"), "{negative}");
    let unknown_tier = admin
        .gql(
            "mutation { setTierOverride(username: \"dave\", tier: \"platinum\") { tier } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&unknown_tier).as_deref(),
        Some("BAD_USER_INPUT"),
        "{unknown_tier}"
    );
    let set = admin
        .gql(
            "mutation { setTierOverride(username: \"dave\", tier: \"gov\") { username tier updatedBy } }",
            json!({}),
        )
        .await;
    assert_eq!(
        set["data"]["setTierOverride"],
        json!({"username": "dave", "tier": "gov", "updatedBy": "admin"})
    );
    let cleared = admin
        .gql(
            "mutation { a: clearTierOverride(username: \"dave\") b: clearTierOverride(username: \"dave\") }",
            json!({}),
        )
        .await;
    assert_eq!(cleared["data"], json!({"a": true, "b": false}), "{cleared}");
}
both_backends!(rates_are_exact_versioned_and_validated);
