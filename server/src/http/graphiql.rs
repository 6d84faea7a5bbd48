//! The GraphiQL page served on `GET /graphql` to browsers (when enabled). Every file it loads is
//! embedded in the binary (pinned copies under `ui/vendor/`, checked by their integrity hashes),
//! so it works on an air-gapped network; `ui/graphiql.js` starts it.

use super::assets::integrity;
use askama::Template;

/// A script the page loads, with its integrity hash.
struct Script {
    path: &'static str,
    integrity: &'static str,
}

/// The page (`server/templates/graphiql.html`).
#[derive(Template)]
#[template(path = "graphiql.html")]
struct GraphiqlPage<'a> {
    css: &'static str,
    own_css: &'static str,
    scripts: Vec<Script>,
    endpoint: &'a str,
    ws: &'a str,
}

/// HTML of the GraphiQL page for the given HTTP and WebSocket endpoint paths.
pub fn page(endpoint: &str, ws_endpoint: &str) -> String {
    let scripts = [
        "vendor/react/react.production.min.js",
        "vendor/react-dom/react-dom.production.min.js",
        "vendor/graphiql/graphiql.min.js",
        "graphiql.js",
    ]
    .into_iter()
    .map(|path| Script {
        path,
        integrity: integrity(path),
    })
    .collect();
    GraphiqlPage {
        css: integrity("vendor/graphiql/graphiql.min.css"),
        own_css: integrity("graphiql.css"),
        scripts,
        endpoint,
        ws: ws_endpoint,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the GraphiQL page");
        String::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_embedded_files_with_integrity() {
        let html = page("/graphql", "/graphql/ws");
        assert!(!html.contains("https://"), "no third-party hosts: {html}");
        assert!(!html.contains("<script>"), "no inline script");
        for src in html.split("src=\"").skip(1) {
            assert!(src.starts_with("/assets/"), "{src}");
        }
        assert_eq!(html.matches("integrity=\"sha384-").count(), 6, "{html}");
    }
}
