//! Reading a facts document — a single target's (version 1) or a fleet's (version 2) — with errors that name the
//! file, the line and what is wrong.

use super::fleet::{Fleet, Viewer, FLEET_SCHEMA_VERSION};
use super::{Facts, SCHEMA_VERSION};
use std::io::Read;
use std::path::Path;

/// The largest facts document read, file or standard input: 64 MiB. A 1,000-target fleet document, pretty-printed
/// as `gather` writes it, measures about 1 MB with shared VPCs and roles and 6.5 MB with a VPC and an instance
/// profile for every target; the cap holds ten times that, and keeps `--facts /dev/stdin` fed from a runaway
/// producer from exhausting memory.
pub const MAX_FACTS_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read the facts file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a facts file: it is {kind}, and only a regular file (or - for standard input) is read")]
    NotAFile { path: String, kind: &'static str },
    #[error("{path}: larger than the {} MiB a facts document may be", MAX_FACTS_BYTES / 1024 / 1024)]
    TooLarge { path: String },
    #[error("{path}:{line}:{column}: not a valid facts document: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: facts schema version {found} is not supported: this ssm-check reads versions {SCHEMA_VERSION} (one target) and {FLEET_SCHEMA_VERSION} (a fleet) (gather the facts again with this version)")]
    Version { path: String, found: u64 },
    #[error("{path}: not a facts document: it has no \"schema_version\" (write one with `ssm-check gather`)")]
    NoVersion { path: String },
    #[error("{path}: holds facts about {count} targets, not one")]
    NotOne { path: String, count: usize },
}

/// A facts document as saved: one target's, or a fleet's.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Single(Box<Facts>),
    Fleet(Box<Fleet>),
}

impl Document {
    /// How many targets it holds.
    pub fn len(&self) -> usize {
        match self {
            Document::Single(_) => 1,
            Document::Fleet(f) => f.targets.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The target ids, in order.
    pub fn target_ids(&self) -> Vec<String> {
        match self {
            Document::Single(f) => vec![f.target.id.clone()],
            Document::Fleet(f) => f.targets.iter().map(|t| t.id.clone()).collect(),
        }
    }

    /// Target `i`'s single facts document.
    pub fn view(&self, i: usize) -> Facts {
        match self {
            Document::Single(f) => (**f).clone(),
            Document::Fleet(f) => f.view(i),
        }
    }

    /// The single facts documents of targets `picked`, in that order, reading the fleet's shared parts once.
    pub fn views<'a>(&'a self, picked: &'a [usize]) -> impl Iterator<Item = Facts> + 'a {
        enum Source<'a> {
            Single(&'a Facts),
            Fleet(Viewer<'a>),
        }
        let source = match self {
            Document::Single(f) => Source::Single(f),
            Document::Fleet(f) => Source::Fleet(f.viewer()),
        };
        picked.iter().map(move |&i| match &source {
            Source::Single(f) => (*f).clone(),
            Source::Fleet(v) => v.view(i),
        })
    }
}

/// Reads a facts document from a regular file (a FIFO, a device or a directory is refused before it is opened,
/// so nothing blocks or reads forever), or from standard input when `path` is `-`; either way through the cap.
pub fn load_document(path: &Path) -> Result<Document, LoadError> {
    let shown = path.display().to_string();
    let read_error = |source| LoadError::Read {
        path: shown.clone(),
        source,
    };
    let text = if path.as_os_str() == "-" {
        read_bounded(std::io::stdin().lock(), &shown)?
    } else {
        let meta = std::fs::metadata(path).map_err(read_error)?;
        let kind = file_kind(&meta);
        if kind != "a regular file" {
            return Err(LoadError::NotAFile { path: shown, kind });
        }
        if meta.len() > MAX_FACTS_BYTES {
            return Err(LoadError::TooLarge { path: shown });
        }
        read_bounded(std::fs::File::open(path).map_err(read_error)?, &shown)?
    };
    parse_document(&text, &shown)
}

/// What a path is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The text of `reader`, refused once it passes [`MAX_FACTS_BYTES`].
fn read_bounded(reader: impl Read, path: &str) -> Result<String, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FACTS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Read {
            path: path.to_string(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FACTS_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_string(),
        });
    }
    String::from_utf8(bytes).map_err(|e| LoadError::Read {
        path: path.to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// One target's facts: a version 1 document, or a fleet document of one target.
pub fn load_file(path: &Path) -> Result<Facts, LoadError> {
    let doc = load_document(path)?;
    match doc.len() {
        1 => Ok(doc.view(0)),
        count => Err(LoadError::NotOne {
            path: path.display().to_string(),
            count,
        }),
    }
}

/// Parses a version 1 document; `path` only names the source in errors.
pub fn parse(text: &str, path: &str) -> Result<Facts, LoadError> {
    match parse_document(text, path)? {
        Document::Single(f) => Ok(*f),
        Document::Fleet(f) if f.targets.len() == 1 => Ok(f.view(0)),
        Document::Fleet(f) => Err(LoadError::NotOne {
            path: path.to_string(),
            count: f.targets.len(),
        }),
    }
}

pub fn parse_document(text: &str, path: &str) -> Result<Document, LoadError> {
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
        None => Err(LoadError::NoVersion {
            path: path.to_string(),
        }),
        Some(v) if v == u64::from(SCHEMA_VERSION) => Ok(Document::Single(Box::new(
            serde_json::from_str(text).map_err(invalid)?,
        ))),
        Some(v) if v == u64::from(FLEET_SCHEMA_VERSION) => Ok(Document::Fleet(Box::new(
            serde_json::from_str(text).map_err(invalid)?,
        ))),
        Some(found) => Err(LoadError::Version {
            path: path.to_string(),
            found,
        }),
    }
}

/// serde_json appends " at line L column C"; the error already carries them.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
