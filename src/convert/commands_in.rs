//! Inbound: validated conversion of context and command requests (REST 1.2).

use super::{InvalidRequest, Violations};
use crate::{
    databricks::models::{CommandRequest, ContextRequest, CreateContextRequest},
    proto::compute::{self as pb, Language},
};

/// Largest command accepted: Databricks' notebook cell input limit (6 MB).
pub const MAX_COMMAND_BYTES: usize = 6 * 1024 * 1024;

/// A validated ExecuteCommand request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteCommand {
    /// The cluster.
    pub cluster_id: String,
    /// The REST language name.
    pub language: &'static str,
    /// The code.
    pub command: String,
    /// The caller's context, or `None` for a managed one.
    pub context_id: Option<String>,
}

/// The REST name of `language` (field `field`), rejecting UNSPECIFIED.
pub fn language(value: i32, field: &str) -> Result<&'static str, InvalidRequest> {
    let mut violations = Violations::default();
    let name = check_language(&mut violations, field, value);
    violations.finish(name.unwrap_or_default())
}

/// Validates CreateContext.
pub fn create_context(
    request: &pb::CreateContextRequest,
) -> Result<CreateContextRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let language = check_language(&mut violations, "language", request.language);
    violations.finish(CreateContextRequest {
        cluster_id: request.cluster_id.clone(),
        language: language.unwrap_or_default().to_owned(),
    })
}

/// Validates a (cluster_id, context_id) pair.
pub fn context_request(
    cluster_id: &str,
    context_id: &str,
) -> Result<ContextRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", cluster_id);
    violations.check_id("context_id", context_id);
    violations.finish(ContextRequest {
        cluster_id: cluster_id.to_owned(),
        context_id: context_id.to_owned(),
    })
}

/// Validates a (cluster_id, context_id, command_id) triple.
pub fn command_request(
    cluster_id: &str,
    context_id: &str,
    command_id: &str,
) -> Result<CommandRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", cluster_id);
    violations.check_id("context_id", context_id);
    violations.check_id("command_id", command_id);
    violations.finish(CommandRequest {
        cluster_id: cluster_id.to_owned(),
        context_id: context_id.to_owned(),
        command_id: command_id.to_owned(),
    })
}

/// Validates ExecuteCommand.
pub fn execute_command(
    request: &pb::ExecuteCommandRequest,
) -> Result<ExecuteCommand, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let language = check_language(&mut violations, "language", request.language);
    if request.command.trim().is_empty() {
        violations.add("command", "must not be empty");
    } else if request.command.len() > MAX_COMMAND_BYTES {
        violations.add(
            "command",
            format!("must be at most {MAX_COMMAND_BYTES} bytes (Databricks' cell input limit)"),
        );
    }
    let context_id = if request.context_id.is_empty() {
        None
    } else {
        violations.check_id("context_id", &request.context_id);
        Some(request.context_id.clone())
    };
    violations.finish(ExecuteCommand {
        cluster_id: request.cluster_id.clone(),
        language: language.unwrap_or_default(),
        command: request.command.clone(),
        context_id,
    })
}

fn check_language(violations: &mut Violations, field: &str, value: i32) -> Option<&'static str> {
    let name = match Language::try_from(value) {
        Ok(Language::Python) => "python",
        Ok(Language::Scala) => "scala",
        Ok(Language::Sql) => "sql",
        Ok(Language::R) => "r",
        Ok(Language::Unspecified) | Err(_) => {
            violations.add(
                field,
                "must be LANGUAGE_PYTHON, LANGUAGE_SCALA, LANGUAGE_SQL or LANGUAGE_R",
            );
            return None;
        }
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: InvalidRequest) -> Vec<String> {
        error.violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn execute_validates_every_field() {
        let error = execute_command(&pb::ExecuteCommandRequest::default()).unwrap_err();
        assert_eq!(fields(error), vec!["cluster_id", "language", "command"]);
        let ok = execute_command(&pb::ExecuteCommandRequest {
            cluster_id: "c".into(),
            language: Language::Sql as i32,
            command: "select 1".into(),
            context_id: String::new(),
        })
        .unwrap();
        assert_eq!((ok.language, ok.context_id), ("sql", None));
    }

    #[test]
    fn oversized_command_and_bad_ids() {
        let request = pb::ExecuteCommandRequest {
            cluster_id: "c".into(),
            language: Language::Python as i32,
            command: "x".repeat(MAX_COMMAND_BYTES + 1),
            context_id: "a b".into(),
        };
        assert_eq!(
            fields(execute_command(&request).unwrap_err()),
            vec!["command", "context_id"]
        );
        assert_eq!(
            fields(command_request("", "x", "").unwrap_err()),
            vec!["cluster_id", "command_id"]
        );
        assert_eq!(
            fields(language(99, "language").unwrap_err()),
            vec!["language"]
        );
    }

    #[test]
    fn ids_are_bounded() {
        let long = "1".repeat(crate::convert::MAX_ID_BYTES + 1);
        assert_eq!(
            fields(command_request(&long, &long, &long).unwrap_err()),
            vec!["cluster_id", "context_id", "command_id"]
        );
        assert_eq!(
            fields(context_request("c", &long).unwrap_err()),
            vec!["context_id"]
        );
        let request = pb::ExecuteCommandRequest {
            cluster_id: long.clone(),
            language: Language::Python as i32,
            command: "1".into(),
            context_id: long,
        };
        assert_eq!(
            fields(execute_command(&request).unwrap_err()),
            vec!["cluster_id", "context_id"]
        );
    }
}
