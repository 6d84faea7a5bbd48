//! Who may call what, resolver by resolver.

use crate::support::{code, Api};
use serde_json::json;

#[tokio::test]
async fn anonymous_callers_get_unauthenticated_everywhere_but_login() {
    let api = Api::new().await;
    for q in [
        "{ me { username } }",
        "{ rates { tier } }",
        "{ myUsage { totalCount } }",
        "{ myReceipts { totalCount } }",
        "{ quote(cpus: 1, memGb: \"1\", hours: \"1\") { cost { minor } } }",
        "mutation { logout }",
        "mutation { setLanguage(language: TH) }",
    ] {
        let r = api.run(None, q, json!({})).await;
        assert_eq!(code(&r), Some("UNAUTHENTICATED"), "{q}: {r}");
    }
    let wrong = api
        .run(
            None,
            "mutation { login(username: \"alice\", password: \"nope-nope-1\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&wrong), Some("UNAUTHENTICATED"), "{wrong}");
}

#[tokio::test]
async fn roles_see_only_what_they_may() {
    let api = Api::new().await;
    let alice = api.principal("alice").await;
    let finance = api.principal("finance1").await;
    let admin = api.principal("admin").await;
    let cases = [
        ("{ users { username } }", [Some("FORBIDDEN"), Some("FORBIDDEN"), None]),
        ("{ auditLog(first: 2) { totalCount } }", [Some("FORBIDDEN"), None, None]),
        (
            "{ billingOverview { paid { minor } } }",
            [Some("FORBIDDEN"), None, None],
        ),
        ("{ plugins { name } }", [Some("FORBIDDEN"), None, None]),
        ("{ usage(first: 2) { totalCount } }", [Some("FORBIDDEN"), None, None]),
        ("{ receipts(first: 2) { totalCount } }", [Some("FORBIDDEN"), None, None]),
        ("{ me { username } }", [None, None, None]),
        (
            "{ quote(cpus: 2, memGb: \"4\", hours: \"1\") { cost { minor } } }",
            [None, None, None],
        ),
    ];
    for (q, want) in cases {
        for (who, expected) in [&alice, &finance, &admin].into_iter().zip(want) {
            let r = api.run(Some(who), q, json!({})).await;
            assert_eq!(code(&r), expected, "{} {q}: {r}", who.username);
        }
    }
}

#[tokio::test]
async fn a_user_cannot_reach_another_users_receipt_even_by_id() {
    let api = Api::new().await;
    let alice = api.principal("alice").await;
    let r = api.run(Some(&alice), "{ receipt(id: \"1\") { id } }", json!({})).await;
    assert_eq!(code(&r), Some("NOT_FOUND"), "{r}");
    let r = api
        .run(Some(&alice), "{ receipt(id: \"not-a-number\") { id } }", json!({}))
        .await;
    assert!(matches!(code(&r), Some("NOT_FOUND" | "BAD_USER_INPUT")), "{r}");
}
