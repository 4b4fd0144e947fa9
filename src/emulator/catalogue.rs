//! What the emulator can "resolve": a small built-in catalogue of real PyPI
//! and CRAN names plus the path and coordinate rules of recent runtimes.
//! Failures come back as the messages Databricks would show.

use super::library::{FileKind, Library};

/// PyPI projects that resolve, in normalised form (PEP 503).
const PYPI: &str = "attrs boto3 botocore certifi click databricks-sdk delta-spark great-expectations httpx \
    jinja2 lightgbm matplotlib mlflow numpy pandas pyarrow pydantic python-dateutil pytz pyyaml requests rich \
    scikit-learn scipy seaborn simplejson six sqlalchemy tqdm typing-extensions urllib3 xgboost";

/// CRAN packages that resolve (CRAN names are case-sensitive).
const CRAN: &str = "caret data.table dplyr forecast ggplot2 httr jsonlite lubridate magrittr purrr readr \
    sparklyr stringr tibble tidyr";

fn listed(catalogue: &str, name: &str) -> bool {
    catalogue.split_whitespace().any(|entry| entry == name)
}

/// Checks that `library` resolves; on failure returns the `messages` of its
/// `FAILED` status on `cluster_id`.
pub(crate) fn resolve(library: &Library, cluster_id: &str) -> Result<(), Vec<String>> {
    let failure = |summary: &str, code: &str, detail: String| {
        Err(vec![format!(
            "Library installation attempted on the driver node of cluster {cluster_id} and failed. {summary} \
             Error code: {code}, error message: {detail}"
        )])
    };
    match library {
        Library::Pypi(pypi) if !listed(PYPI, &pypi_name(&pypi.package)) => failure(
            "Pip could not find a version that satisfies the requirement. Please check the package name and version.",
            "ERROR_NO_MATCHING_DISTRIBUTION",
            format!(
                "org.apache.spark.SparkException: Process List(/bin/su, libraries, -c, bash \
                 /local_disk0/.ephemeral_nfs/cluster_libraries/python/python_start_clusterwide.sh \
                 /local_disk0/.ephemeral_nfs/cluster_libraries/python/bin/pip install '{0}' \
                 --disable-pip-version-check) exited with code 1. ERROR: Could not find a version that \
                 satisfies the requirement {0} (from versions: none)\nERROR: No matching distribution found for {0}",
                pypi.package
            ),
        ),
        Library::Cran(cran) if !listed(CRAN, &cran.package) => failure(
            "The R package could not be installed.",
            "DRIVER_LIBRARY_INSTALLATION_FAILURE",
            format!(
                "org.apache.spark.SparkException: Error installing R package: Could not install package with \
                 error: package '{}' is not available for this version of R",
                cran.package
            ),
        ),
        Library::Maven(maven) if !valid_coordinates(&maven.coordinates) => Err(vec![format!(
            "Library resolution failed. Cause: java.lang.IllegalArgumentException: requirement failed: Provided \
             Maven Coordinates must be in the form 'groupId:artifactId:version'. The coordinate provided is: {}",
            maven.coordinates
        )]),
        Library::File(FileKind::Egg, path) => failure(
            "Python egg libraries are not supported on Databricks Runtime 14.0 and above; use a wheel or a PyPI \
             package instead.",
            "ERROR_EGG_NOT_SUPPORTED",
            format!("org.apache.spark.SparkException: Egg library {path} is not supported"),
        ),
        Library::File(FileKind::Jar | FileKind::Whl, path) if path.starts_with("dbfs:/") => {
            failure(
                "Libraries stored in the DBFS root are disabled on Databricks Runtime 15.1 and above; store them in a \
             Unity Catalog volume or as workspace files.",
                "ERROR_DBFS_ROOT_LIBRARY_DISABLED",
                format!(
                    "org.apache.spark.SparkException: Installing libraries from the DBFS root is disabled: {path}"
                ),
            )
        }
        Library::File(FileKind::Requirements, path)
            if !(path.starts_with("/Workspace/") || path.starts_with("/Volumes/")) =>
        {
            failure(
                "Requirements files are supported only as workspace files or in Unity Catalog volumes.",
                "ERROR_INVALID_REQUIREMENTS_PATH",
                format!(
                    "org.apache.spark.SparkException: {path} is not a /Workspace/ or /Volumes/ path of a \
                     requirements.txt file"
                ),
            )
        }
        _ => Ok(()),
    }
}

/// Checks that a jar, wheel or requirements file on a volume or in the
/// workspace exists (`exists` asks the file tree); on failure returns the
/// messages of its `FAILED` status on `cluster_id`.
pub(crate) fn file_exists(
    library: &Library,
    cluster_id: &str,
    exists: impl Fn(&str) -> bool,
) -> Result<(), Vec<String>> {
    let Library::File(FileKind::Jar | FileKind::Whl | FileKind::Requirements, path) = library
    else {
        return Ok(());
    };
    if !(path.starts_with("/Volumes/") || path.starts_with("/Workspace/")) || exists(path) {
        return Ok(());
    }
    Err(vec![format!(
        "Library installation attempted on the driver node of cluster {cluster_id} and failed. Library file \
         not found. Please check that the file exists and that the cluster can read it. Error code: \
         ERROR_FILE_NOT_FOUND, error message: java.io.FileNotFoundException: {path} (No such file or directory)"
    )])
}

