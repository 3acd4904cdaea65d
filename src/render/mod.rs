//! Output formats, apart from the rules: the report as a table or JSON, the rule catalog as text or Markdown.

pub mod catalog;
pub mod table;

use crate::report::Report;

/// The report as pretty JSON (the versioned contract).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serialises")
}
