//! Mounts `ComputeService`, `grpc.health.v1.Health` and reflection (v1 and
//! v1alpha, so grpcurl and buf curl both work) on a listener the caller bound.
//! Reflection lists only ComputeService and health; it still answers itself.
//!
//! [`serve`] does it all on a TCP listener. [`Routes`] is the same service
//! set as a value, so plugin mode can add the go-plugin services and serve
//! its own (unix socket, TLS) connections. Both stop the same bounded way
//! (`drain.rs` lets go of the connections).

use std::{future::Future, sync::Arc};

use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpListener,
    sync::watch,
};
use tokio_stream::Stream;
use tonic::transport::{Server, ServerTlsConfig, server::Connected, server::Router};
use tonic_health::{ServingStatus, server::HealthReporter};
use tracing::{info, warn};

use crate::{
    proto,
    service::{ComputeService, caps::CallCaps},
};

mod calls;
pub mod connections;
mod drain;
mod metered;
mod methods;
mod options;
pub mod tls;

use drain::Severance;
use metered::Metered;
pub use options::{
    CONTEXT_CLEANUP_BUDGET, DEFAULT_DRAIN_LIMIT, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_HTTP2_KEEPALIVE_INTERVAL, DEFAULT_HTTP2_KEEPALIVE_TIMEOUT, DEFAULT_MAX_CALLS,
    DEFAULT_MAX_CALLS_PER_CALLER, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_STREAMS, ServerOptions,
};

/// Errors that stop the gRPC server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reflection could not load our descriptor set (a build defect).
    #[error("could not build the reflection service")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("the gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
}

/// ComputeService, health and reflection, ready to serve.
pub struct Routes {
    router: Router,
    health: HealthReporter,
    /// Health names other than ComputeService SERVING now, NOT_SERVING at
    /// shutdown.
    also_serving: Vec<&'static str>,
    service: ComputeService,
    /// The ComputeService calls admitted and the caps on them.
    caps: Arc<CallCaps>,
    options: ServerOptions,
}

/// Serves `service` on `listener` (over TLS when `tls` is given, within
/// the limits and budgets of `options`) until `shutdown` completes, then
/// stops as [`Routes::serve_with_incoming`] does. Health reports SERVING
/// once the server is mounted.
pub async fn serve(
    listener: TcpListener,
    service: ComputeService,
    tls: Option<ServerTlsConfig>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let routes = Routes::new(service, None, tls, options).await?;
    info!(address = ?listener.local_addr().ok(), "gRPC server ready");
    let incoming = connections::Incoming::new(listener, routes.options());
    let admission = incoming.admission().clone();
    let shutdown = async move {
        shutdown.await;
        // Connections that never spoke have no calls to drain.
        admission.close_waiting();
    };
    routes.serve_with_incoming(incoming, shutdown).await
}

/// Reflection over our services and health only; the reflection service
/// answers without listing itself.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .include_reflection_service(false)
}

// === impl Routes ===

impl Routes {
    /// Mounts `service` (with `max_message_size` as its decoding and
    /// encoding limit when given; tonic's default is 4 MiB to receive;
    /// every call counted and timed, see `metered.rs`),
    /// health with ComputeService SERVING, and reflection; connections are
    /// TLS when `tls` is given, within the limits of `options`.
    pub async fn new(
        service: ComputeService,
        max_message_size: Option<usize>,
        tls: Option<ServerTlsConfig>,
        options: ServerOptions,
    ) -> Result<Self, ServeError> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;
        let mut compute = service.clone().into_server();
        if let Some(limit) = max_message_size {
            compute = compute
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit);
        }
        let caps = CallCaps::new(options.call_limits);
        let compute = calls::Gated::new(compute, caps.clone(), service.is_pass_through());
        let mut server = Server::builder()
            .max_concurrent_streams(options.max_concurrent_streams)
            .http2_keepalive_interval(Some(options.http2_keepalive_interval))
            .http2_keepalive_timeout(Some(options.http2_keepalive_timeout));
        if let Some(tls) = tls {
            server = server.tls_config(tls)?;
        }
        let router = server
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(Metered::new(compute));
        health
            .set_serving::<proto::compute::compute_service_server::ComputeServiceServer<ComputeService>>()
            .await;
        Ok(Self {
            router,
            health,
            also_serving: vec![""],
            service,
            caps,
            options,
        })
    }

    /// The limits and budgets this server runs with.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// Marks `name` SERVING in health (and NOT_SERVING when shutdown starts).
    pub async fn set_serving(&mut self, name: &'static str) {
        self.health
            .set_service_status(name, ServingStatus::Serving)
            .await;
        self.also_serving.push(name);
    }

    /// Adds services to the router (e.g. `|router| router.add_service(svc)`).
    #[must_use]
    pub fn map_router(mut self, add: impl FnOnce(Router) -> Router) -> Self {
        self.router = add(self.router);
        self
    }

    /// Serves connections from `incoming` until `shutdown` completes, then
    /// stops within bounds: health turns NOT_SERVING first, then new calls
    /// are refused with UNAVAILABLE "server is shutting down", open streams
    /// end with it, and no new connection is accepted. In-flight calls may
    /// finish for the drain limit; once they have, the connections close
    /// (GOAWAY), and at the limit those still open are broken. Last, the
    /// execution contexts the server created are destroyed, within the
    /// context clean-up budget.
    pub async fn serve_with_incoming<I, IO, IE>(
        self,
        incoming: I,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError>
    where
        I: Stream<Item = Result<IO, IE>>,
        IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
        IE: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Self {
            router,
            health,
            also_serving,
            service,
            caps,
            options,
        } = self;
        let housekeeping = service.spawn_housekeeping();
        let (stopping, stop_accepting) = watch::channel(false);
        let (closing, close_connections) = watch::channel(false);
        let severance = Severance::new();
        // Once `incoming` ends (the calls drained), tonic closes gracefully.
        let served = router.serve_with_incoming_shutdown(
            severance.accepting_until(incoming, stop_accepting, close_connections),
            std::future::pending(),
        );
        tokio::pin!(served, shutdown);
        let served = tokio::select! {
            served = &mut served => served,
            () = &mut shutdown => {
                info!(drain_limit = ?options.drain_limit, "shutting down: NOT_SERVING, streams ended, no new connections");
                health
                    .set_not_serving::<proto::compute::compute_service_server::ComputeServiceServer<ComputeService>>()
                    .await;
                for name in also_serving {
                    health.set_service_status(name, ServingStatus::NotServing).await;
                }
                caps.begin_draining();
                service.begin_shutdown();
                stopping.send_replace(true);
                let drained = async {
                    tokio::select! {
                        // The server failed: nothing left to drain.
                        served = &mut served => served,
                        () = caps.drained() => {
                            info!("calls drained; closing the connections");
                            closing.send_replace(true);
                            (&mut served).await
                        }
                    }
                };
                match tokio::time::timeout(options.drain_limit, drained).await {
                    Ok(served) => served,
                    Err(_) => {
                        warn!(limit = ?options.drain_limit, "calls still in flight at the drain limit were dropped");
                        severance.sever();
                        Ok(())
                    }
                }
            }
        };
        housekeeping.abort();
        service
            .destroy_managed_contexts(options.context_cleanup_budget)
            .await;
        info!("gRPC server stopped");
        Ok(served?)
    }
}
