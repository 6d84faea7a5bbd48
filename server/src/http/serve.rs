//! The accept loop, with the bounds a server on an open network needs (HTTP/1.1 through hyper):
//!
//! - at most `server.max_connections` open connections, and `server.max_connections_per_address`
//!   from one client address (trusted proxies excepted); a connection over either bound is
//!   closed at once (counted in
//!   `http_connections_refused_total`);
//! - `server.header_read_timeout_secs` to send a request's headers, counted from when the server
//!   is ready to read them, so it also closes keep-alive connections that sit idle and clients
//!   that trickle headers;
//! - request bodies must arrive within `server.body_timeout_secs` (a layer in the router);
//! - on shutdown, idle connections close and open requests finish (the caller bounds the wait).
//!
//! WebSocket connections leave this loop when they upgrade; `ws.rs` bounds them on its own.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::IntCounterVec;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt as _;

/// The bounds of the accept loop.
#[derive(Clone, Debug)]
pub struct ConnLimits {
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections from one address at most.
    pub max_per_address: usize,
    /// Time to send a request's headers (and longest idle keep-alive).
    pub header_read_timeout: Duration,
    /// Addresses not bound per address: the trusted reverse proxies, through which every
    /// client comes.
    pub exempt: Vec<IpAddr>,
}

/// Open connections per client address; a slot gives its count back when dropped.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

struct AddressSlot {
    table: PerAddress,
    ip: IpAddr,
}

impl PerAddress {
    fn take(&self, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `stop` turns true, then stops accepting, asks every open
/// connection to close after its current request, and returns once all have (the caller puts
/// a deadline on that).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    refused: IntCounterVec,
    mut stop: watch::Receiver<bool>,
) {
    let total = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = PerAddress::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let Ok(permit) = Arc::clone(&total).try_acquire_owned() else {
            refused.with_label_values(&["server_full"]).inc();
            continue;
        };
        let slot = if limits.exempt.contains(&peer.ip()) {
            None
        } else {
            let Some(slot) = per_address.take(peer.ip(), limits.max_per_address) else {
                refused.with_label_values(&["address_full"]).inc();
                continue;
            };
            Some(slot)
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let mut stop = stop.clone();
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .max_buf_size(64 * 1024);
            let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let done = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = stop.wait_for(|s| *s) => None,
            };
            if done.is_none() {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            drop(slot);
            drop(permit);
        });
    }
    drop(listener);
    // Every connection gives its permit back when it ends.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = total.acquire_many(all).await;
}
