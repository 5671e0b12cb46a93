//! Reading a configuration: a TOML or JSON document, then `JANS_*` environment overrides,
//! with errors that name the property at fault.

use super::{Config, ConfigError};

impl Config {
    /// Parse a configuration document (TOML when `toml` is true, else JSON) and apply
    /// `JANS_*` overrides from `env`, then validate.
    pub fn load(
        text: Option<(&str, bool)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut doc = match text {
            None => serde_json::Value::Object(serde_json::Map::new()),
            Some((t, true)) => {
                let v: toml::Value =
                    toml::from_str(t).map_err(|e| ConfigError::new("<file>", e.message()))?;
                serde_json::to_value(v).map_err(|e| ConfigError::new("<file>", e.to_string()))?
            }
            Some((t, false)) => {
                serde_json::from_str(t).map_err(|e| ConfigError::new("<file>", e.to_string()))?
            }
        };
        let serde_json::Value::Object(map) = &mut doc else {
            return Err(ConfigError::new("<file>", "must be a table/object"));
        };
        apply_env(map, env)?;
        Config::from_value(doc)
    }

    /// Deserialize and validate a JSON value of Janssen properties.
    pub fn from_value(v: serde_json::Value) -> Result<Config, ConfigError> {
        let config: Config = serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            // serde names the unknown field itself; the path is "." at top level.
            let key = if path == "." { field_in(&inner) } else { path };
            ConfigError::new(&key, inner)
        })?;
        config.validate()?;
        Ok(config)
    }
}

fn field_in(msg: &str) -> String {
    // "unknown field `foo`, expected one of ..." -> foo
    msg.split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "<file>".to_owned())
}

/// Apply `JANS_SOME_PROPERTY=value` to `someProperty`. Values parse as JSON when they can
/// (numbers, booleans, arrays), as comma-separated lists for array properties, else as
/// strings. Variables naming no property are left for the host (e.g. `JANS_DATA_DIR`).
fn apply_env(
    map: &mut serde_json::Map<String, serde_json::Value>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let defaults = serde_json::to_value(Config::default())
        .map_err(|e| ConfigError::new("<defaults>", e.to_string()))?;
    let serde_json::Value::Object(defaults) = defaults else {
        return Ok(());
    };
    for (name, raw) in env {
        // The persistence settings a deployment sets from its environment (a Secret).
        let nested = match name.as_str() {
            "JANS_DATABASE_URL" => Some(("url", serde_json::Value::String(raw.clone()))),
            "JANS_PERSISTENCE_TYPE" => Some(("type", serde_json::Value::String(raw.clone()))),
            "JANS_DATABASE_CA_FILE" => Some(("caFile", serde_json::Value::String(raw.clone()))),
            _ => None,
        };
        if let Some((field, value)) = nested {
            let section = map
                .entry("persistence")
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(section) = section {
                section.insert(field.to_owned(), value);
            }
            continue;
        }
        let Some(suffix) = name.strip_prefix("JANS_") else {
            continue;
        };
        let wanted: String = suffix
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let Some((key, default)) = defaults
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase() == wanted)
        else {
            continue;
        };
        let value = match default {
            serde_json::Value::String(_) => serde_json::Value::String(raw),
            serde_json::Value::Array(_) if !raw.trim_start().starts_with('[') => {
                serde_json::Value::Array(
                    raw.split(',')
                        .map(|s| serde_json::Value::String(s.trim().to_owned()))
                        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                        .collect(),
                )
            }
            _ => serde_json::from_str(&raw).map_err(|_| {
                ConfigError::new(
                    key,
                    format!("environment variable {name} is not a valid value"),
                )
            })?,
        };
        map.insert(key.clone(), value);
    }
    Ok(())
}
