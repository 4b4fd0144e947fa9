//! Which of the libraries this resource owns the cluster still has, from
//! its ClusterStatus. Matching is exact (the library as configured against
//! the library as reported), as ApplyLibraries matches what stays.
//!
//! An owned library the cluster no longer has (absent, or marked
//! UNINSTALL_ON_RESTART) leaves the state, so the next plan shows it
//! re-installed. An owned library that FAILED leaves the state too (the
//! plan shows it again and the apply reports Databricks' messages), but it
//! is still on the cluster: it is kept in the private state as "untracked"
//! so ApplyLibraries still gets it as `previous` and removes it when the
//! configuration drops it or the resource is destroyed.

use prost::Message;

use crate::{
    proto::compute::{self as pb, LibraryInstallStatus},
    provider::value::Value,
};

/// Where one library stands on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Presence {
    /// Requested and not failed (pending, installing, installed, …).
    Present,
    /// Installed and FAILED, with Databricks' messages.
    Failed(Vec<String>),
    /// Not there, or marked for removal.
    Gone,
}

/// What the state keeps after a look at the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Standing {
    /// The library blocks the cluster has: the new state's `library` set.
    pub(super) kept: Vec<Value>,
    /// Owned libraries on the cluster the state no longer lists (FAILED
    /// ones), each with Databricks' messages: the private state.
    pub(super) untracked: Vec<(pb::Library, Vec<String>)>,
}

/// Where `library` stands among the cluster's own (not for-all-clusters)
/// statuses.
pub(super) fn presence(library: &pb::Library, statuses: &[pb::LibraryFullStatus]) -> Presence {
    let mut entries = statuses.iter().filter(|status| {
        !status.is_library_for_all_clusters && status.library.as_ref() == Some(library)
    });
    match entries.find(|status| status.status != LibraryInstallStatus::UninstallOnRestart as i32) {
        None => Presence::Gone,
        Some(status) if status.status == LibraryInstallStatus::Failed as i32 => {
            Presence::Failed(status.messages.clone())
        }
        Some(_) => Presence::Present,
    }
}

/// Sorts the owned library blocks (`candidates`) and the owned libraries
/// not in state (`untracked`) by what the cluster reports.
pub(super) fn stand(
    candidates: &[(Value, pb::Library)],
    untracked: &[pb::Library],
    statuses: &[pb::LibraryFullStatus],
) -> Standing {
    let mut standing = Standing::default();
    let mut kept: Vec<&pb::Library> = Vec::new();
    for (block, library) in candidates {
        match presence(library, statuses) {
            Presence::Present if !kept.contains(&library) => {
                kept.push(library);
                standing.kept.push(block.clone());
            }
            Presence::Failed(messages) => note(&mut standing, library, messages),
            Presence::Present | Presence::Gone => {}
        }
    }
    for library in untracked {
        if kept.contains(&library) {
            continue;
        }
        match presence(library, statuses) {
            Presence::Failed(messages) => note(&mut standing, library, messages),
            Presence::Present => note(&mut standing, library, Vec::new()),
            Presence::Gone => {}
        }
    }
    standing
}

/// Records an untracked owned library once.
fn note(standing: &mut Standing, library: &pb::Library, messages: Vec<String>) {
    if !standing.untracked.iter().any(|(known, _)| known == library) {
        standing.untracked.push((library.clone(), messages));
    }
}

/// The private state: the untracked owned libraries.
pub(super) fn encode_untracked(untracked: &[pb::Library]) -> Vec<u8> {
    if untracked.is_empty() {
        return Vec::new();
    }
    pb::ApplyLibrariesRequest {
        previous: untracked.to_vec(),
        ..pb::ApplyLibrariesRequest::default()
    }
    .encode_to_vec()
}

/// The untracked owned libraries of a private state (none when it is empty
/// or unreadable: the state's libraries are then all that is owned).
pub(super) fn decode_untracked(private: &[u8]) -> Vec<pb::Library> {
    pb::ApplyLibrariesRequest::decode(private)
        .map(|request| request.previous)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::compute::library::Kind;

    fn jar(uri: &str) -> pb::Library {
        pb::Library {
            kind: Some(Kind::Jar(uri.into())),
        }
    }

    fn status(library: pb::Library, status: LibraryInstallStatus) -> pb::LibraryFullStatus {
        pb::LibraryFullStatus {
            library: Some(library),
            status: status as i32,
            messages: vec![format!("{status:?}")],
            ..pb::LibraryFullStatus::default()
        }
    }

    #[test]
    fn only_what_the_cluster_still_has_stays_and_failed_ones_stay_owned() {
        let (a, b, c, d) = (jar("/a.jar"), jar("/b.jar"), jar("/c.jar"), jar("/d.jar"));
        let statuses = [
            status(a.clone(), LibraryInstallStatus::Installed),
            status(b.clone(), LibraryInstallStatus::UninstallOnRestart),
            status(c.clone(), LibraryInstallStatus::Failed),
            pb::LibraryFullStatus {
                is_library_for_all_clusters: true,
                ..status(d.clone(), LibraryInstallStatus::Installed)
            },
        ];
        let block = |name: &str| Value::string(name);
        let candidates = [
            (block("a"), a.clone()),
            (block("b"), b.clone()),
            (block("c"), c.clone()),
            (block("d"), d.clone()),
        ];
        let standing = stand(&candidates, &[c.clone(), b.clone()], &statuses);
        assert_eq!(standing.kept, [block("a")]);
        assert_eq!(standing.untracked, [(c.clone(), vec!["Failed".to_owned()])]);
        assert_eq!(presence(&d, &statuses), Presence::Gone);
        let private = encode_untracked(std::slice::from_ref(&c));
        assert_eq!(decode_untracked(&private), [c]);
        assert!(encode_untracked(&[]).is_empty());
        assert!(decode_untracked(b"\xff\xff not prost").is_empty());
    }
}
