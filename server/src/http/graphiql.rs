//! The GraphiQL page served on `GET /graphql` to browsers (when enabled). The page loads
//! GraphiQL's assets from its public CDN; the API itself never depends on it.

/// HTML of the GraphiQL page for the given HTTP and WebSocket endpoints.
pub fn page(endpoint: &str, ws_endpoint: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hpc-billing GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
<style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
  const csrf = (document.cookie.match(/(?:^|; )hpcb_csrf=([^;]+)/) || [])[1];
  const wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + {ws:?};
  const fetcher = GraphiQL.createFetcher({{
    url: {http:?},
    subscriptionUrl: wsUrl,
    headers: csrf ? {{ 'X-CSRF-Token': csrf }} : {{}},
  }});
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, {{ fetcher }}));
</script>
</body>
</html>"#,
        http = endpoint,
        ws = ws_endpoint
    )
}
