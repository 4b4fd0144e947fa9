//! The pure state machine behind the emulator: cluster states, library
//! stages, and what one step or one (re)start does to them.
//!
//! Nothing here knows about time, locks or HTTP; the store decides when a
//! step happens and feeds in whether a library resolves.

/// The cluster states the emulator models (a subset of Databricks `State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClusterState {
    /// Starting: becomes `Running` after one step.
    Pending,
    /// Up; the only state in which libraries progress.
    Running,
    /// Restarting: becomes `Running` after one step.
    Restarting,
    /// Changing size: becomes `Running` after one step.
    Resizing,
    /// Shutting down: becomes `Terminated` after one step.
    Terminating,
    /// Down; libraries wait in `PENDING`.
    Terminated,
}

/// Where one library stands on one cluster (`LibraryInstallStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LibraryStage {
    /// Nothing done yet.
    Pending,
    /// Fetching metadata; the next step decides success or failure.
    Resolving,
    /// Being installed.
    Installing,
    /// Done.
    Installed,
    /// Could not be resolved; see the entry's messages.
    Failed,
    /// Not installed by design (libraries for all clusters on modern runtimes).
    Skipped,
    /// Marked for removal at the next (re)start.
    UninstallOnRestart,
}

// === impl ClusterState ===

impl ClusterState {
    /// The wire value, e.g. `RUNNING`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Restarting => "RESTARTING",
            Self::Resizing => "RESIZING",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
        }
    }

    /// The capitalised word Databricks uses in `INVALID_STATE` messages.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Restarting => "Restarting",
            Self::Resizing => "Resizing",
            Self::Terminating => "Terminating",
            Self::Terminated => "Terminated",
        }
    }

    /// The state one step later.
    pub(crate) fn step(self) -> Self {
        match self {
            Self::Pending | Self::Restarting | Self::Resizing => Self::Running,
            Self::Terminating => Self::Terminated,
            settled @ (Self::Running | Self::Terminated) => settled,
        }
    }
}

// === impl LibraryStage ===

impl LibraryStage {
    /// The wire value, e.g. `INSTALLED`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Resolving => "RESOLVING",
            Self::Installing => "INSTALLING",
            Self::Installed => "INSTALLED",
            Self::Failed => "FAILED",
            Self::Skipped => "SKIPPED",
            Self::UninstallOnRestart => "UNINSTALL_ON_RESTART",
        }
    }

    /// The stage one step later on a running cluster. `resolves` is asked
    /// only when leaving `Resolving`: `false` ends the library in `Failed`.
    pub(crate) fn step(self, resolves: impl FnOnce() -> bool) -> Self {
        match self {
            Self::Pending => Self::Resolving,
            Self::Resolving if resolves() => Self::Installing,
            Self::Resolving => Self::Failed,
            Self::Installing => Self::Installed,
            settled @ (Self::Installed
            | Self::Failed
            | Self::Skipped
            | Self::UninstallOnRestart) => settled,
        }
    }

    /// The stage after the cluster (re)starts: `None` when the library is
    /// removed, otherwise back to `Pending` to run the lifecycle again.
    pub(crate) fn on_restart(self) -> Option<Self> {
        match self {
            Self::UninstallOnRestart => None,
            _ => Some(Self::Pending),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ClusterState as C, LibraryStage as L};

    fn walk(mut stage: L, resolves: bool, steps: usize) -> Vec<L> {
        let mut seen = vec![stage];
        for _ in 0..steps {
            stage = stage.step(|| resolves);
            seen.push(stage);
        }
        seen
    }

    #[test]
    fn a_resolvable_library_needs_three_steps() {
        assert_eq!(
            walk(L::Pending, true, 4),
            [
                L::Pending,
                L::Resolving,
                L::Installing,
                L::Installed,
                L::Installed
            ]
        );
    }

    #[test]
    fn an_unresolvable_library_fails_when_leaving_resolving() {
        assert_eq!(
            walk(L::Pending, false, 3),
            [L::Pending, L::Resolving, L::Failed, L::Failed]
        );
    }

    #[test]
    fn resolution_is_asked_only_when_leaving_resolving() {
        for stage in [
            L::Pending,
            L::Installing,
            L::Installed,
            L::Failed,
            L::Skipped,
            L::UninstallOnRestart,
        ] {
            stage.step(|| panic!("asked for {stage:?}"));
        }
    }

    #[test]
    fn restart_drops_marked_libraries_and_resets_the_rest() {
        assert_eq!(L::UninstallOnRestart.on_restart(), None);
        for stage in [
            L::Pending,
            L::Resolving,
            L::Installing,
            L::Installed,
            L::Failed,
        ] {
            assert_eq!(stage.on_restart(), Some(L::Pending));
        }
    }

    #[test]
    fn cluster_transitions_take_one_step() {
        assert_eq!(C::Pending.step(), C::Running);
        assert_eq!(C::Restarting.step(), C::Running);
        assert_eq!(C::Resizing.step(), C::Running);
        assert_eq!(C::Terminating.step(), C::Terminated);
        assert_eq!(C::Running.step(), C::Running);
        assert_eq!(C::Terminated.step(), C::Terminated);
    }

    #[test]
    fn wire_values_and_words() {
        assert_eq!(C::Terminated.as_str(), "TERMINATED");
        assert_eq!(C::Running.word(), "Running");
        assert_eq!(L::UninstallOnRestart.as_str(), "UNINSTALL_ON_RESTART");
        assert_eq!(L::Skipped.as_str(), "SKIPPED");
    }
}
