//! The accept loop. It is hyper's own connection loop rather than `axum::serve` because a
//! dropped-connection fault needs a service that can fail: hyper then closes the connection
//! without writing a response, which is exactly what a client sees when a proxy drops it.

use std::{convert::Infallible, fmt};

use axum::{
    Router,
    body::Body,
    http::Request,
    response::{IntoResponse, Response},
};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::{faults::Verdict, state::AppState};

/// Returned by the service to make hyper close the connection.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// How long a connection may take to send a request head.
pub(crate) const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `router` on `listener` until the simulator shuts down.
pub(crate) async fn serve(listener: TcpListener, router: Router, shared: AppState) {
    let cancel = shared.cancel.clone();
    loop {
        let stream = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (router, shared, cancel) = (router.clone(), shared.clone(), cancel.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                handle(request, router.clone(), shared.clone())
            });
            // A client that opens a connection and never finishes its request head does not
            // hold it open forever.
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = cancel.cancelled() => {}
            }
        });
    }
}

async fn handle(
    request: Request<Incoming>,
    router: Router,
    shared: AppState,
) -> Result<Response, Dropped> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // The simulator's own routes (downloads, administration) are never faulted.
    // Counts the request out of `peak_in_flight` however it ends, dropped futures included.
    struct Answered(AppState);
    impl Drop for Answered {
        fn drop(&mut self) {
            self.0.faults().on_done();
        }
    }
    let mut _answered = None;
    if !path.starts_with("/__sim/") {
        let (delay, verdict) = shared.faults().on_request();
        _answered = Some(Answered(shared.clone()));
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match verdict {
            Verdict::Pass => {}
            Verdict::Respond(error) => {
                tracing::debug!(%method, %path, status = error.status.as_u16(), "injected error");
                return Ok(error.into_response());
            }
            Verdict::Drop => {
                tracing::debug!(%method, %path, "injected connection drop");
                return Err(Dropped);
            }
        }
    }
    let response = router
        .oneshot(request.map(Body::new))
        .await
        .unwrap_or_else(|never: Infallible| match never {});
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    Ok(response)
}
