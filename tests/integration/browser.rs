//! Browsers get pages and API clients keep JSON; GraphiQL works without any network but this
//! server's, with introspection under the default limits and CSRF after an in-page login.

use crate::harness::{skip, Backend, Server, ADMIN_PASSWORD};
use reqwest::header::{ACCEPT, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use std::path::PathBuf;

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn browsers_get_pages_and_api_clients_keep_json() {
    let s = Server::start(Backend::Sqlite).await;
    let http = no_redirects();

    let page = http
        .get(format!("{}/", s.base))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(header(&page, CONTENT_TYPE).starts_with("text/html"));
    let csp = header(&page, CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header(&page, reqwest::header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    let html = page.text().await.expect("body");
    assert!(
        html.contains("href=\"/signin\"") && html.contains("href=\"/graphql\""),
        "{html}"
    );

    let api = http.get(format!("{}/", s.base)).send().await.expect("GET / as API");
    assert_eq!(api.status(), 200);
    assert_eq!(header(&api, CONTENT_TYPE), "application/json");
    let index: serde_json::Value = api.json().await.expect("json");
    assert_eq!(index["graphql"], "/graphql");

    // A receipt link opened without a session: the sign-in page, which returns to it.
    let link = format!("{}/receipts/7?lang=th", s.base);
    let r = http
        .get(&link)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("receipt");
    assert_eq!(r.status(), 303);
    assert_eq!(header(&r, LOCATION), "/signin?next=/receipts/7%3Flang%3Dth");
    let signin = http
        .get(format!("{}/signin?next=/receipts/7", s.base))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("signin");
    assert_eq!(signin.status(), 200);
    let html = signin.text().await.expect("body");
    assert!(
        html.contains("type=\"password\"") && html.contains("/assets/signin.js"),
        "{html}"
    );
    let r = http.get(&link).send().await.expect("receipt as API");
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, CONTENT_TYPE), "application/json");

    // Another user's receipt, or no receipt at all: a not-found page, not JSON.
    let admin = s.admin().await;
    let token = admin.token.clone().expect("admin token");
    let r = http
        .get(format!("{}/receipts/999999", s.base))
        .header(ACCEPT, BROWSER_ACCEPT)
        .bearer_auth(&token)
        .send()
        .await
        .expect("missing receipt");
    assert_eq!(r.status(), 404);
    assert!(header(&r, CONTENT_TYPE).starts_with("text/html"));
    let r = http
        .get(format!("{}/no/such/page", s.base))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("unknown page");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("body").contains("Not found"));
    let r = http
        .get(format!("{}/no/such/page", s.base))
        .send()
        .await
        .expect("unknown path");
    assert_eq!(r.status(), 404);
    assert_eq!(header(&r, CONTENT_TYPE), "application/json");

    // Embedded files are revalidated cheaply.
    let js = http
        .get(format!("{}/assets/graphiql.js", s.base))
        .send()
        .await
        .expect("asset");
    assert_eq!(js.status(), 200);
    let etag = header(&js, reqwest::header::ETAG);
    let again = http
        .get(format!("{}/assets/graphiql.js", s.base))
        .header(reqwest::header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("asset again");
    assert_eq!(again.status(), 304);
}

fn node_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if dir.join("node_modules").join("playwright-core").exists() {
        return Some(dir);
    }
    skip(
        "npm peers",
        "tests/node/node_modules is missing; run `npm ci --prefix tests/node`",
    );
    None
}

#[tokio::test]
async fn introspection_passes_under_the_default_limits() {
    let Some(dir) = node_dir() else { return };
    let s = Server::start(Backend::Sqlite).await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("introspect.mjs"))
        .arg(format!("{}/graphql", s.base))
        .output()
        .await
        .expect("run node");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.starts_with("ok "),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn graphiql_works_offline_and_keeps_csrf_after_an_in_page_login() {
    let Some(dir) = node_dir() else { return };
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        skip(
            "chromium",
            "no Chromium at /usr/bin/chromium (apt-get install chromium; tests/run.sh does as root)",
        );
        return;
    }
    let s = Server::start_with(Backend::Sqlite, &[("HPC_BILLING_GRAPHQL_GRAPHIQL", "true")]).await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("graphiql.mjs"))
        .args([s.base.as_str(), "admin", ADMIN_PASSWORD])
        .output()
        .await
        .expect("run node");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
    assert_eq!(report["offsite"], serde_json::json!([]), "{report}");
    assert!(report["types"].as_u64().unwrap_or(0) > 20, "{report}");
    assert_eq!(report["mutation"]["data"]["logout"], true, "{report}");
}

/// The pages of `ui/` carry no inline script or inline event handler: the CSP
/// (`script-src 'self'`) would block them, so they could only be dead code or a mistake.
#[test]
fn ui_pages_have_no_inline_script() {
    fn html_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read ui").flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("vendor") {
                html_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    html_files(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui"), &mut files);
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let html = std::fs::read_to_string(&file).expect("read page").to_lowercase();
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..html[at..].find('>').map_or(html.len(), |end| at + end)];
            assert!(tag.contains(" src="), "{}: inline script {tag}", file.display());
        }
        for handler in [
            " onclick=",
            " onload=",
            " onerror=",
            " onsubmit=",
            " onchange=",
            "javascript:",
        ] {
            assert!(!html.contains(handler), "{}: inline handler {handler}", file.display());
        }
    }
}

/// The dashboard's files go out compressed (brotli or gzip, as the client asks) with an ETag,
/// and its page with the strict CSP.
#[tokio::test]
async fn dashboard_files_are_compressed_cached_and_under_the_csp() {
    let s = Server::start(Backend::Sqlite).await;
    let http = reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .expect("client");
    for (encoding, expected) in [("br", "br"), ("gzip", "gzip"), ("identity", "")] {
        let r = http
            .get(format!("{}/assets/vendor/uplot/uPlot.esm.js", s.base))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), 200);
        let got = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        assert_eq!(got, expected, "asked for {encoding}");
        assert!(r.headers().contains_key("etag"));
        let body = r.bytes().await.expect("body");
        if expected.is_empty() {
            assert!(body.len() > 100_000, "{}", body.len());
        } else {
            assert!(body.len() < 60_000, "{encoding}: {} bytes", body.len());
        }
    }
    let page = http
        .get(format!("{}/", s.base))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("page");
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("/assets/app/main.js"), "{html}");
}
