//! [`Metered`]: a tower service around a gRPC service that counts every
//! call by method and final code and times it, when it ends: a unary call
//! when its response is sent, a stream when its last message and trailers
//! are, or when the caller goes away (CANCELLED).
//!
//! The code is the `grpc-status` of the response headers (a trailers-only
//! error) or of its trailers. The method label is the gRPC method name
//! (`databricks.compute.v1.ComputeService/Install`) when it is one
//! of ours, else `unknown`, so that a caller cannot grow the label set.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use metrics::{counter, histogram};
use tokio::time::Instant;
use tonic::{Code, body::Body, server::NamedService};
use tower::Service;

use crate::telemetry::series;

/// The method label of a path that is not one of our methods.
const UNKNOWN_METHOD: &str = "unknown";

/// `inner`, with its calls counted and timed.
#[derive(Debug, Clone)]
pub(super) struct Metered<S> {
    inner: S,
}

/// A response body that records its call when it ends or is dropped.
struct MeteredBody {
    inner: Body,
    call: Option<Call>,
}

/// A call not yet recorded.
struct Call {
    method: String,
    started: Instant,
    code: Option<Code>,
}

// === impl Metered ===

impl<S> Metered<S> {
    pub(super) fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S: NamedService> NamedService for Metered<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Metered<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<http::Response<Body>, S::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = method_label(request.uri().path());
        let started = Instant::now();
        let responding = self.inner.call(request);
        Box::pin(async move {
            let response = responding.await?;
            let code = grpc_status(response.headers());
            let call = Call {
                method,
                started,
                code,
            };
            Ok(response.map(|inner| {
                Body::new(MeteredBody {
                    inner,
                    call: Some(call),
                })
            }))
        })
    }
}

/// The method label of a request `path` (`/package.Service/Method`).
fn method_label(path: &str) -> String {
    super::methods::name_of(path)
        .unwrap_or(UNKNOWN_METHOD)
        .to_owned()
}

/// The `grpc-status` in `headers`, if any.
fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    value.parse::<i32>().ok().map(Code::from)
}

// === impl MeteredBody ===

impl MeteredBody {
    fn record(&mut self, fallback: Code) {
        let Some(call) = self.call.take() else {
            return;
        };
        let code = code_name(call.code.unwrap_or(fallback));
        counter!(series::GRPC_CALLS, "method" => call.method.clone(), "code" => code).increment(1);
        histogram!(series::GRPC_CALL_SECONDS, "method" => call.method)
            .record(call.started.elapsed().as_secs_f64());
    }
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    if let Some(call) = self.call.as_mut() {
                        call.code = Some(code);
                    }
                }
            }
            // A body that ends without a grpc-status broke the protocol.
            Poll::Ready(None) => self.record(Code::Unknown),
            Poll::Ready(Some(Err(_))) => self.record(Code::Internal),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    /// Recorded at the trailers' end if seen, else the caller went away.
    fn drop(&mut self) {
        self.record(Code::Cancelled);
    }
}

/// The canonical name of `code`, as gRPC documents it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;
    use http_body_util::{BodyExt as _, StreamBody};
    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::*;

    const METHOD: &str = "databricks.compute.v1.ComputeService/WatchCluster";

    /// What `record` records, rendered by a recorder of its own (this
    /// thread only, so other tests' calls never show).
    fn rendered(record: impl FnOnce()) -> String {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, record);
        handle.render()
    }

    fn metered(inner: Body, code: Option<Code>) -> MeteredBody {
        MeteredBody {
            inner,
            call: Some(Call {
                method: METHOD.to_owned(),
                started: Instant::now(),
                code,
            }),
        }
    }

    /// A body of one message and trailers with `grpc-status: status`.
    fn streamed(status: &'static str) -> Body {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static(status));
        let frames = futures_util::stream::iter([
            Ok::<_, tonic::Status>(Frame::data(Bytes::from_static(b"message"))),
            Ok(Frame::trailers(trailers)),
        ]);
        Body::new(StreamBody::new(frames))
    }

    fn read_to_end(mut body: MeteredBody) {
        while let Some(frame) = body.frame().now_or_never().flatten() {
            assert!(frame.is_ok());
        }
    }

    fn counted(text: &str, code: &str) -> bool {
        text.lines().any(|line| {
            line.starts_with(series::GRPC_CALLS)
                && line.contains(&format!("method=\"{METHOD}\""))
                && line.contains(&format!("code=\"{code}\""))
        })
    }

    #[test]
    fn only_our_methods_are_labels() {
        assert_eq!(
            method_label("/databricks.compute.v1.ComputeService/Install"),
            "databricks.compute.v1.ComputeService/Install"
        );
        assert_eq!(
            method_label("/databricks.compute.v1.ComputeService/NoSuchMethod"),
            UNKNOWN_METHOD
        );
        assert_eq!(method_label("/anything/else"), UNKNOWN_METHOD);
    }

    #[test]
    fn a_stream_is_counted_with_the_code_of_its_trailers() {
        let text = rendered(|| read_to_end(metered(streamed("5"), None)));
        assert!(counted(&text, "NOT_FOUND"), "{text}");
        assert!(text.contains(series::GRPC_CALL_SECONDS), "{text}");
    }

    #[test]
    fn a_trailers_only_answer_is_counted_with_the_code_of_its_headers() {
        let text = rendered(|| drop(metered(Body::empty(), Some(Code::InvalidArgument))));
        assert!(counted(&text, "INVALID_ARGUMENT"), "{text}");
    }

    #[test]
    fn a_stream_the_caller_leaves_is_cancelled() {
        let text = rendered(|| {
            let mut body = metered(streamed("0"), None);
            let first = body.frame().now_or_never().flatten();
            assert!(first.is_some_and(|frame| frame.is_ok_and(|frame| frame.is_data())));
            drop(body);
        });
        assert!(counted(&text, "CANCELLED"), "{text}");
        assert!(!counted(&text, "OK"), "{text}");
    }

    #[test]
    fn a_call_is_counted_once() {
        let text = rendered(|| read_to_end(metered(streamed("0"), None)));
        let line = text
            .lines()
            .find(|line| line.starts_with(series::GRPC_CALLS) && line.contains("code=\"OK\""));
        assert!(line.is_some_and(|line| line.ends_with(" 1")), "{text}");
    }
}
