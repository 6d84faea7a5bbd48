//! The GraphiQL page served on `GET /graphql` to browsers (when enabled). Every file it loads is
//! embedded in the binary (pinned copies under `ui/vendor/`, checked by their integrity hashes),
//! so it works on an air-gapped network; `ui/graphiql.js` starts it.

use super::assets::integrity;

/// HTML of the GraphiQL page for the given HTTP and WebSocket endpoint paths.
pub fn page(endpoint: &str, ws_endpoint: &str) -> String {
    let script = |path: &str| {
        format!(
            r#"<script defer src="/assets/{path}" integrity="{}"></script>"#,
            integrity(path)
        )
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hpc-billing GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/vendor/graphiql/graphiql.min.css" integrity="{css}">
<link rel="stylesheet" href="/assets/graphiql.css" integrity="{own_css}">
{react}
{react_dom}
{graphiql}
{start}
</head>
<body>
<div id="graphiql" data-endpoint="{http}" data-ws="{ws}">Loading GraphiQL…</div>
</body>
</html>"#,
        css = integrity("vendor/graphiql/graphiql.min.css"),
        own_css = integrity("graphiql.css"),
        react = script("vendor/react/react.production.min.js"),
        react_dom = script("vendor/react-dom/react-dom.production.min.js"),
        graphiql = script("vendor/graphiql/graphiql.min.js"),
        start = script("graphiql.js"),
        http = attribute(endpoint),
        ws = attribute(ws_endpoint),
    )
}

/// Escapes text for a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
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
