//! Output formats, apart from the rules: the report as a table or JSON, the rule catalog as text or Markdown.

pub mod catalog;
pub mod table;

use crate::report::v1;
use crate::rules::Report;

/// The report as pretty JSON: version 1 of the contract.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(&v1::Report::from(report)).expect("a report always serialises")
}
