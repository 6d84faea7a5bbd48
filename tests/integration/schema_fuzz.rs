//! Schema-driven fuzzing of `/graphql` with schemathesis (PyPI): queries and mutations generated
//! from the introspected schema, as an admin and anonymously. No answer may be a server error,
//! and every error must carry an `extensions.code` (`tests/peers/schemathesis_graphql.py`).

use crate::both_backends;
use crate::harness::{skip, Backend, Server};
use std::path::PathBuf;

/// The Python with schemathesis, as `tests/run.sh` installs it.
async fn python() -> Option<String> {
    let python = std::env::var("HPC_BILLING_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = tokio::process::Command::new(&python)
        .args(["-c", "import schemathesis, pytest"])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    skip(
        "schemathesis",
        &format!("{python} cannot import schemathesis; `tests/run.sh` installs it and sets HPC_BILLING_TEST_PYTHON"),
    );
    None
}

async fn generated_requests_never_get_a_server_error_or_an_uncoded_error(backend: Backend) {
    let Some(python) = python().await else { return };
    let s = Server::start(backend).await;
    let token = s.admin().await.token.expect("token");
    let examples = std::env::var("HPC_BILLING_TEST_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "40".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/schemathesis_graphql.py");
    let out = tokio::process::Command::new(&python)
        .args(["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"])
        .arg(&script)
        .env("HPCB_URL", format!("{}/graphql", s.base))
        .env("HPCB_TOKEN", &token)
        .env("HPCB_EXAMPLES", &examples)
        .output()
        .await
        .expect("run pytest");
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text
        .lines()
        .find(|l| l.starts_with("schemathesis:"))
        .unwrap_or_default()
        .to_owned();
    hpcb_tests::figure(&format!("{backend:?}, {examples} examples per operation: {summary}"));
    assert!(
        out.status.success() && summary.contains(" 0 server errors, 0 errors without a code"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
both_backends!(generated_requests_never_get_a_server_error_or_an_uncoded_error);
