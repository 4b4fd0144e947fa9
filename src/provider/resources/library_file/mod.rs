//! `dbgrpc_library_file`: a local file uploaded to a Volume or workspace
//! directory under its versioned name (UploadLibrary). The content hash
//! and the path are computed at plan time from the local file, so a
//! rebuilt jar shows in `terraform plan` as a replacement.

mod local;
mod upload;

use tonic::Code;

use super::super::{
    diagnostics,
    proto::{Diagnostic, Schema, schema::Attribute},
    resource::{ApplyRequest, Ctx, ManagedResource, Outcome, PlanRequest, Planned},
    schema_builder::{Mode, attribute, block, schema},
    value::{Type, Value},
};
use crate::{
    convert::FieldViolation,
    proto::compute::{DeleteLibraryFileRequest, ListLibraryFilesRequest},
};
use local::LocalFile;
use upload::UploadFailure;

/// The resource type.
#[derive(Debug, Clone, Copy, Default)]
pub struct LibraryFile;

/// Its type name.
pub const TYPE_NAME: &str = "dbgrpc_library_file";

fn attributes() -> Vec<Attribute> {
    vec![
        attribute(
            "source",
            Type::String,
            Mode::Required,
            "The local file to upload (a path on the machine running Terraform), e.g. target/etl-1.4.0.jar.",
        ),
        attribute(
            "directory",
            Type::String,
            Mode::Required,
            "The directory it goes into: /Volumes/<catalog>/<schema>/<volume>/... or /Workspace/.... Changing it replaces the file.",
        ),
        attribute(
            "content_sha256",
            Type::String,
            Mode::Computed,
            "The sha256 of the local file (64 hex digits), computed at plan time.",
        ),
        attribute(
            "path",
            Type::String,
            Mode::Computed,
            "The uploaded file's full path, <directory>/<stem>-<first 12 hex of content_sha256>.<ext>, known at plan time; a new build has a new path, which replaces the file.",
        ),
        attribute("id", Type::String, Mode::Computed, "The same as path."),
    ]
}

/// Diagnostics for what UploadLibrary would refuse, at the attribute the
/// header field comes from.
fn point_at(violations: Vec<FieldViolation>) -> Vec<Diagnostic> {
    violations
        .into_iter()
        .map(|violation| {
            let attribute = if violation.field.ends_with("destination") {
                "directory"
            } else {
                "source"
            };
            diagnostics::error_at(
                &[attribute],
                format!("Invalid {attribute}"),
                format!("{attribute} {}", violation.description),
            )
        })
        .collect()
}

/// The state of `local` uploaded from `config`.
fn state_of(config: &Value, local: Option<&LocalFile>, path: Option<&str>) -> Value {
    let known = |text: Option<&str>| text.map_or_else(Value::unknown, Value::string);
    Value::object([
        ("source", config.attr("source").clone()),
        ("directory", config.attr("directory").clone()),
        (
            "content_sha256",
            known(local.map(|local| local.sha256.as_str())),
        ),
        ("path", known(path)),
        ("id", known(path)),
    ])
}

/// The error of a source file that cannot be read.
fn unreadable(source: &str, error: &std::io::Error) -> Diagnostic {
    diagnostics::error_at(
        &["source"],
        "Cannot read the library file",
        format!("{source}: {error}"),
    )
}

