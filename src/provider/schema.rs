//! The schemas the provider announces. This increment has the provider
//! configuration block only; resources and data sources come later.

use super::proto::{
    Schema, StringKind,
    schema::{Attribute, Block},
};

/// The cty type of every provider setting, as Terraform's JSON type
/// constraint.
const STRING: &[u8] = br#""string""#;

/// One provider setting: name, whether Terraform must mask it, description.
struct Setting {
    name: &'static str,
    sensitive: bool,
    description: &'static str,
}

/// The provider block's settings, the ones `databricks-grpc serve` reads
/// from flags, `DATABRICKS_*` and profiles. All optional.
const SETTINGS: &[Setting] = &[
    Setting {
        name: "host",
        sensitive: false,
        description: "The workspace URL, e.g. https://adb-123.4.azuredatabricks.net (DATABRICKS_HOST). http:// only to a loopback address.",
    },
    Setting {
        name: "token",
        sensitive: true,
        description: "A personal access token (DATABRICKS_TOKEN).",
    },
    Setting {
        name: "profile",
        sensitive: false,
        description: "A profile in ~/.databrickscfg to read the other settings from (DATABRICKS_CONFIG_PROFILE).",
    },
    Setting {
        name: "auth_type",
        sensitive: false,
        description: "Which credentials to use when several are set, e.g. pat or oauth-m2m (DATABRICKS_AUTH_TYPE).",
    },
    Setting {
        name: "client_id",
        sensitive: false,
        description: "The service principal's OAuth client id, for machine-to-machine OAuth (DATABRICKS_CLIENT_ID).",
    },
    Setting {
        name: "client_secret",
        sensitive: true,
        description: "The service principal's OAuth client secret (DATABRICKS_CLIENT_SECRET).",
    },
];

/// The provider block's attribute names, in schema order.
pub fn setting_names() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().map(|setting| setting.name)
}

/// The `provider "dbgrpc" {}` block: six optional strings, two sensitive.
pub fn provider_schema() -> Schema {
    let attributes = SETTINGS
        .iter()
        .map(|setting| Attribute {
            name: setting.name.to_owned(),
            r#type: STRING.to_vec(),
            description: setting.description.to_owned(),
            description_kind: StringKind::Plain.into(),
            optional: true,
            sensitive: setting.sensitive,
            ..Attribute::default()
        })
        .collect();
    Schema {
        version: 0,
        block: Some(Block {
            version: 0,
            attributes,
            description: "databricks-grpc as a Terraform provider: the workspace to manage."
                .to_owned(),
            description_kind: StringKind::Plain.into(),
            ..Block::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_passes_terraforms_schema_rules() {
        let schema = provider_schema();
        let block = schema.block.unwrap();
        assert!(block.block_types.is_empty());
        assert_eq!(block.attributes.len(), 6);
        for attribute in &block.attributes {
            let name = &attribute.name;
            // Exactly one of required/optional/computed here: optional.
            assert!(
                attribute.optional && !attribute.required && !attribute.computed,
                "{name}"
            );
            // Exactly one of type / nested_type, and valid JSON (Terraform
            // panics on invalid type JSON).
            assert!(attribute.nested_type.is_none(), "{name}");
            let ty: serde_json::Value = serde_json::from_slice(&attribute.r#type).unwrap();
            assert_eq!(ty, serde_json::json!("string"), "{name}");
            assert!(!attribute.description.is_empty(), "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn only_the_secrets_are_sensitive() {
        let block = provider_schema().block.unwrap();
        let sensitive: Vec<_> = block
            .attributes
            .iter()
            .filter(|attribute| attribute.sensitive)
            .map(|attribute| attribute.name.as_str())
            .collect();
        assert_eq!(sensitive, ["token", "client_secret"]);
    }
}
