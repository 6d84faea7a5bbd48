//! The files of `ui/`, embedded at build time (`server/build.rs`), served under `/assets/` with
//! an `ETag` (a `304` when the browser has them) and by the page routes.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path below `ui/`, with `/` separators.
    pub path: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// `sha384-…`, for `integrity` attributes of the pages that load it.
    pub integrity: &'static str,
    /// A strong validator derived from the content.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// The embedded file at `path` (below `ui/`).
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .and_then(|i| ASSETS.get(i))
}

/// The `integrity` value of an embedded file; empty (the browser then checks nothing) only if
/// the file is missing, which the tests rule out for every page.
pub fn integrity(path: &str) -> &'static str {
    find(path).map_or("", |a| a.integrity)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Sends an embedded file with `status`, or `304` when the request's `If-None-Match` has it.
pub fn respond(asset: &'static Asset, headers: &HeaderMap, status: StatusCode) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag || tag.trim() == "*"));
    let etag = HeaderValue::from_static(asset.etag);
    // Revalidated on every use: cheap (a 304) and never stale after an upgrade.
    let cache = HeaderValue::from_static("no-cache");
    if fresh && status == StatusCode::OK {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(asset.path))),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        asset.bytes,
    )
        .into_response()
}

/// Where `server.ui_dir` points, when set: files are then read from there on every request.
static DEV_DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Serves `ui/` from `dir` instead of the built-in copy (`server.ui_dir`); set once at start.
pub fn serve_from_dir(dir: std::path::PathBuf) {
    let _ = DEV_DIR.set(dir);
}

/// The file at `path` below `ui/` with `status`: from `server.ui_dir` when set, else the
/// built-in copy; `None` when there is no such file.
pub fn file(path: &str, headers: &HeaderMap, status: StatusCode) -> Option<Response> {
    let Some(dir) = DEV_DIR.get() else {
        return find(path).map(|asset| respond(asset, headers, status));
    };
    // Only plain relative names: nothing outside the directory is ever read.
    if path.split('/').any(|part| part.is_empty() || part.starts_with('.')) {
        return None;
    }
    let bytes = std::fs::read(dir.join(path)).ok()?;
    Some(
        (
            status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            bytes,
        )
            .into_response(),
    )
}

/// `GET /assets/{*path}`.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match file(&path, &headers, StatusCode::OK) {
        Some(response) => response,
        None => super::health::not_found().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graphiql_files_are_embedded_and_sorted() {
        for path in [
            "vendor/react/react.production.min.js",
            "vendor/react-dom/react-dom.production.min.js",
            "vendor/graphiql/graphiql.min.js",
            "vendor/graphiql/graphiql.min.css",
            "graphiql.js",
        ] {
            let a = find(path).unwrap_or_else(|| panic!("{path} is not embedded"));
            assert!(a.integrity.starts_with("sha384-"), "{path}");
        }
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        assert!(find("vendor/manifest.tsv").is_none(), "only web files are served");
    }
}
