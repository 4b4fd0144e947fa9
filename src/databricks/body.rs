//! Reading a response body with a hard cap: a body larger than its endpoint's
//! limit is refused as soon as that is known (from `Content-Length`, or once
//! the bytes read pass the limit), so it is never held whole in memory.

use bytes::{Bytes, BytesMut};

use super::Error;

/// Largest body read from most endpoints. Databricks caps what one command
/// returns (at most 20 MB of non-table output, 30 MB of output on job
/// clusters, tables of 10,000 rows or 2 MB), and every other answer but the
/// all-clusters list is small; 64 MiB leaves room for JSON escaping.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Largest body read from `libraries/all-cluster-statuses`, which lists every
/// cluster of the workspace in one answer (about 10 MB for 2,000 clusters
/// with 50 libraries each, so about 100 MB for 20,000: five times that fits).
pub const ALL_CLUSTER_STATUSES_BODY_LIMIT: usize = 512 * 1024 * 1024;

const ALL_CLUSTER_STATUSES: &str = "/api/2.0/libraries/all-cluster-statuses";

/// The body limit of `endpoint` (`METHOD path`).
pub fn body_limit(endpoint: &str) -> usize {
    match endpoint.split_once(' ') {
        Some((_, ALL_CLUSTER_STATUSES)) => ALL_CLUSTER_STATUSES_BODY_LIMIT,
        _ => DEFAULT_BODY_LIMIT,
    }
}

/// Reads the body of `response`, failing with [`Error::BodyTooLarge`] as soon
/// as it is known to exceed `limit` bytes; dropping the response then closes
/// the connection, so the rest is never read. Transport failures go through
/// `transport_error`.
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    endpoint: &str,
    limit: usize,
    transport_error: impl Fn(reqwest::Error) -> Error,
) -> Result<Bytes, Error> {
    let too_large = || Error::BodyTooLarge {
        endpoint: endpoint.to_owned(),
        limit,
    };
    let declared = response.content_length().map(usize::try_from);
    let capacity = match declared {
        Some(Ok(length)) if length <= limit => length,
        Some(_) => return Err(too_large()),
        None => 0,
    };
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await.map_err(&transport_error)? {
        if chunk.len() > limit - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_endpoint_has_the_higher_limit() {
        assert_eq!(
            body_limit("GET /api/2.0/libraries/all-cluster-statuses"),
            ALL_CLUSTER_STATUSES_BODY_LIMIT
        );
        assert_eq!(
            body_limit("GET /api/1.2/commands/status"),
            DEFAULT_BODY_LIMIT
        );
        assert_eq!(
            body_limit("GET /api/2.0/libraries/cluster-status"),
            DEFAULT_BODY_LIMIT
        );
    }
}
