//! The state of one execution context: its status and its commands, shared
//! by the handlers (which queue, cancel and report) and the task that drives
//! the context's process (which dispatches and finishes). Commands run one
//! at a time in the order they were queued.

use std::collections::{HashMap, VecDeque};

use super::results::{self, Report, Results};

/// A context's status on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContextStatus {
    /// The process has not reported ready yet.
    Pending,
    /// Ready for commands.
    Running,
    /// The process died or the context was shut down.
    Error,
}

/// A command's status on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommandStatus {
    Queued,
    Running,
    Finished,
    Cancelling,
    Cancelled,
    Error,
}

/// A command handed to the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Work {
    pub(super) id: String,
    pub(super) language: String,
    pub(super) command: String,
}

/// What a cancel asks of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cancel {
    /// Nothing: the command was queued (now cancelled) or had ended.
    Nothing,
    /// Interrupt the running command.
    Interrupt,
}

#[derive(Debug)]
struct Command {
    status: CommandStatus,
    results: Option<Results>,
    /// The work, until it is dispatched.
    work: Option<Work>,
}

/// One context's status and commands.
#[derive(Debug)]
pub(super) struct Shared {
    status: ContextStatus,
    commands: HashMap<String, Command>,
    queue: VecDeque<String>,
    running: Option<String>,
    /// Once the context failed: what becomes of commands that cannot run.
    failure: Option<(CommandStatus, Results)>,
}

// === impl ContextStatus ===

impl ContextStatus {
    /// The wire value, e.g. `Running`.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Error => "Error",
        }
    }
}

// === impl CommandStatus ===

impl CommandStatus {
    /// The wire value, e.g. `Cancelling`.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Finished => "Finished",
            Self::Cancelling => "Cancelling",
            Self::Cancelled => "Cancelled",
            Self::Error => "Error",
        }
    }

    fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled | Self::Error)
    }
}

// === impl Shared ===

impl Shared {
    /// A context whose process is starting.
    pub(super) fn new() -> Self {
        Self {
            status: ContextStatus::Pending,
            commands: HashMap::new(),
            queue: VecDeque::new(),
            running: None,
            failure: None,
        }
    }

    /// The context's status.
    pub(super) fn status(&self) -> ContextStatus {
        self.status
    }

    /// The process reported ready.
    pub(super) fn ready(&mut self) {
        if self.status == ContextStatus::Pending {
            self.status = ContextStatus::Running;
        }
    }

    /// Queues `work`; on a failed context it ends at once as the failure says.
    pub(super) fn enqueue(&mut self, work: Work) {
        let id = work.id.clone();
        let command = match &self.failure {
            Some((status, results)) => Command {
                status: *status,
                results: Some(results.clone()),
                work: None,
            },
            None => {
                self.queue.push_back(id.clone());
                Command {
                    status: CommandStatus::Queued,
                    results: None,
                    work: Some(work),
                }
            }
        };
        self.commands.insert(id, command);
    }

    /// The next command to run, now `Running`, if the process is ready and idle.
    pub(super) fn next(&mut self) -> Option<Work> {
        if self.status != ContextStatus::Running || self.running.is_some() {
            return None;
        }
        while let Some(id) = self.queue.pop_front() {
            let Some(command) = self.commands.get_mut(&id) else {
                continue;
            };
            if let Some(work) = command.work.take() {
                command.status = CommandStatus::Running;
                self.running = Some(id);
                return Some(work);
            }
        }
        None
    }

    /// Cancels command `id`; `None` when there is no such command.
    pub(super) fn cancel(&mut self, id: &str) -> Option<Cancel> {
        let command = self.commands.get_mut(id)?;
        Some(match command.status {
            CommandStatus::Queued => {
                self.queue.retain(|queued| queued != id);
                command.work = None;
                command.status = CommandStatus::Cancelled;
                command.results = Some(results::cancelled());
                Cancel::Nothing
            }
            CommandStatus::Running => {
                command.status = CommandStatus::Cancelling;
                Cancel::Interrupt
            }
            _ => Cancel::Nothing,
        })
    }

    /// The process answered command `id`. A command that was being cancelled
    /// ends `Cancelled` whatever it managed to do.
    pub(super) fn finish(&mut self, id: &str, cancelled: bool, results: Option<Results>) {
        if self.running.as_deref() == Some(id) {
            self.running = None;
        }
        let Some(command) = self.commands.get_mut(id) else {
            return;
        };
        if command.status.is_terminal() {
            return;
        }
        if cancelled || command.status == CommandStatus::Cancelling {
            command.status = CommandStatus::Cancelled;
            command.results = Some(results::cancelled());
        } else {
            command.status = CommandStatus::Finished;
            command.results = Some(results.unwrap_or_else(results::empty_text));
        }
    }

    /// The context failed: it turns `Error`, and its running and queued
    /// commands (and any sent later) end with `status` and `results`; one
    /// being cancelled ends `Cancelled`.
    pub(super) fn fail(&mut self, status: CommandStatus, results: Results) {
        self.status = ContextStatus::Error;
        self.running = None;
        self.queue.clear();
        for command in self.commands.values_mut() {
            if command.status.is_terminal() {
                continue;
            }
            command.work = None;
            if command.status == CommandStatus::Cancelling {
                command.status = CommandStatus::Cancelled;
                command.results = Some(results::cancelled());
            } else {
                command.status = status;
                command.results = Some(results.clone());
            }
        }
        self.failure.get_or_insert((status, results));
    }

    /// `commands/status` of command `id`.
    pub(super) fn report(&self, id: &str) -> Option<Report> {
        let command = self.commands.get(id)?;
        Some(Report {
            id: id.to_owned(),
            status: command.status.as_str().to_owned(),
            results: command.results.clone(),
        })
    }
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