#[tonic::async_trait]
impl ManagedResource for LibraryFile {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema(block(
            attributes(),
            vec![],
            "A library file (jar, wheel, egg, requirements.txt) uploaded from this machine under a name that carries its content hash.",
        ))
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        let (Some(source), Some(directory)) = (
            config.attr("source").as_str(),
            config.attr("directory").as_str(),
        ) else {
            // Unknown until another resource is applied: checked at plan.
            return Vec::new();
        };
        match local::file_name(source) {
            Ok(file_name) => point_at(local::violations(&local::header(
                directory, &file_name, None,
            ))),
            Err(problem) => vec![diagnostics::error_at(
                &["source"],
                "Invalid source",
                problem,
            )],
        }
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> Planned {
        let config = &request.config;
        let (Some(source), Some(directory)) = (
            config.attr("source").as_str(),
            config.attr("directory").as_str(),
        ) else {
            return Planned {
                state: state_of(config, None, None),
                requires_replace: vec![vec!["path"], vec!["directory"]],
                ..Planned::default()
            };
        };
        let local = match local::inspect(source).await {
            Ok(local) => local,
            Err(error) => {
                return Planned {
                    diagnostics: vec![unreadable(source, &error)],
                    ..Planned::default()
                };
            }
        };
        match local::versioned_path(directory, &local) {
            Ok(path) => Planned {
                state: state_of(config, Some(&local), Some(&path)),
                requires_replace: vec![vec!["path"], vec!["directory"]],
                ..Planned::default()
            },
            Err(violations) => Planned {
                diagnostics: point_at(violations),
                ..Planned::default()
            },
        }
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> Outcome {
        if request.planned.is_null() {
            return delete(ctx, &request.prior).await;
        }
        if !request.prior.is_null() {
            // Same path (a change of path replaces): only `source`'s
            // spelling changed, the bytes are the same. Nothing to send.
            return Outcome::state(request.planned);
        }
        create(ctx, &request.planned).await
    }

    async fn read(&self, ctx: &Ctx, state: Value, private: Vec<u8>) -> Outcome {
        let (Some(directory), Some(path)) = (
            state.attr("directory").as_str(),
            state.attr("path").as_str(),
        ) else {
            return Outcome::state(Value::Null);
        };
        let mut client = ctx.client.clone();
        let mut page_token = String::new();
        loop {
            let listed = client
                .list_library_files(ListLibraryFilesRequest {
                    directory: directory.to_owned(),
                    page_size: 0,
                    page_token: page_token.clone(),
                })
                .await;
            let page = match listed {
                Ok(page) => page.into_inner(),
                // The directory itself is gone: so is the file.
                Err(status) if status.code() == Code::NotFound => {
                    return Outcome::state(Value::Null);
                }
                Err(status) => {
                    return Outcome {
                        state: state.clone(),
                        private,
                        diagnostics: vec![diagnostics::from_status(
                            &format!("listing {directory}"),
                            &status,
                        )],
                    };
                }
            };
            if page
                .files
                .iter()
                .any(|file| file.path == path && !file.is_directory)
            {
                return Outcome {
                    state,
                    private,
                    diagnostics: Vec::new(),
                };
            }
            if page.next_page_token.is_empty() {
                // Deleted outside Terraform: the next plan uploads it again.
                return Outcome::state(Value::Null);
            }
            page_token = page.next_page_token;
        }
    }

    async fn import(&self, _ctx: &Ctx, id: &str) -> Outcome {
        Outcome::failed(vec![diagnostics::error(
            "dbgrpc_library_file cannot be imported",
            format!(
                "{id} was uploaded from a local file Terraform does not know. Declare the resource \
                 with its source and directory and apply: the upload is idempotent, so a file that \
                 is already there under its versioned name is adopted without being sent again."
            ),
        )])
    }
}

/// Uploads the planned file; the service must store it at the planned path.
async fn create(ctx: &Ctx, planned: &Value) -> Outcome {
    let (Some(source), Some(directory), Some(planned_path)) = (
        planned.attr("source").as_str(),
        planned.attr("directory").as_str(),
        planned.attr("path").as_str(),
    ) else {
        return Outcome::failed(vec![diagnostics::error(
            "Incomplete plan for dbgrpc_library_file",
            "source, directory and path must be known at apply.",
        )]);
    };
    let file_name = match local::file_name(source) {
        Ok(file_name) => file_name,
        Err(problem) => {
            return Outcome::failed(vec![diagnostics::error_at(
                &["source"],
                "Invalid source",
                problem,
            )]);
        }
    };
    let mut header = local::header(directory, &file_name, None);
    header.expected_sha256 = planned
        .attr("content_sha256")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut client = ctx.client.clone();
    let uploading = format!("uploading {source} to {directory}");
    let uploaded = match ctx
        .unless_stopped(&uploading, upload::upload(&mut client, source, header))
        .await
    {
        Ok(uploaded) => uploaded,
        Err(stopped) => return Outcome::failed(vec![stopped]),
    };
    match uploaded {
        Ok(answer) if answer.path == planned_path => {
            let mut state = planned.clone();
            state.set_attr("content_sha256", Value::string(answer.sha256));
            Outcome::state(state)
        }
        Ok(answer) => {
            // Keep what was stored so it is not orphaned; the error makes
            // Terraform mark it for replacement.
            let mut state = planned.clone();
            state.set_attr("path", Value::string(&answer.path));
            state.set_attr("id", Value::string(&answer.path));
            state.set_attr("content_sha256", Value::string(&answer.sha256));
            Outcome {
                state,
                private: Vec::new(),
                diagnostics: vec![diagnostics::error(
                    "The library file changed between plan and apply",
                    format!(
                        "Planned {planned_path}, but the file uploaded as {}. Run terraform apply again.",
                        answer.path
                    ),
                )],
            }
        }
        Err(UploadFailure::Local(error)) => Outcome::failed(vec![unreadable(source, &error)]),
        Err(UploadFailure::Service(status))
            if status.code() == Code::InvalidArgument
                && status.message().contains("expected_sha256") =>
        {
            Outcome::failed(vec![diagnostics::error_at(
                &["source"],
                "The library file changed between plan and apply",
                format!(
                    "{source} no longer has the content planned ({}). Run terraform apply again.",
                    status.message()
                ),
            )])
        }
        Err(UploadFailure::Service(status)) => {
            Outcome::failed(vec![diagnostics::from_status(&uploading, &status)])
        }
    }
}

/// Deletes the file the prior state names; one already gone is fine.
async fn delete(ctx: &Ctx, prior: &Value) -> Outcome {
    let Some(path) = prior.attr("path").as_str() else {
        return Outcome::state(Value::Null);
    };
    let mut client = ctx.client.clone();
    let deleted = client
        .delete_library_file(DeleteLibraryFileRequest {
            path: path.to_owned(),
            force: false,
        })
        .await;
    match deleted {
        Ok(_) => Outcome::state(Value::Null),
        Err(status) if status.code() == Code::NotFound => Outcome::state(Value::Null),
        Err(status) if status.code() == Code::FailedPrecondition => Outcome {
            state: prior.clone(),
            private: Vec::new(),
            diagnostics: vec![diagnostics::error(
                format!("{path} is still installed on a cluster"),
                format!(
                    "{}\n\nRemove it from the dbgrpc_cluster_libraries resources first (or give this \
                     resource lifecycle {{ create_before_destroy = true }} so a new build is \
                     installed before the old file is deleted).",
                    status.message()
                ),
            )],
        },
        Err(status) => Outcome {
            state: prior.clone(),
            private: Vec::new(),
            diagnostics: vec![diagnostics::from_status(
                &format!("deleting {path}"),
                &status,
            )],
        },
    }
}
