//! SARIF 2.1.0 for GitHub code scanning.
//!
//! One run per invocation with its own `automationDetails.id` category; every loaded rule
//! in `tool.driver.rules`; repo-relative, `/`-separated URIs under `%SRCROOT%`; regions in
//! 1-based lines and UTF-16 columns (SARIF's default `columnKind`); `partialFingerprints`
//! from rule, file, resource and property so alerts survive line moves; files that could
//! not be read or parsed, and checks hidden by unknown values, as notifications. The
//! object model is [`log`]'s.

mod log;

use std::collections::BTreeMap;

use serde_json::json;

use self::log::{
    ArtifactChange, ArtifactLocation, AutomationDetails, Configuration, Descriptor, Driver,
    Fix as SFix, Invocation, Location as SLocation, Log, LogicalLocation, Message, Notification,
    PhysicalLocation, Properties, Region, Replacement, Run, SarifResult, Suppression, Text, Tool,
};
use crate::error::CheckError;
use crate::report::Report;
use crate::report::{Finding, Location};
use crate::rules::RuleSet;

/// The `partialFingerprints` key (versioned: change it if the hash inputs change).
pub(crate) const FINGERPRINT_KEY: &str = "mirrorguard/v1";

fn region(loc: &Location) -> Region {
    Region {
        start_line: loc.start.line,
        start_column: loc.start.utf16_column,
        end_line: Some(loc.end.line),
        end_column: Some(loc.end.utf16_column.max(if loc.end.line == loc.start.line {
            loc.start.utf16_column + 1
        } else {
            1
        })),
        ..Region::default()
    }
}

/// The exact region of an edit: lines and UTF-16 columns, and the same as a character
/// offset and length (reviewdog reads either), empty for an insertion.
fn exact_region(loc: &Location) -> Region {
    let offset = loc.source.utf16_offset(loc.span.start);
    let length = loc.source.utf16_offset(loc.span.end).saturating_sub(offset);
    Region {
        end_column: Some(loc.end.utf16_column),
        char_offset: Some(offset),
        char_length: Some(length),
        ..region(loc)
    }
}

/// A finding's fix (SARIF 2.1.0 §3.55): one artifact change per file with all its
/// replacements, the applicability in the properties.
fn fix(f: &crate::report::Fix) -> SFix {
    let mut by_file: BTreeMap<&str, Vec<&crate::report::Edit>> = BTreeMap::new();
    for e in &f.edits {
        by_file.entry(e.location.file()).or_default().push(e);
    }
    let artifact_changes = by_file
        .into_iter()
        .map(|(file, edits)| ArtifactChange {
            artifact_location: artifact(file),
            replacements: edits
                .into_iter()
                .map(|e| Replacement {
                    deleted_region: exact_region(&e.location),
                    inserted_content: Message::new(e.replacement.as_str()),
                })
                .collect(),
        })
        .collect();
    let mut properties = Properties::default();
    properties
        .others
        .insert("applicability".to_owned(), json!(f.applicability.as_str()));
    SFix {
        artifact_changes,
        description: Message::new(f.description.as_str()),
        properties,
    }
}

/// A repo-relative path under `%SRCROOT%`; a path outside the working directory (absolute)
/// becomes an absolute `file://` URI, since a relative reference must not start with `/`.
fn artifact(path: &str) -> ArtifactLocation {
    let encoded = percent_encode(path);
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{encoded}"),
            uri_base_id: None,
        }
    } else if path.as_bytes().get(1) == Some(&b':') {
        ArtifactLocation {
            uri: format!("file:///{encoded}"),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encoded,
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

/// Percent-encodes what may not appear in a URI path (RFC 3986), keeping `/`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(loc: &Location) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(loc.file()),
        region: Some(region(loc)),
    }
}

