//! Serving HTTP/1.1 with limits that hold against hostile clients (feature
//! `serve`): what `ramcheck serve` and the gateway example run on.
//!
//! A decision service is only as available as its slowest client lets it
//! be. `axum::serve` sets no timer, so a client that sends half a header and
//! waits holds its connection forever; a few thousand of them exhaust file
//! descriptors and real requests time out. Here every connection has a
//! deadline for its headers (also while idle between keep-alive requests),
//! bodies are read within a deadline and a size, and connections past a
//! limit wait in the kernel's backlog instead of being accepted. The
//! values are in SECURITY.md.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// What one server allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers, counted from when the server
    /// starts waiting for them (so it also bounds an idle keep-alive
    /// connection).
    pub header_timeout: Duration,
    /// Time to send a request's body once its headers are in.
    pub body_timeout: Duration,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time requests in flight get to finish when the server stops.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why a request body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is over [`Limits::max_body_bytes`], the limit given.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body did not arrive within [`Limits::body_timeout`], the time given.
    #[error("the request body did not arrive within {0:?}")]
    TooSlow(Duration),
    /// The connection failed while the body was read; the text says how.
    #[error("the request body could not be read: {0}")]
    Broken(String),
}

/// Reads a whole request body within `limits`.
pub async fn read_body(body: Body, limits: &Limits) -> Result<Bytes, BodyError> {
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => Err(BodyError::TooSlow(limits.body_timeout)),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            // axum reports an over-long body as a length-limit error.
            let text = e.to_string();
            if text.contains("length limit") {
                Err(BodyError::TooLarge(limits.max_body_bytes))
            } else {
                Err(BodyError::Broken(text))
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (for up to [`Limits::shutdown_grace`]). Each
/// request carries its peer address as [`ConnectInfo<SocketAddr>`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot first: past the limit, connections wait in the backlog.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors or a connection reset before it
                    // was accepted: wait a moment rather than spin.
                    eprintln!("ramcheck: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_headers(100);
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or stalls ends its own connection.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
    Ok(())
}