/// The messages of a PyPI library that clashes with another version of
/// the package `name` already on `cluster_id`.
pub(crate) fn duplicate(name: &str, cluster_id: &str) -> Vec<String> {
    vec![format!(
        "Library installation attempted on the driver node of cluster {cluster_id} and failed. Duplicate package \
         installation detected. Remove the duplicate package entry and restart the cluster. Error code: \
         ERROR_DUPLICATE_INSTALLATION, error message: org.apache.spark.SparkException: PyPI package {name} has \
         been installed already."
    )]
}

/// The project name of a pip requirement (`Foo_Bar[x]>=1` → `foo-bar`),
/// normalised as PEP 503 says.
pub(crate) fn pypi_name(requirement: &str) -> String {
    let name = requirement
        .trim()
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .next()
        .unwrap_or_default();
    let mut normalised = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if matches!(c, '_' | '.') {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if !(c == '-' && normalised.ends_with('-')) {
            normalised.push(c);
        }
    }
    normalised
}

fn valid_coordinates(coordinates: &str) -> bool {
    let parts: Vec<&str> = coordinates.split(':').collect();
    parts.len() == 3 && parts.iter().all(|part| !part.trim().is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::emulator::library::{Maven, Package};

    fn pypi(package: &str) -> Library {
        Library::Pypi(Package {
            package: package.into(),
            repo: None,
        })
    }

    fn one_message(library: &Library) -> String {
        let messages = resolve(library, "c-1").unwrap_err();
        assert_eq!(messages.len(), 1, "{messages:?}");
        messages[0].clone()
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(pypi_name("Scikit_Learn[all]>=1.4"), "scikit-learn");
        assert_eq!(pypi_name("simplejson==3.19.2"), "simplejson");
        assert_eq!(
            pypi_name("typing.extensions ; python_version>'3'"),
            "typing-extensions"
        );
        assert_eq!(pypi_name("  requests"), "requests");
    }

    #[test]
    fn catalogue_names_resolve() {
        assert_eq!(resolve(&pypi("pandas==2.2.2"), "c-1"), Ok(()));
        assert_eq!(resolve(&pypi("PyYAML"), "c-1"), Ok(()));
        let cran = Library::Cran(Package {
            package: "data.table".into(),
            repo: None,
        });
        assert_eq!(resolve(&cran, "c-1"), Ok(()));
        assert_eq!(
            resolve(
                &Library::File(
                    FileKind::Whl,
                    "/Volumes/main/libs/a-0.1-py3-none-any.whl".into()
                ),
                "c-1"
            ),
            Ok(())
        );
        assert_eq!(
            resolve(
                &Library::File(FileKind::Requirements, "/Workspace/Shared/r.txt".into()),
                "c-1"
            ),
            Ok(())
        );
    }

    #[test]
    fn unknown_pypi_package_fails_like_pip() {
        let message = one_message(&pypi("no-such-package==1.0"));
        assert!(message.starts_with(
            "Library installation attempted on the driver node of cluster c-1 and failed."
        ));
        assert!(
            message.contains("Error code: ERROR_NO_MATCHING_DISTRIBUTION"),
            "{message}"
        );
        assert!(
            message.contains("No matching distribution found for no-such-package==1.0"),
            "{message}"
        );
    }

    #[test]
    fn unsupported_sources_fail_with_reasons() {
        let maven = |coordinates: &str| {
            Library::Maven(Maven {
                coordinates: coordinates.into(),
                repo: None,
                exclusions: vec![],
            })
        };
        assert!(one_message(&maven("org.jsoup:jsoup")).contains("'groupId:artifactId:version'"));
        assert!(one_message(&maven("org.jsoup::1.0")).contains("org.jsoup::1.0"));
        assert_eq!(resolve(&maven("org.jsoup:jsoup:1.17.2"), "c-1"), Ok(()));
        assert!(
            one_message(&Library::File(FileKind::Egg, "/Volumes/a.egg".into())).contains("14.0")
        );
        assert!(
            one_message(&Library::File(
                FileKind::Jar,
                "dbfs:/FileStore/a.jar".into()
            ))
            .contains("DBFS root")
        );
        assert!(
            one_message(&Library::File(FileKind::Requirements, "dbfs:/r.txt".into()))
                .contains("dbfs:/r.txt")
        );
        let cran = Library::Cran(Package {
            package: "notapkg".into(),
            repo: None,
        });
        assert!(one_message(&cran).contains("package 'notapkg' is not available"));
    }

    #[test]
    fn duplicate_message_names_the_package() {
        let message = &duplicate("pandas", "c-1")[0];
        assert!(message.contains("ERROR_DUPLICATE_INSTALLATION"));
        assert!(message.ends_with("PyPI package pandas has been installed already."));
    }
}
