//! Fault injection, switchable per endpoint from tests: N× 503, 429 with
//! `Retry-After`, added latency, a connection reset mid-response, truncated
//! or malformed JSON, an HTML error page. Faults that stop a request before
//! the handler (503, 429, HTML) mean Databricks did nothing; the others let
//! the handler run first, so the request took effect but the answer is lost
//! or garbled — exactly the case where resending would duplicate work.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    body::{Body, Bytes, to_bytes},
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rand::Rng;

use super::EmulatorState;

/// One injected misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 `TEMPORARILY_UNAVAILABLE`, before the handler.
    Unavailable,
    /// 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After: <seconds>`, before the handler.
    TooManyRequests {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// A gateway's HTML 503 page, before the handler.
    HtmlErrorPage,
    /// The handler runs after this delay.
    Latency(Duration),
    /// The handler runs (the request takes effect); its answer is sent
    /// after this delay.
    SlowAnswer(Duration),
    /// The handler runs; the connection then breaks halfway through the body
    /// (a bodiless 204 is sent as a 200 whose empty body breaks).
    ResetMidResponse,
    /// The handler runs; the 200 body is cut in half.
    TruncatedJson,
    /// The handler runs; the 200 body is replaced by text that is not JSON.
    MalformedJson,
}

/// Faults waiting per path, plus an optional random fault rate.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    queued: Mutex<HashMap<String, VecDeque<Fault>>>,
    random: Mutex<HashMap<String, (f64, Vec<Fault>)>>,
    injected: AtomicUsize,
}

// === impl FaultPlan ===

impl FaultPlan {
    /// Queues `fault` for the next `times` requests to `path`.
    pub(crate) fn inject(&self, path: &str, fault: Fault, times: usize) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        queued
            .entry(path.to_owned())
            .or_default()
            .extend(std::iter::repeat_n(fault, times));
    }

    /// Gives each request to `path` probability `rate` of one of `faults`.
    pub(crate) fn inject_randomly(&self, path: &str, rate: f64, faults: Vec<Fault>) {
        let mut random = self.random.lock().unwrap_or_else(PoisonError::into_inner);
        random.insert(path.to_owned(), (rate, faults));
    }

    /// Removes every queued and random fault.
    pub(crate) fn clear(&self) {
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.random
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// How many faults have been injected so far.
    pub(crate) fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }

    fn next(&self, path: &str) -> Option<Fault> {
        let queued = self
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(path)
            .and_then(VecDeque::pop_front);
        let fault = queued.or_else(|| {
            let random = self.random.lock().unwrap_or_else(PoisonError::into_inner);
            let (rate, faults) = random.get(path)?;
            let mut rng = rand::rng();
            (!faults.is_empty() && rng.random_bool(rate.clamp(0.0, 1.0)))
                .then(|| faults[rng.random_range(0..faults.len())])
        })?;
        self.injected.fetch_add(1, Ordering::SeqCst);
        Some(fault)
    }
}

/// Middleware: applies the next fault planned for the request's path.
pub(crate) async fn inject(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(fault) = state.faults().next(request.uri().path()) else {
        return next.run(request).await;
    };
    tracing::debug!(path = request.uri().path(), ?fault, "injecting a fault");
    let json = |status: StatusCode, body: &'static str| {
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    match fault {
        Fault::Unavailable => json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"The service is temporarily unavailable. Please try again later."}"#,
        ),
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = json(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"Your request was rejected because the workspace exceeded the request rate limit. Please retry later."}"#,
            );
            response.headers_mut().insert(header::RETRY_AFTER, retry_after_secs.into());
            response
        }
        Fault::HtmlErrorPage => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html;charset=utf-8")],
            "<html><head><title>Error 503 Service Unavailable</title></head><body><h2>HTTP ERROR 503</h2><pre>    Service Unavailable</pre></body></html>",
        )
            .into_response(),
        Fault::Latency(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::SlowAnswer(delay) => {
            let response = next.run(request).await;
            tokio::time::sleep(delay).await;
            response
        }
        Fault::ResetMidResponse | Fault::TruncatedJson | Fault::MalformedJson => {
            let response = next.run(request).await;
            garble(response, fault).await
        }
    }
}

/// Replaces the body of a response the handler produced.
async fn garble(response: Response, fault: Fault) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match fault {
        Fault::ResetMidResponse => {
            // A 204 has no body to break, so the reset would go unseen: the
            // answer becomes a 200 whose (empty) body then breaks.
            if parts.status == StatusCode::NO_CONTENT {
                parts.status = StatusCode::OK;
            }
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ];
            Body::from_stream(tokio_stream::iter(chunks))
        }
        Fault::TruncatedJson => {
            parts.status = StatusCode::OK;
            Body::from(half)
        }
        _ => {
            parts.status = StatusCode::OK;
            Body::from("<<this is not JSON>>")
        }
    };
    Response::from_parts(parts, body)
}
