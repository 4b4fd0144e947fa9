//! The service calls of `dbgrpc_cluster_libraries`: ApplyLibraries read to
//! its end (inside `Ctx::unless_stopped`), and ClusterStatus.

use tonic::{Code, Status};

use crate::{
    proto::compute::{self as pb, library::Kind},
    provider::{client::Compute, diagnostics, proto::Diagnostic, resource::Ctx},
};

/// How an ApplyLibraries call ended.
pub(super) enum Applied {
    /// The stream ended OK; its last message (the DONE one).
    Done(Box<pb::ApplyLibrariesResponse>),
    /// The cluster does not exist.
    ClusterGone(Diagnostic),
    /// The call failed, or Terraform asked the provider to stop.
    Failed(Diagnostic),
}

/// Runs ApplyLibraries and reads its stream to the end, unless Terraform
/// asks the provider to stop first.
pub(super) async fn apply_libraries(ctx: &Ctx, request: pb::ApplyLibrariesRequest) -> Applied {
    let doing = format!("applying libraries to cluster {}", request.cluster_id);
    let streamed = ctx
        .unless_stopped(&doing, read_to_end(ctx.client.clone(), request))
        .await;
    match streamed {
        Err(stopped) => Applied::Failed(stopped),
        Ok(Ok(Some(last))) => Applied::Done(Box::new(last)),
        Ok(Ok(None)) => Applied::Failed(diagnostics::error(
            format!("Failed {doing}"),
            "ApplyLibraries ended without reporting what it did.",
        )),
        Ok(Err(status)) if status.code() == Code::NotFound => {
            Applied::ClusterGone(diagnostics::from_status(&doing, &status))
        }
        Ok(Err(status)) => Applied::Failed(diagnostics::from_status(&doing, &status)),
    }
}

async fn read_to_end(
    mut client: Compute,
    request: pb::ApplyLibrariesRequest,
) -> Result<Option<pb::ApplyLibrariesResponse>, Status> {
    let mut stream = client.apply_libraries(request).await?.into_inner();
    let mut last = None;
    while let Some(message) = stream.message().await? {
        last = Some(message);
    }
    Ok(last)
}

/// The cluster's library statuses; `Ok(None)` when the cluster does not
/// exist.
pub(super) async fn cluster_status(
    ctx: &Ctx,
    cluster_id: &str,
) -> Result<Option<Vec<pb::LibraryFullStatus>>, Diagnostic> {
    let request = pb::ClusterStatusRequest {
        cluster_id: cluster_id.to_owned(),
    };
    match ctx.client.clone().cluster_status(request).await {
        Ok(response) => Ok(Some(response.into_inner().library_statuses)),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(diagnostics::from_status(
            &format!("reading the libraries of cluster {cluster_id}"),
            &status,
        )),
    }
}

/// A library in a sentence: "jar /Volumes/…/etl.jar", "pypi simplejson".
pub(super) fn describe(library: &pb::Library) -> String {
    match &library.kind {
        Some(Kind::Jar(uri)) => format!("jar {uri}"),
        Some(Kind::Whl(uri)) => format!("whl {uri}"),
        Some(Kind::Egg(uri)) => format!("egg {uri}"),
        Some(Kind::Requirements(path)) => format!("requirements {path}"),
        Some(Kind::Pypi(pypi)) => format!("pypi {}", pypi.package),
        Some(Kind::Maven(maven)) => format!("maven {}", maven.coordinates),
        Some(Kind::Cran(cran)) => format!("cran {}", cran.package),
        None => "a library of unknown kind".to_owned(),
    }
}
