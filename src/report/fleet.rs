//! The fleet report, version 1: the `--format json` document of a run over several targets (`docs/report.md`,
//! schema `docs/fleet-report.schema.json`). Each target's report is the single-target contract (`v1::Report`);
//! `--format ndjson` prints those same reports one per line. Within a version fields are only ever added.

use super::v1;
use crate::rules;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const FLEET_REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FleetReport {
    pub fleet_report_version: u32,
    pub tool_version: String,
    pub mode: v1::Mode,
    /// The SSM document the sessions use.
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    pub summary: Summary,
    /// One per target, in the order of the run.
    pub reports: Vec<v1::Report>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub targets: usize,
    /// Targets with no failing requirement.
    pub ready: usize,
    pub not_ready: usize,
    /// Targets where at least one check could not see its facts (ready or not).
    pub with_unknowns: usize,
    /// Targets with at least one warning.
    pub with_warnings: usize,
    /// Ready targets whose answer is "cannot tell": nothing fails, but a requirement could not be checked (a
    /// subset of `ready`). Added in ssm-check 0.3.0.
    #[serde(default)]
    pub cannot_tell: usize,
}

impl Summary {
    pub fn of(reports: &[rules::Report]) -> Summary {
        let mut s = Summary {
            targets: reports.len(),
            ..Summary::default()
        };
        for r in reports {
            if r.verdict.ready {
                s.ready += 1;
                s.cannot_tell += usize::from(r.verdict.answer == rules::Answer::CannotTell);
            } else {
                s.not_ready += 1;
            }
            s.with_unknowns += usize::from(r.counts.unknown > 0);
            s.with_warnings += usize::from(r.counts.warn > 0);
        }
        s
    }
}

impl FleetReport {
    pub fn new(reports: &[rules::Report], options: &crate::options::Options) -> FleetReport {
        FleetReport {
            fleet_report_version: FLEET_REPORT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            mode: options.mode.into(),
            document: options.mode.document().to_string(),
            port: options.port,
            remote_host: options.remote_host.clone(),
            summary: Summary::of(reports),
            reports: reports.iter().map(v1::Report::from).collect(),
        }
    }
}

/// The fleet report as it is written: the fields of [`FleetReport`] in its order, each target's report converted
/// as it is serialised — a thousand reports are never held twice, nor the whole text.
#[derive(Serialize)]
pub struct FleetReportOut<'a> {
    fleet_report_version: u32,
    tool_version: &'static str,
    mode: v1::Mode,
    document: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_host: Option<&'a str>,
    summary: Summary,
    reports: Reports<'a>,
}

struct Reports<'a>(&'a [rules::Report]);

impl Serialize for Reports<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(v1::Report::from))
    }
}

impl<'a> FleetReportOut<'a> {
    pub fn new(reports: &'a [rules::Report], options: &'a crate::options::Options) -> Self {
        FleetReportOut {
            fleet_report_version: FLEET_REPORT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            mode: options.mode.into(),
            document: options.mode.document(),
            port: options.port,
            remote_host: options.remote_host.as_deref(),
            summary: Summary::of(reports),
            reports: Reports(reports),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{Mode, Options};

    #[test]
    fn written_as_the_contract_reads() {
        let doc =
            crate::facts::load_document(std::path::Path::new("examples/fleet/us-east-1.json"))
                .unwrap();
        let options = Options {
            port: Some(22),
            ..Options::new(Mode::Ssh)
        };
        let reports = crate::rules::evaluate_document(&doc, &options);
        let streamed =
            serde_json::to_string_pretty(&FleetReportOut::new(&reports, &options)).unwrap();
        let whole = serde_json::to_string_pretty(&FleetReport::new(&reports, &options)).unwrap();
        assert_eq!(streamed, whole);
        let back: FleetReport = serde_json::from_str(&streamed).unwrap();
        assert_eq!(back.reports.len(), 5);
    }
}
