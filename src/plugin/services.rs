//! The go-plugin services a host calls besides ours: `GRPCController`
//! (Shutdown), `GRPCStdio` and `GRPCBroker`. The two streams stay open,
//! sending nothing, until the plugin stops: our logs go to stderr directly,
//! and we broker no extra connections.

use std::pin::Pin;

use tokio::sync::watch;
use tokio_stream::{Stream, StreamExt as _, wrappers::WatchStream};
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, info};

use super::proto::{
    ConnInfo, Empty, StdioData,
    grpc_broker_server::{GrpcBroker, GrpcBrokerServer},
    grpc_controller_server::{GrpcController, GrpcControllerServer},
    grpc_stdio_server::{GrpcStdio, GrpcStdioServer},
};

/// A stream that sends nothing and ends when the plugin starts stopping.
pub type HeldOpen<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// `plugin.GRPCController`: Shutdown flips the stop switch.
#[derive(Debug, Clone)]
pub struct Controller {
    stop: watch::Sender<bool>,
}

/// `plugin.GRPCStdio` and `plugin.GRPCBroker`: held-open streams.
#[derive(Debug, Clone)]
pub struct HostStreams {
    stopping: watch::Receiver<bool>,
}

/// The three services, sharing the stop switch `stop` (true = stopping).
pub fn host_services(
    stop: &watch::Sender<bool>,
) -> (
    GrpcControllerServer<Controller>,
    GrpcStdioServer<HostStreams>,
    GrpcBrokerServer<HostStreams>,
) {
    let streams = HostStreams {
        stopping: stop.subscribe(),
    };
    (
        GrpcControllerServer::new(Controller { stop: stop.clone() }),
        GrpcStdioServer::new(streams.clone()),
        GrpcBrokerServer::new(streams),
    )
}

// === impl Controller ===

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        info!("the host asked the plugin to shut down");
        // The reply still goes out: the server drains in-flight calls.
        self.stop.send_replace(true);
        Ok(Response::new(Empty {}))
    }
}

// === impl HostStreams ===

impl HostStreams {
    fn held_open<T: Send + 'static>(&self) -> HeldOpen<T> {
        let stream = WatchStream::new(self.stopping.clone())
            .take_while(|stopping| !*stopping)
            .filter_map(|_| None);
        Box::pin(stream)
    }
}

#[tonic::async_trait]
impl GrpcStdio for HostStreams {
    type StreamStdioStream = HeldOpen<StdioData>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        debug!("the host opened the stdio stream");
        Ok(Response::new(self.held_open()))
    }
}

#[tonic::async_trait]
impl GrpcBroker for HostStreams {
    type StartStreamStream = HeldOpen<ConnInfo>;

    async fn start_stream(
        &self,
        _request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        debug!("the host opened the broker stream");
        Ok(Response::new(self.held_open()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_replies_and_ends_the_held_streams() {
        let (stop, _) = watch::channel(false);
        let controller = Controller { stop: stop.clone() };
        let streams = HostStreams {
            stopping: stop.subscribe(),
        };
        let mut stdio = streams.held_open::<StdioData>();
        let reply = controller.shutdown(Request::new(Empty {})).await.unwrap();
        assert_eq!(reply.into_inner(), Empty {});
        assert!(*stop.borrow());
        assert!(
            stdio.next().await.is_none(),
            "the stream ends, sending nothing"
        );
    }
}
