//! Output formats, apart from the rules: the report as a table or JSON, the rule catalog as text or Markdown.

pub mod catalog;
pub mod ci;
pub mod fleet;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod table;
pub mod text;
pub mod why;

use crate::options::Options;
use crate::report::{fleet::FleetReportOut, v1};
use crate::rules::Report;

/// The report as pretty JSON: version 1 of the contract.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(&v1::Report::from(report)).expect("a report always serialises")
}

/// The report on one line, for `--format ndjson`.
pub fn json_line(report: &Report) -> String {
    serde_json::to_string(&v1::Report::from(report)).expect("a report always serialises")
}

/// The reports of several targets as one pretty JSON document, the fleet report, written as it is made.
pub fn write_fleet_json(
    out: &mut impl std::io::Write,
    reports: &[Report],
    options: &Options,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &FleetReportOut::new(reports, options))?;
    out.write_all(b"\n")
}
