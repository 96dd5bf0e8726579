//! The JSON report: a documented, versioned schema (`schema_version` 1; see README.md).
//! Fields are only ever added within a schema version, never renamed or removed.

use serde_json::{Value, json};

use crate::error::CheckError;
use crate::report::Location;
use crate::report::Report;

/// Version of the JSON report schema.
pub(crate) const SCHEMA_VERSION: u32 = 1;

fn location(l: &Location) -> Value {
    json!({
        "file": l.file(),
        "start": {"line": l.start.line, "column": l.start.column},
        "end": {"line": l.end.line, "column": l.end.column},
        "byte_range": [l.span.start, l.span.end],
    })
}

/// Renders a report as pretty JSON ending in a newline.
pub(crate) fn render(report: &Report, command: &str) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule_id": f.rule_id,
                "severity": f.severity.as_str(),
                "message": f.message,
                "location": f.location.as_ref().map(location),
                "resource": f.address,
                "property": f.property,
                "fingerprint": f.fingerprint,
                "scope": f.scope,
                "suppression": f.suppression.as_ref().map(|s| json!({"kind": s.kind, "justification": s.justification})),
                "related": f.related.iter().map(|r| json!({"message": r.message, "location": location(&r.location)})).collect::<Vec<_>>(),
                "fix": f.fix.as_ref().map(|x| json!({
                    "description": x.description,
                    "applicability": x.applicability.as_str(),
                    "edits": x.edits.iter().map(|e| json!({
                        "location": location(&e.location),
                        "replacement": e.replacement,
                    })).collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    let skipped: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "resource": s.address,
                "property": s.property,
                "reason": s.reason,
                "rules": s.rules,
                "location": location(&s.location),
            })
        })
        .collect();
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| match e {
            CheckError::File(f) => json!({
                "file": f.file,
                "line": f.position.map(|p| p.line),
                "column": f.position.map(|p| p.column),
                "message": f.message,
            }),
            // `file` names what failed for every error (schema 1): a region, a rule, a role.
            CheckError::Run(r) => json!({
                "file": r.name,
                "subject": r.subject.as_str(),
                "name": r.name,
                "message": r.message,
            }),
        })
        .collect();
    let count = |s: crate::report::Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.severity == s)
            .count()
    };
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mirrorguard", "version": env!("CARGO_PKG_VERSION")},
        "command": command,
        "summary": {
            "files_read": report.files_read,
            "units": report.units,
            "sessions": report.sessions,
            "errors": count(crate::report::Severity::Error),
            "warnings": count(crate::report::Severity::Warning),
            "notes": count(crate::report::Severity::Note),
            "suppressed": report.findings.iter().filter(|f| f.suppression.is_some()).count(),
            "baselined": report.baselined,
            "skipped_checks": report.skipped.len(),
            "failed_files": report.errors.len(),
            "live_outside_scopes": report.live_outside_scopes,
        },
        "findings": findings,
        "skipped": skipped,
        "errors": errors,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
