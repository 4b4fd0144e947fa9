//! `~/.databrickscfg` profiles, read like the Databricks SDKs: INI sections,
//! `key = value`, comments on lines starting with `#` or `;` (and inline after
//! ` #`, so passwords may contain `#`). Sections do not inherit from
//! `[DEFAULT]`.

use std::{collections::HashMap, path::Path};

/// The keys of one profile, lower-case names as in the file.
pub(super) type Profile = HashMap<String, String>;

/// Every section of a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    sections: HashMap<String, Profile>,
}

// === impl ConfigFile ===

impl ConfigFile {
    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Self {
        let mut sections: HashMap<String, Profile> = HashMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                let name = name.trim().to_owned();
                sections.entry(name.clone()).or_default();
                current = Some(name);
                continue;
            }
            let (Some(section), Some((key, value))) = (&current, line.split_once('=')) else {
                continue;
            };
            let value = strip_inline_comment(value.trim());
            if let Some(profile) = sections.get_mut(section) {
                profile.insert(key.trim().to_ascii_lowercase(), value.to_owned());
            }
        }
        Self { sections }
    }

    /// Reads and parses `path`; `Ok(None)` when the file does not exist.
    pub fn read(path: &Path) -> std::io::Result<Option<Self>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Self::parse(&text))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The section named `name`.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.sections.get(name)
    }

    /// `[__settings__] default_profile`, as the newest SDKs honour it.
    pub fn default_profile(&self) -> Option<&str> {
        self.sections
            .get("__settings__")
            .and_then(|settings| settings.get("default_profile"))
            .map(String::as_str)
            .filter(|name| !name.is_empty())
    }
}

/// `value # comment` → `value`; a `#` without a space before it is kept.
fn strip_inline_comment(value: &str) -> &str {
    match value.find(" #").or_else(|| value.find("\t#")) {
        Some(index) => value[..index].trim_end(),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "
# a comment
[DEFAULT]
host = https://adb-1.azuredatabricks.net
token = dapi123  # inline comment

[staging]
host=https://staging.example
username = svc
password = p#ss;word

[__settings__]
default_profile = staging
";

    #[test]
    fn sections_keys_and_comments() {
        let file = ConfigFile::parse(FILE);
        let default = file.profile("DEFAULT").unwrap();
        assert_eq!(default["token"], "dapi123");
        let staging = file.profile("staging").unwrap();
        assert_eq!(staging["password"], "p#ss;word");
        assert!(
            !staging.contains_key("token"),
            "no inheritance from DEFAULT"
        );
        assert_eq!(file.default_profile(), Some("staging"));
        assert!(file.profile("missing").is_none());
    }
}
