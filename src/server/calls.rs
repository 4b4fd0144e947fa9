//! The entry of every ComputeService call, as one tower layer around the
//! generated server: a `call` span (gRPC method, call id and any valid W3C
//! `traceparent`) that every log line of the call carries, then admission
//! against the caps ([`CallCaps`]): a call beyond a cap, or any call once
//! shutdown started, is answered at once with its status from the error
//! table and never reaches the service. An admitted call holds its slots
//! until its response body is done (its last frame, the status, is about to
//! go out) or dropped, so a stream counts until it ends.

use std::{
    net::IpAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::future::BoxFuture;
use http_body::{Frame, SizeHint};
use tonic::{
    Status,
    body::Body,
    server::NamedService,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};
use tower::Service;
use tracing::{Instrument as _, Span, field, info_span};

use crate::{
    databricks::{TRACEPARENT, TraceParent},
    service::{
        CallerIdentity,
        caps::{Admitted, CallCaps, CallKind},
    },
};

/// Ids of calls, unique in this process.
static NEXT_CALL_ID: AtomicU64 = AtomicU64::new(1);

/// What every call's entry shares.
#[derive(Debug)]
struct Entry {
    caps: Arc<CallCaps>,
    pass_through: bool,
}

/// `inner` (the ComputeService server) behind the call entry.
#[derive(Debug, Clone)]
pub(super) struct Gated<S> {
    inner: S,
    entry: Arc<Entry>,
}

/// A response body that keeps its call's slots until it is done, and its
/// span.
struct Counted {
    body: Body,
    span: Span,
    /// `None` once the body is done.
    admitted: Option<Admitted>,
}

// === impl Gated ===

impl<S> Gated<S> {
    /// `inner` behind `caps`; `pass_through` tells how callers are told
    /// apart (see [`CallerIdentity`]).
    pub(super) fn new(inner: S, caps: Arc<CallCaps>, pass_through: bool) -> Self {
        Self {
            inner,
            entry: Arc::new(Entry { caps, pass_through }),
        }
    }
}

impl<S: NamedService> NamedService for Gated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for Gated<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The clone is ready only if polled; the one polled is taken.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let entry = self.entry.clone();
        let method = request.uri().path().to_owned();
        let span = call_span(&method, &request);
        let kind = if super::methods::is_streaming(&method) {
            CallKind::Stream
        } else {
            CallKind::Unary
        };
        let caller = CallerIdentity::of(
            entry.pass_through,
            request
                .headers()
                .get(http::header::AUTHORIZATION)
                .map(|value| value.as_bytes()),
            peer_ip(&request),
        );
        let admitted = entry.caps.admit(kind, caller.hash());
        Box::pin(
            async move {
                let admitted = match admitted {
                    Ok(admitted) => admitted,
                    Err(refused) => {
                        // Debug only: under overload these come by the thousand;
                        // dbgrpc_calls_refused_total counts them.
                        tracing::debug!(cap = refused.label(), "call refused");
                        return Ok(Status::from(refused).into_http());
                    }
                };
                let response = inner.call(request).await?;
                let span = Span::current();
                Ok(response.map(|body| {
                    Body::new(Counted {
                        body,
                        span,
                        admitted: Some(admitted),
                    })
                }))
            }
            .instrument(span),
        )
    }
}

/// The span of one call: its method, a call id, and its `traceparent`
/// when the caller sent a valid one (an invalid one is dropped).
fn call_span<B>(method: &str, request: &http::Request<B>) -> Span {
    let call_id = NEXT_CALL_ID.fetch_add(1, Ordering::Relaxed);
    let span = info_span!("call", %method, call_id, traceparent = field::Empty);
    let traceparent = request
        .headers()
        .get(TRACEPARENT)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| TraceParent::parse(value.trim()));
    if let Some(traceparent) = traceparent {
        span.record("traceparent", field::display(traceparent));
    }
    span
}

/// The caller's IP address, over TCP with or without TLS.
fn peer_ip<B>(request: &http::Request<B>) -> Option<IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|tls| tls.get_ref().remote_addr())
        })
        .map(|address| address.ip())
}

// === impl Counted ===

impl http_body::Body for Counted {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        let done = match &frame {
            Poll::Ready(Some(Ok(frame))) => frame.is_trailers(),
            Poll::Ready(_) => true,
            Poll::Pending => false,
        };
        if done {
            // Before the status reaches the caller, so that a caller told
            // its call ended may start another in its slot.
            this.admitted = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
