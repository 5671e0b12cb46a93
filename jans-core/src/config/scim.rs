//! The SCIM component's configuration (`scimConfiguration`), with jans-scim's property names
//! where Janssen has them: `maxCount`, `bulkMaxOperations`, `bulkMaxPayloadSize`. Janssen
//! declares custom user attributes in its attribute registry (`jansSCIMCustomAttr`); until
//! the config API serves that registry they are listed here, as `customAttributes`.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// A custom user attribute of Janssen's `gluu` extension
/// (`urn:ietf:params:scim:schemas:extension:gluu:2.0:User`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomAttribute {
    /// Its name (RFC 7643 §2.1: a letter, then letters, digits, `-` and `_`).
    pub name: String,
    /// Its type: `string`, `boolean`, `decimal`, `integer`, `dateTime`, `binary` or
    /// `reference` (not `complex`).
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether it holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// Whether every user must have it.
    #[serde(default)]
    pub required: bool,
}

/// `scimConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ScimConfiguration {
    /// Most results one query answers (RFC 7644 §3.4.2.4 `count` is capped at it).
    pub max_count: usize,
    /// Most operations in one Bulk request (RFC 7644 §3.7).
    pub bulk_max_operations: usize,
    /// Largest Bulk request body, in bytes.
    pub bulk_max_payload_size: usize,
    /// The custom attributes of Janssen's user extension.
    pub custom_attributes: Vec<CustomAttribute>,
}

impl Default for ScimConfiguration {
    fn default() -> Self {
        ScimConfiguration {
            max_count: 200,
            bulk_max_operations: 30,
            bulk_max_payload_size: 3_072_000,
            custom_attributes: Vec::new(),
        }
    }
}

/// The types a custom attribute may have (RFC 7643 §2.3, less `complex`).
pub const CUSTOM_ATTRIBUTE_TYPES: [&str; 7] = [
    "string",
    "boolean",
    "decimal",
    "integer",
    "dateTime",
    "binary",
    "reference",
];

/// Bounds of the numeric settings.
const MAX_COUNT: usize = 10_000;
const MAX_BULK_OPERATIONS: usize = 10_000;
const MAX_BULK_PAYLOAD: usize = 64 * 1024 * 1024;

impl ScimConfiguration {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("scimConfiguration.{k}");
        for (name, v, max) in [
            ("maxCount", self.max_count, MAX_COUNT),
            (
                "bulkMaxOperations",
                self.bulk_max_operations,
                MAX_BULK_OPERATIONS,
            ),
            (
                "bulkMaxPayloadSize",
                self.bulk_max_payload_size,
                MAX_BULK_PAYLOAD,
            ),
        ] {
            if v == 0 || v > max {
                return Err(ConfigError::new(
                    &key(name),
                    format!("must be between 1 and {max}"),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, a) in self.custom_attributes.iter().enumerate() {
            let at = key(&format!("customAttributes[{i}]"));
            let mut chars = a.name.chars();
            let name_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                return Err(ConfigError::new(
                    &at,
                    format!(
                        "{:?} is not an attribute name (a letter, then letters, digits, - and _)",
                        a.name
                    ),
                ));
            }
            if !CUSTOM_ATTRIBUTE_TYPES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&a.ty))
            {
                return Err(ConfigError::new(
                    &at,
                    format!(
                        "type {:?} is not one of {}",
                        a.ty,
                        CUSTOM_ATTRIBUTE_TYPES.join(", ")
                    ),
                ));
            }
            if !seen.insert(a.name.to_ascii_lowercase()) {
                return Err(ConfigError::new(
                    &at,
                    format!("{} is listed twice (names are case-insensitive)", a.name),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, ty: &str) -> CustomAttribute {
        CustomAttribute {
            name: name.into(),
            ty: ty.into(),
            multi_valued: false,
            required: false,
        }
    }

    #[test]
    fn rules() {
        assert!(ScimConfiguration::default().validate().is_ok());
        let with = |f: &dyn Fn(&mut ScimConfiguration)| {
            let mut c = ScimConfiguration::default();
            f(&mut c);
            c.validate()
        };
        assert!(with(&|c| c.custom_attributes = vec![attr("badge", "Integer")]).is_ok());
        for (f, key) in [
            (
                &(|c: &mut ScimConfiguration| c.max_count = 0) as &dyn Fn(&mut ScimConfiguration),
                "scimConfiguration.maxCount",
            ),
            (
                &|c: &mut ScimConfiguration| c.bulk_max_operations = 20_000,
                "scimConfiguration.bulkMaxOperations",
            ),
            (
                &|c: &mut ScimConfiguration| c.custom_attributes = vec![attr("a b", "string")],
                "scimConfiguration.customAttributes[0]",
            ),
            (
                &|c: &mut ScimConfiguration| c.custom_attributes = vec![attr("a", "complex")],
                "scimConfiguration.customAttributes[0]",
            ),
            (
                &|c: &mut ScimConfiguration| {
                    c.custom_attributes = vec![attr("a", "string"), attr("A", "integer")]
                },
                "scimConfiguration.customAttributes[1]",
            ),
        ] {
            assert_eq!(with(f).unwrap_err().key, key);
        }
    }
}
