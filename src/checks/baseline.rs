//! Baselines: record today's findings, then report only new ones.
//!
//! A baseline is a JSON file of finding fingerprints (rule, file, resource, property: stable
//! when lines move), written with `--write-baseline` and read with `--baseline`. Suppressed
//! findings are not recorded: they are already accounted for.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::report::Report;

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON.
    #[error("not a mirrorguard baseline: {0}")]
    NotJson(#[from] serde_json::Error),
    /// Another format version.
    #[error("unsupported baseline version {0} (expected {VERSION})")]
    Version(Value),
    /// No findings list.
    #[error("baseline has no findings list")]
    NoFindings,
}

/// Version of the baseline file format.
const VERSION: u64 = 1;

/// Renders the baseline of a report.
pub fn render(report: &Report) -> String {
    let mut entries: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| {
            json!({
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "file": f.file(),
                "resource": f.address,
                "message": f.message,
            })
        })
        .collect();
    entries.sort_by(|a, b| a["fingerprint"].as_str().cmp(&b["fingerprint"].as_str()));
    entries.dedup_by(|a, b| a["fingerprint"] == b["fingerprint"]);
    let mut s = serde_json::to_string_pretty(&json!({
        "version": VERSION,
        "tool": "mirrorguard",
        "findings": entries,
    }))
    .unwrap_or_default();
    s.push('\n');
    s
}

/// Removes the findings a baseline already records; returns how many were removed.
pub fn apply(report: &mut Report, baseline: &str) -> Result<usize, BaselineError> {
    let doc: Value = serde_json::from_str(baseline)?;
    if doc["version"].as_u64() != Some(VERSION) {
        return Err(BaselineError::Version(doc["version"].clone()));
    }
    let known: BTreeSet<&str> = doc["findings"]
        .as_array()
        .ok_or(BaselineError::NoFindings)?
        .iter()
        .filter_map(|e| e["fingerprint"].as_str())
        .collect();
    let before = report.findings.len();
    report
        .findings
        .retain(|f| f.suppression.is_some() || !known.contains(f.fingerprint.as_str()));
    let removed = before - report.findings.len();
    report.baselined += removed;
    Ok(removed)
}