fn descriptor(rule: &crate::rules::Rule) -> Descriptor {
    let m = &rule.meta;
    let mut properties = Properties {
        tags: vec![
            "security".to_owned(),
            "traffic-mirroring".to_owned(),
            m.name.clone(),
        ],
        ..Properties::default()
    };
    properties.others.insert(
        "security-severity".to_owned(),
        json!(m.severity.security_severity()),
    );
    properties
        .others
        .insert("precision".to_owned(), json!("very-high"));
    properties.others.insert(
        "problem.severity".to_owned(),
        json!(match m.severity {
            crate::report::Severity::Error => "error",
            crate::report::Severity::Warning => "warning",
            crate::report::Severity::Note => "recommendation",
        }),
    );
    let help_markdown = format!(
        "**{}** ({})\n\n{}\n\n**Fix:** {}{}",
        m.title,
        m.id,
        m.description,
        m.help,
        if m.related.is_empty() {
            String::new()
        } else {
            format!(
                "\n\n**References:**\n{}",
                m.related
                    .iter()
                    .map(|r| format!("- <{r}>"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
    );
    Descriptor {
        default_configuration: Configuration {
            level: m.severity.as_str(),
        },
        full_description: Text {
            markdown: None,
            text: m.description.clone(),
        },
        help: Text {
            markdown: Some(help_markdown),
            text: format!("{}\n\nFix: {}", m.description, m.help),
        },
        help_uri: rule.help_uri(),
        id: m.id.clone(),
        name: pascal(&m.name),
        properties,
        short_description: Text {
            markdown: None,
            text: m.title.clone(),
        },
    }
}

/// `session-number-out-of-range` → `SessionNumberOutOfRange` (SARIF rule names are identifiers).
fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Renders a report as a SARIF log (pretty-printed JSON, ending in a newline), in pieces
/// to be written one after the other. The results, the bulk of a large log, are serialized
/// one at a time into pieces of about [`PIECE_BYTES`]: neither the whole object model nor
/// one string of the log is ever built (10,000 templates: the run's peak memory went from
/// 197 MB, most of it at the end, to about 140 MB).
pub(crate) fn render(report: &Report, rules: &RuleSet, category: &str) -> Vec<String> {
    render_cut_at(report, rules, category, RESULTS_SLOT)
}

/// [`render`], cutting the log at `slot` (a test names one that is never there).
fn render_cut_at(report: &Report, rules: &RuleSet, category: &str, slot: &str) -> Vec<String> {
    let metas = rules.metas();
    let rule_index = |id: &str| metas.iter().position(|m| m.id == id);

    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            locations: match e {
                CheckError::File(f) => vec![SLocation {
                    physical_location: Some(PhysicalLocation {
                        artifact_location: artifact(&f.file),
                        region: f.position.map(|p| Region {
                            start_line: p.line,
                            start_column: p.column,
                            ..Region::default()
                        }),
                    }),
                    ..SLocation::default()
                }],
                CheckError::Run(_) => Vec::new(),
            },
            message: Message::new(match e {
                CheckError::File(f) => f.message.clone(),
                CheckError::Run(r) => format!("{}: {}", r.name, r.message),
            }),
        })
        .collect();
    notifications.extend(report.skipped.iter().map(|s| Notification {
        level: "note",
        locations: vec![SLocation {
            physical_location: Some(physical(&s.location)),
            ..SLocation::default()
        }],
        message: Message::new(format!(
            "{} of {} is not known ({}); not checked by {}",
            s.property,
            s.address,
            s.reason,
            s.rules.join(", ")
        )),
    }));

    let version = env!("CARGO_PKG_VERSION");
    let mut log = Log {
        schema: log::SCHEMA_URL,
        runs: vec![Run {
            automation_details: AutomationDetails {
                id: format!("{category}/"),
            },
            column_kind: "utf16CodeUnits",
            invocations: vec![Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            results: Vec::new(),
            tool: Tool {
                driver: Driver {
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    name: "mirrorguard",
                    rules: rules.rules().iter().map(descriptor).collect(),
                    semantic_version: version,
                    version,
                },
            },
        }],
        version: "2.1.0",
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    if report.findings.is_empty() {
        return vec![text];
    }
    // The log with no result, cut where its results go (the one key at run depth).
    let Some(at) = text.find(slot) else {
        // Never a log without its results: should the printer's layout ever differ, the
        // whole log is built and printed at once.
        if let Some(run) = log.runs.first_mut() {
            run.results = report
                .findings
                .iter()
                .map(|f| result(f, rule_index(&f.rule_id)))
                .collect();
        }
        let mut whole = serde_json::to_string_pretty(&log).unwrap_or_default();
        whole.push('\n');
        return vec![whole];
    };
    let tail = text.split_off(at + slot.len());
    text.pop(); // the empty list's `]`: the results go after its `[`
    let mut pieces = Vec::new();
    let mut piece = text;
    for (i, f) in report.findings.iter().enumerate() {
        if piece.len() >= PIECE_BYTES {
            pieces.push(std::mem::take(&mut piece));
        }
        piece.push_str(if i == 0 { "\n" } else { ",\n" });
        let one =
            serde_json::to_string_pretty(&result(f, rule_index(&f.rule_id))).unwrap_or_default();
        // Nested at depth 4: every line indented by 8 spaces, as the whole log prints it
        // (a newline inside a JSON string is escaped, so lines are the printer's own).
        for (n, line) in one.lines().enumerate() {
            if n > 0 {
                piece.push('\n');
            }
            piece.push_str("        ");
            piece.push_str(line);
        }
    }
    piece.push_str("\n      ]");
    piece.push_str(&tail);
    pieces.push(piece);
    pieces
}

/// Where a log printed with no result holds its (empty) list of results.
const RESULTS_SLOT: &str = "\n      \"results\": []";

/// The size a piece of a rendered log grows to before the next one starts.
const PIECE_BYTES: usize = 1 << 20;

/// One finding as a SARIF result; `rule_index` is its rule's place in `tool.driver.rules`.
fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let mut logical = vec![LogicalLocation {
        fully_qualified_name: if f.file().is_empty() {
            f.address.clone()
        } else {
            format!("{}#{}", f.file(), f.address)
        },
        kind: "resource",
        name: f.address.clone(),
    }];
    // A drift scope is the account and regions the result is about.
    if let Some(scope) = &f.scope {
        logical.push(LogicalLocation {
            fully_qualified_name: format!("aws:{scope}"),
            kind: "namespace",
            name: scope.clone(),
        });
    }
    let location = SLocation {
        logical_locations: logical,
        physical_location: f.location.as_ref().map(physical),
        ..SLocation::default()
    };
    // Objects read from the EC2 API have no file in the repository: the message
    // names them by id, and SARIF keeps only places it can link.
    let related_locations = f
        .related
        .iter()
        .filter(|r| !r.location.source.path.starts_with("<aws>"))
        .enumerate()
        .map(|(i, r)| SLocation {
            id: Some(i),
            message: Some(Message::new(r.message.as_str())),
            physical_location: Some(physical(&r.location)),
            ..SLocation::default()
        })
        .collect();
    SarifResult {
        fixes: f.fix.iter().map(fix).collect(),
        level: f.severity.as_str(),
        locations: vec![location],
        message: Message::new(f.message.as_str()),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.clone())]),
        properties: f.scope.as_ref().map(|scope| Properties {
            others: BTreeMap::from([("scope".to_owned(), json!(scope))]),
            ..Properties::default()
        }),
        related_locations,
        rule_id: f.rule_id.clone(),
        rule_index,
        suppressions: f
            .suppression
            .iter()
            .map(|s| Suppression {
                justification: s.justification.clone(),
                kind: s.kind,
                status: "accepted",
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{PIECE_BYTES, render, render_cut_at};
    use crate::pipeline::check::{CheckOptions, check_sources};
    use crate::rules::RuleSet;
    use crate::source::SourceFile;

    /// A log rendered in pieces, its results one at a time, is byte for byte the whole log
    /// as serde_json prints it, and has every finding.
    #[test]
    fn results_rendered_one_at_a_time_are_the_whole_log_printed() {
        let mut yaml = String::from("Resources:\n");
        for i in 0..700 {
            yaml.push_str(&format!(
                "  S{i}:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      \
                 NetworkInterfaceId: eni-0123456789abcdef0\n      \
                 TrafficMirrorTargetId: tmt-0123456789abcdef0\n      \
                 TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 0\n"
            ));
        }
        let Ok(rules) = RuleSet::load(&[]) else {
            panic!("the built-in rules load");
        };
        let report = check_sources(
            vec![SourceFile::in_memory("t.yaml", &yaml)],
            &CheckOptions::default(),
            &rules,
        );
        let pieces = render(&report, &rules, "test");
        assert!(
            pieces.len() > 1,
            "more than {PIECE_BYTES} bytes: several pieces"
        );
        let whole = pieces.concat();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&whole) else {
            panic!("the pieces make one JSON document");
        };
        let printed = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
        assert!(printed == whole, "the pieces are the log as printed whole");
        let results = value["runs"][0]["results"].as_array().map_or(0, Vec::len);
        assert_eq!(results, report.findings.len());
        assert!(results >= 700);
        // Where the place of the results is not found, the whole log is printed at once:
        // the same bytes, never a log without its results.
        let whole = render_cut_at(&report, &rules, "test", "\n<no such place>");
        assert_eq!(whole.len(), 1);
        assert!(
            whole.concat() == pieces.concat(),
            "the fallback prints the same log"
        );
    }
}
