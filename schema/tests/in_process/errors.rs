//! Errors as clients see them: the code, the field named, no internal detail; snapshots keep
//! their exact shape from drifting.

use crate::support::{code, Api};
use serde_json::json;

#[tokio::test]
async fn bad_input_names_the_field() {
    let api = Api::new().await;
    let admin = api.principal("admin").await;
    let cases = [
        (
            "mutation { updateRates(tier: \"Bad Tier\", cpu: \"1\", gpu: \"1\", mem: \"1\") { id } }",
            "tier",
        ),
        (
            "mutation { updateRates(tier: \"mu\", cpu: \"-1\", gpu: \"1\", mem: \"1\") { id } }",
            "cpu",
        ),
        (
            "{ quote(cpus: 1, memGb: \"1\", hours: \"-1\") { cost { minor } } }",
            "hours",
        ),
        ("{ billingOverview(months: 0) { paid { minor } } }", "months"),
        (
            "mutation { createUser(username: \"x y\", password: \"long-enough-1\") { username } }",
            "username",
        ),
        (
            "mutation { createUser(username: \"carol\", password: \"short\") { username } }",
            "password",
        ),
    ];
    for (q, field) in cases {
        let r = api.run(Some(&admin), q, json!({})).await;
        assert_eq!(code(&r), Some("BAD_USER_INPUT"), "{q}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], json!(field), "{q}: {r}");
    }
}

#[tokio::test]
async fn error_bodies_keep_their_shape() {
    let api = Api::new().await;
    let alice = api.principal("alice").await;
    let admin = api.principal("admin").await;
    let mut bodies = Vec::new();
    for (who, q) in [
        (None, "{ me { username } }"),
        (Some(&alice), "{ users { username } }"),
        (Some(&alice), "{ receipt(id: \"42\") { id } }"),
        (
            Some(&admin),
            "mutation { createUser(username: \"alice\", password: \"long-enough-1\") { username } }",
        ),
        (
            Some(&admin),
            "{ quote(cpus: 1, memGb: \"1\", hours: \"-1\") { cost { minor } } }",
        ),
        (Some(&admin), "{ nosuchfield }"),
    ] {
        let r = api.run(who, q, json!({})).await;
        bodies.push(json!({"query": q, "errors": r["errors"]}));
    }
    insta::assert_json_snapshot!("error_bodies", bodies);
}
