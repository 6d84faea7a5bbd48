//! The dependency rules of the architecture (docs/ARCHITECTURE.md), checked from
//! `cargo metadata` so a forbidden edge fails the build's tests, not a code review.

use serde_json::Value;
use std::collections::BTreeMap;

/// What each crate may depend on among the project's crates, and which external crates it must
/// not use directly.
fn rules() -> BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)> {
    let web = vec![
        "axum",
        "async-graphql",
        "async-graphql-axum",
        "abi_stable",
        "reqwest",
        "libloading",
    ];
    BTreeMap::from([
        ("hpcb-entities", (vec![], web.clone())),
        ("hpcb-migration", (vec![], web.clone())),
        ("hpcb-core", (vec!["hpcb-entities", "hpcb-migration"], web.clone())),
        (
            "hpcb-schema",
            (
                vec!["hpcb-core", "hpcb-entities"],
                vec!["axum", "async-graphql-axum", "abi_stable", "libloading"],
            ),
        ),
        (
            "hpcb-plugin-api",
            (vec![], vec!["axum", "async-graphql", "sea-orm", "tokio", "reqwest"]),
        ),
        (
            "hpcb-plugin-sdk",
            (
                vec!["hpcb-plugin-api"],
                vec!["axum", "async-graphql", "sea-orm", "tokio", "reqwest"],
            ),
        ),
        (
            "hpcb-plugin-host",
            (vec!["hpcb-plugin-api"], vec!["axum", "async-graphql", "sea-orm"]),
        ),
    ])
}

#[test]
fn crate_dependencies_point_one_way() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let project: Vec<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let rules = rules();
    let mut checked = 0;
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default();
        let deps: Vec<(String, String)> = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap_or_default().to_owned(),
                    d["kind"].as_str().unwrap_or("normal").to_owned(),
                )
            })
            .collect();
        let normal: Vec<&str> = deps
            .iter()
            .filter(|(_, k)| k == "normal")
            .map(|(n, _)| n.as_str())
            .collect();
        // Nothing but the black-box tests depends on the server.
        if name != "hpcb-tests" {
            assert!(!normal.contains(&"hpc-billing"), "{name} depends on the server crate");
        }
        let is_plugin = p["targets"].as_array().is_some_and(|ts| {
            ts.iter().any(|t| {
                t["crate_types"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|x| x == "cdylib"))
            })
        });
        if is_plugin {
            for d in &normal {
                if project.iter().any(|x| x == d) {
                    assert!(
                        d.starts_with("hpcb-plugin-") && *d != "hpcb-plugin-host",
                        "plugin {name} depends on {d}: plugins may only use the plugin api, the sdk \
                         and shared plugin libraries"
                    );
                }
            }
            checked += 1;
            continue;
        }
        let Some((allowed, forbidden)) = rules.get(name) else {
            continue;
        };
        for d in &normal {
            if project.iter().any(|x| x == d) {
                assert!(
                    allowed.contains(d),
                    "{name} must not depend on {d} (allowed: {allowed:?})"
                );
            }
            assert!(!forbidden.contains(d), "{name} must not use {d} directly");
        }
        checked += 1;
    }
    assert!(checked >= rules.len(), "checked {checked} crates");
}
