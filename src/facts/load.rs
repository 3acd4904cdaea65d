//! Reading a facts document, with errors that name the file, the line and what is wrong.

use super::{Facts, SCHEMA_VERSION};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read the facts file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not a valid facts document: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: facts schema version {found} is not supported: this ssm-check reads version {expected} (gather the facts again with this version)")]
    Version {
        path: String,
        found: u64,
        expected: u32,
    },
    #[error("{path}: not a facts document: it has no \"schema_version\" (write one with `ssm-check gather`)")]
    NoVersion { path: String },
}

pub fn load_file(path: &Path) -> Result<Facts, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Parses `text`; `path` only names the source in errors.
pub fn parse(text: &str, path: &str) -> Result<Facts, LoadError> {
    let invalid = |e: serde_json::Error| LoadError::Invalid {
        path: path.to_string(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    };
    // Check the version before the shape, so an old or new document is named as such
    // rather than reported as a list of unknown fields.
    let probe: serde_json::Value = serde_json::from_str(text).map_err(invalid)?;
    match probe.get("schema_version").and_then(|v| v.as_u64()) {
        None => {
            return Err(LoadError::NoVersion {
                path: path.to_string(),
            })
        }
        Some(found) if found != u64::from(SCHEMA_VERSION) => {
            return Err(LoadError::Version {
                path: path.to_string(),
                found,
                expected: SCHEMA_VERSION,
            })
        }
        Some(_) => {}
    }
    serde_json::from_str(text).map_err(invalid)
}

/// serde_json appends " at line L column C"; the error already carries them.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
