//! Cursor pagination at its edges: bounds of `first`, bad cursors, and pages that together
//! list everything exactly once.

use crate::support::{code, Api};
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn page_sizes_out_of_bounds_are_refused() {
    let api = Api::new().await;
    let admin = api.principal("admin").await;
    for q in [
        "{ auditLog(first: 0) { totalCount } }",
        "{ auditLog(first: -5) { totalCount } }",
        "{ myUsage(first: 0) { totalCount } }",
        "{ myUsage(first: 100000) { totalCount } }",
        "{ receipts(first: 0) { totalCount } }",
    ] {
        let r = api.run(Some(&admin), q, json!({})).await;
        assert!(r["errors"].is_array(), "{q}: {r}");
        assert_ne!(code(&r), Some("INTERNAL"), "{q}: {r}");
    }
}

#[tokio::test]
async fn a_bad_cursor_is_the_callers_mistake() {
    let api = Api::new().await;
    let admin = api.principal("admin").await;
    for q in [
        "{ auditLog(first: 2, after: \"garbage\") { totalCount } }",
        "{ myUsage(first: 2, after: \"garbage\") { totalCount } }",
        "{ receipts(first: 2, after: \"garbage\") { totalCount } }",
    ] {
        let r = api.run(Some(&admin), q, json!({})).await;
        assert_eq!(code(&r), Some("BAD_USER_INPUT"), "{q}: {r}");
    }
}

#[tokio::test]
async fn pages_list_every_entry_exactly_once() {
    let api = Api::new().await;
    let admin = api.principal("admin").await;
    // Each sign-in and account creation above is audited: a dozen entries to page through.
    for tier in ["a1", "b2", "c3", "d4", "e5"] {
        let r = api
            .run(
                Some(&admin),
                "mutation($t: String!) { updateRates(tier: $t, cpu: \"1\", gpu: \"1\", mem: \"1\") { id } }",
                json!({"t": tier}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let mut seen = BTreeSet::new();
    let mut after: Option<String> = None;
    let mut total = 0;
    for _ in 0..100 {
        let r = api
            .run(
                Some(&admin),
                "query($a: String) { auditLog(first: 2, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }",
                json!({"a": after}),
            )
            .await;
        let page = &r["data"]["auditLog"];
        total = page["totalCount"].as_i64().expect("total");
        let edges = page["edges"].as_array().expect("edges");
        assert!(edges.len() <= 2, "{r}");
        for e in edges {
            assert!(seen.insert(e["node"]["id"].as_i64().expect("id")), "listed twice: {r}");
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert!(total >= 9, "{total}");
    assert_eq!(seen.len() as i64, total);
}
