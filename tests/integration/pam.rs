//! Signing in with a cluster account through PAM (build feature `pam`). `.ci/run` creates a real
//! Unix account with a password and a PAM service file; elsewhere the test says it was skipped.

use crate::both_backends;
use crate::harness::{error_code, Backend, Server};
use serde_json::json;

fn pam_account() -> Option<(String, String, String)> {
    let user = std::env::var("HPC_BILLING_TEST_PAM_USER").ok();
    let pass = std::env::var("HPC_BILLING_TEST_PAM_PASSWORD").ok();
    let service = std::env::var("HPC_BILLING_TEST_PAM_SERVICE").ok();
    match (user, pass, service) {
        (Some(u), Some(p), Some(s)) => Some((u, p, s)),
        _ => {
            crate::harness::skip(
                "pam",
                "no PAM test account: `tests/run.sh` run as root creates one and sets HPC_BILLING_TEST_PAM_USER/PASSWORD/SERVICE",
            );
            None
        }
    }
}

async fn a_cluster_account_signs_in_through_pam(backend: Backend) {
    let Some((user, pass, service)) = pam_account() else {
        return;
    };
    let s = Server::start_with(
        backend,
        &[
            ("HPC_BILLING_AUTH_PAM_ENABLED", "true"),
            ("HPC_BILLING_AUTH_PAM_SERVICE", &service),
        ],
    )
    .await;
    let login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { username role authSource } } }";
    let wrong = s
        .client()
        .gql(login, json!({"u": user, "p": "definitely-not-it"}))
        .await;
    assert_eq!(error_code(&wrong).as_deref(), Some("UNAUTHENTICATED"), "{wrong}");
    let ok = s.client().gql(login, json!({"u": user, "p": pass})).await;
    assert_eq!(
        ok["data"]["login"]["user"],
        json!({"username": user, "role": "USER", "authSource": "pam"}),
        "{ok}"
    );
    let unknown = s
        .client()
        .gql(login, json!({"u": "no-such-unix-user", "p": pass}))
        .await;
    assert_eq!(error_code(&unknown).as_deref(), Some("UNAUTHENTICATED"), "{unknown}");
    // Local accounts keep working beside PAM.
    s.admin().await;
}
both_backends!(a_cluster_account_signs_in_through_pam);
