//! Declarative library sets: ApplyLibraries (one cluster to a desired set)
//! and ReplaceLibrary (one library's new version across clusters). The pure
//! parts are [`identity`] (when two specs are versions of one library) and
//! [`plan`] (what to install, uninstall and restart).

// Used by the RPCs that follow; until then only by their tests.
#[allow(dead_code)]
mod identity;
#[allow(dead_code)]
mod plan;
