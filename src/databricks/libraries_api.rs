//! Libraries API 2.0 on [`Client`].

use tracing::instrument;

use super::{
    CallOptions, Client, Error,
    models::{
        AllClusterStatuses, ClusterLibraryStatuses, ClusterSink, EachCluster, LibrariesRequest,
    },
    retry::Resend,
};
use crate::telemetry::excerpt;

// === impl Client ===

impl Client {
    /// `POST /api/2.0/libraries/install`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), libraries = request.libraries.len()))]
    pub async fn install(
        &self,
        request: &LibrariesRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>(
            "/api/2.0/libraries/install",
            request,
            options,
            Resend::Safe,
        )
        .await
        .map(drop)
    }

    /// `POST /api/2.0/libraries/uninstall`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), libraries = request.libraries.len()))]
    pub async fn uninstall(
        &self,
        request: &LibrariesRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>(
            "/api/2.0/libraries/uninstall",
            request,
            options,
            Resend::Safe,
        )
        .await
        .map(drop)
    }

    /// `GET /api/2.0/libraries/cluster-status?cluster_id=`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn cluster_status(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<ClusterLibraryStatuses, Error> {
        self.get(
            "/api/2.0/libraries/cluster-status",
            &[("cluster_id", cluster_id)],
            options,
        )
        .await
    }

    /// `GET /api/2.0/libraries/all-cluster-statuses`.
    #[instrument(skip_all)]
    pub async fn all_cluster_statuses(
        &self,
        options: CallOptions,
    ) -> Result<AllClusterStatuses, Error> {
        self.get("/api/2.0/libraries/all-cluster-statuses", &[], options)
            .await
    }

    /// `GET /api/2.0/libraries/all-cluster-statuses`, each cluster handed to
    /// `S` as soon as it is parsed; the body is dropped once read.
    #[instrument(skip_all)]
    pub async fn all_cluster_statuses_into<S: ClusterSink>(
        &self,
        options: CallOptions,
    ) -> Result<S, Error> {
        let EachCluster(sink) = self
            .get("/api/2.0/libraries/all-cluster-statuses", &[], options)
            .await?;
        Ok(sink)
    }
}
