//! Every operation, called by anonymous, user, finance and admin callers: allowed callers get
//! no authorization error, everyone else gets exactly `UNAUTHENTICATED` (anonymous) or
//! `FORBIDDEN` (signed in, wrong role).

use crate::both_backends;
use crate::harness::{error_code, password_of, Backend, Client, Server};
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Anonymous,
    User,
    Finance,
    Admin,
}

const SIGNED_IN: &[Who] = &[Who::User, Who::Finance, Who::Admin];
const MONEY: &[Who] = &[Who::Finance, Who::Admin];
const ADMIN: &[Who] = &[Who::Admin];

/// (operation, document, variables for caller `who`, who may call it)
fn operations(who: Who) -> Vec<(&'static str, &'static str, Value, &'static [Who])> {
    let tag = format!("{who:?}").to_lowercase();
    let own = match who {
        Who::Anonymous => "nobody".to_owned(),
        Who::Admin => "admin".to_owned(),
        _ => format!("{tag}1"),
    };
    vec![
        ("me", "{ me { username } }", json!({}), SIGNED_IN),
        ("users", "{ users { username } }", json!({}), ADMIN),
        ("rates", "{ rates { tier } }", json!({}), SIGNED_IN),
        ("rateHistory", "{ rateHistory { id } }", json!({}), SIGNED_IN),
        ("tierOverrides", "{ tierOverrides { username } }", json!({}), MONEY),
        ("auditLog", "{ auditLog(first: 5) { totalCount } }", json!({}), MONEY),
        ("auditVerify", "{ auditVerify { ok } }", json!({}), MONEY),
        (
            "createUser",
            "mutation($u: String!) { createUser(username: $u, password: \"created-pass-1\") { username } }",
            json!({"u": format!("made-by-{tag}")}),
            ADMIN,
        ),
        (
            "setUserRole",
            "mutation { setUserRole(username: \"target\", role: FINANCE) { role } }",
            json!({}),
            ADMIN,
        ),
        (
            "disableUser",
            "mutation { disableUser(username: \"target\") { disabled } }",
            json!({}),
            ADMIN,
        ),
        (
            "enableUser",
            "mutation { enableUser(username: \"target\") { disabled } }",
            json!({}),
            ADMIN,
        ),
        (
            "unlockUser",
            "mutation { unlockUser(username: \"target\") }",
            json!({}),
            ADMIN,
        ),
        (
            "setUserPassword",
            "mutation { setUserPassword(username: \"target\", password: \"target-pass-2\") }",
            json!({}),
            ADMIN,
        ),
        (
            "changePassword",
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: $c) }",
            json!({"c": if who == Who::Admin { crate::harness::ADMIN_PASSWORD.to_owned() } else { password_of(&own) }}),
            SIGNED_IN,
        ),
        (
            "updateRates",
            "mutation { updateRates(tier: \"gov\", cpu: \"3\", gpu: \"10\", mem: \"1\") { id } }",
            json!({}),
            MONEY,
        ),
        (
            "setTierOverride",
            "mutation { setTierOverride(username: \"someone\", tier: \"mu\") { tier } }",
            json!({}),
            MONEY,
        ),
        (
            "clearTierOverride",
            "mutation { clearTierOverride(username: \"someone\") }",
            json!({}),
            MONEY,
        ),
        ("paymentProviders", "{ paymentProviders }", json!({}), SIGNED_IN),
        ("payments", "{ payments { totalCount } }", json!({}), SIGNED_IN),
        ("logout", "mutation { logout }", json!({}), SIGNED_IN),
    ]
}

async fn every_operation_checks_who_may_call_it(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let r = admin
        .gql(
            "mutation($p: String!) { createUser(username: \"target\", password: $p) { username } }",
            json!({"p": password_of("target")}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let callers: Vec<(Who, Client)> = vec![
        (Who::Anonymous, s.client()),
        (Who::User, s.user_with_role(&admin, "user1", "USER").await),
        (Who::Finance, s.user_with_role(&admin, "finance1", "FINANCE").await),
        (Who::Admin, admin.clone()),
    ];
    let mut checked = 0;
    for (who, client) in &callers {
        for (name, doc, vars, allowed) in operations(*who) {
            let r = client.gql(doc, vars).await;
            let code = error_code(&r);
            if allowed.contains(who) {
                assert!(r["errors"].is_null(), "{name} as {who:?} should be allowed: {r}");
            } else {
                let want = if *who == Who::Anonymous {
                    "UNAUTHENTICATED"
                } else {
                    "FORBIDDEN"
                };
                assert_eq!(code.as_deref(), Some(want), "{name} as {who:?}: {r}");
                assert!(
                    r["data"].is_null() || r["data"].as_object().is_some_and(|o| o.values().all(Value::is_null)),
                    "{name} as {who:?} leaked data: {r}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * operations(Who::Admin).len());
    // The audit log records the refused attempts nowhere else changed: `target` still exists
    // exactly once and the chain verifies.
    let admin = s.admin().await;
    let v = admin.gql("{ auditVerify { ok checked } }", json!({})).await;
    assert_eq!(v["data"]["auditVerify"]["ok"], json!(true), "{v}");
}
both_backends!(every_operation_checks_who_may_call_it);

async fn login_is_open_to_anyone_but_refuses_bad_credentials(backend: Backend) {
    let s = Server::start(backend).await;
    let r = s
        .client()
        .gql(
            "mutation { login(username: \"nobody\", password: \"whatever\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(r["errors"][0]["message"], json!("invalid username or password"));
    let mut bad = s.client();
    bad.token = Some("not-a-token".into());
    let resp = bad
        .http
        .post(&bad.url)
        .bearer_auth("not-a-token")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"), "{body}");
}
both_backends!(login_is_open_to_anyone_but_refuses_bad_credentials);
