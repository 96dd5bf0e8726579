//! SARIF 2.1.0 for GitHub code scanning, built with serde-sarif's typed builders.
//!
//! One run per invocation with its own `automationDetails.id` category; every loaded rule
//! in `tool.driver.rules`; repo-relative, `/`-separated URIs under `%SRCROOT%`; regions in
//! 1-based lines and UTF-16 columns (SARIF's default `columnKind`); `partialFingerprints`
//! from rule, file, resource and property so alerts survive line moves; files that could
//! not be read or parsed, and checks hidden by unknown values, as notifications.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SFix, Invocation,
    Location as SLocation, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, Replacement, ReportingConfiguration,
    ReportingDescriptor, Result as SResult, ResultLevel, Run, RunAutomationDetails, Sarif,
    Suppression, Tool, ToolComponent,
};

use crate::error::CheckError;
use crate::report::Report;
use crate::report::{Finding, Location};
use crate::rules::RuleSet;

/// The `partialFingerprints` key (versioned: change it if the hash inputs change).
pub(crate) const FINGERPRINT_KEY: &str = "mirrorguard/v1";

fn region(loc: &Location) -> Region {
    Region::builder()
        .start_line(i64::try_from(loc.start.line).unwrap_or(i64::MAX))
        .start_column(i64::try_from(loc.start.utf16_column).unwrap_or(i64::MAX))
        .end_line(i64::try_from(loc.end.line).unwrap_or(i64::MAX))
        .end_column(
            i64::try_from(loc.end.utf16_column.max(if loc.end.line == loc.start.line {
                loc.start.utf16_column + 1
            } else {
                1
            }))
            .unwrap_or(i64::MAX),
        )
        .build()
}

/// The exact region of an edit: lines and UTF-16 columns, and the same as a character
/// offset and length (reviewdog reads either), empty for an insertion.
fn exact_region(loc: &Location) -> Region {
    let offset = loc.source.utf16_offset(loc.span.start);
    let length = loc.source.utf16_offset(loc.span.end).saturating_sub(offset);
    Region::builder()
        .start_line(i64::try_from(loc.start.line).unwrap_or(i64::MAX))
        .start_column(i64::try_from(loc.start.utf16_column).unwrap_or(i64::MAX))
        .end_line(i64::try_from(loc.end.line).unwrap_or(i64::MAX))
        .end_column(i64::try_from(loc.end.utf16_column).unwrap_or(i64::MAX))
        .char_offset(i64::try_from(offset).unwrap_or(i64::MAX))
        .char_length(i64::try_from(length).unwrap_or(i64::MAX))
        .build()
}

/// A finding's fix (SARIF 2.1.0 §3.55): one artifact change per file with all its
/// replacements, the applicability in the properties.
fn fix(f: &crate::report::Fix) -> SFix {
    let mut by_file: BTreeMap<&str, Vec<&crate::report::Edit>> = BTreeMap::new();
    for e in &f.edits {
        by_file.entry(e.location.file()).or_default().push(e);
    }
    let changes: Vec<ArtifactChange> = by_file
        .into_iter()
        .map(|(file, edits)| {
            ArtifactChange::builder()
                .artifact_location(artifact(file))
                .replacements(
                    edits
                        .into_iter()
                        .map(|e| {
                            Replacement::builder()
                                .deleted_region(exact_region(&e.location))
                                .inserted_content(
                                    ArtifactContent::builder()
                                        .text(e.replacement.as_str())
                                        .build(),
                                )
                                .build()
                        })
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect();
    let mut properties = BTreeMap::new();
    properties.insert("applicability".to_owned(), json!(f.applicability.as_str()));
    SFix::builder()
        .description(Message::builder().text(f.description.as_str()).build())
        .artifact_changes(changes)
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// A repo-relative path under `%SRCROOT%`; a path outside the working directory (absolute)
/// becomes an absolute `file://` URI, since a relative reference must not start with `/`.
fn artifact(path: &str) -> ArtifactLocation {
    let encoded = percent_encode(path);
    if path.starts_with('/') {
        ArtifactLocation::builder()
            .uri(format!("file://{encoded}"))
            .build()
    } else if path.as_bytes().get(1) == Some(&b':') {
        ArtifactLocation::builder()
            .uri(format!("file:///{encoded}"))
            .build()
    } else {
        ArtifactLocation::builder()
            .uri(encoded)
            .uri_base_id("%SRCROOT%")
            .build()
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
    PhysicalLocation::builder()
        .artifact_location(artifact(loc.file()))
        .region(region(loc))
        .build()
}

fn level(s: crate::report::Severity) -> ResultLevel {
    match s {
        crate::report::Severity::Error => ResultLevel::Error,
        crate::report::Severity::Warning => ResultLevel::Warning,
        crate::report::Severity::Note => ResultLevel::Note,
    }
}

fn descriptor(rule: &crate::rules::Rule) -> ReportingDescriptor {
    let m = &rule.meta;
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".to_owned(),
        json!(m.severity.security_severity()),
    );
    extra.insert("precision".to_owned(), json!("very-high"));
    extra.insert(
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
    let mut d = ReportingDescriptor::builder()
        .id(m.id.as_str())
        .name(pascal(&m.name))
        .short_description(
            MultiformatMessageString::builder()
                .text(m.title.as_str())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(m.description.as_str())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{}\n\nFix: {}", m.description, m.help))
                .markdown(help_markdown)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(m.severity.as_str()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec![
                    "security".to_owned(),
                    "traffic-mirroring".to_owned(),
                    m.name.clone(),
                ])
                .additional_properties(extra)
                .build(),
        )
        .build();
    d.help_uri = rule.help_uri();
    d
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
    let descriptors: Vec<ReportingDescriptor> = rules.rules().iter().map(descriptor).collect();
    let rule_index = |id: &str| metas.iter().position(|m| m.id == id);

    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| {
            let b = Notification::builder().level(json!("error")).message(
                Message::builder()
                    .text(match e {
                        CheckError::File(f) => f.message.clone(),
                        CheckError::Run(r) => format!("{}: {}", r.name, r.message),
                    })
                    .build(),
            );
            match e {
                CheckError::File(f) => {
                    let mut physical = PhysicalLocation::builder()
                        .artifact_location(artifact(&f.file))
                        .build();
                    physical.region = f.position.map(|p| {
                        Region::builder()
                            .start_line(i64::try_from(p.line).unwrap_or(1))
                            .start_column(i64::try_from(p.column).unwrap_or(1))
                            .build()
                    });
                    b.locations(vec![
                        SLocation::builder().physical_location(physical).build(),
                    ])
                    .build()
                }
                CheckError::Run(_) => b.build(),
            }
        })
        .collect();
    notifications.extend(report.skipped.iter().map(|s| {
        Notification::builder()
            .level(json!("note"))
            .message(
                Message::builder()
                    .text(format!(
                        "{} of {} is not known ({}); not checked by {}",
                        s.property,
                        s.address,
                        s.reason,
                        s.rules.join(", ")
                    ))
                    .build(),
            )
            .locations(vec![
                SLocation::builder()
                    .physical_location(physical(&s.location))
                    .build(),
            ])
            .build()
    }));

    let mut invocation = Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let driver = ToolComponent::builder()
        .name("mirrorguard")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(descriptors)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(Vec::new())
        .invocations(vec![invocation])
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("{category}/"))
                .build(),
        )
        .column_kind(json!("utf16CodeUnits"))
        .build();
    let log = Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    if report.findings.is_empty() {
        return vec![text];
    }
    // The log with no result, cut where its results go (the one key at run depth).
    let Some(at) = text.find(slot) else {
        // Never a log without its results: should the printer's layout ever differ, the
        // whole log is built and printed at once.
        let mut log = log;
        if let Some(run) = log.runs.first_mut() {
            run.results = Some(
                report
                    .findings
                    .iter()
                    .map(|f| result(f, rule_index(&f.rule_id)))
                    .collect(),
            );
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
fn result(f: &Finding, rule_index: Option<usize>) -> SResult {
    let logical = LogicalLocation::builder()
        .name(f.address.as_str())
        .fully_qualified_name(if f.file().is_empty() {
            f.address.clone()
        } else {
            format!("{}#{}", f.file(), f.address)
        })
        .kind("resource")
        .build();
    let mut logical = vec![logical];
    // A drift scope is the account and regions the result is about.
    if let Some(scope) = &f.scope {
        logical.push(
            LogicalLocation::builder()
                .name(scope.as_str())
                .fully_qualified_name(format!("aws:{scope}"))
                .kind("namespace")
                .build(),
        );
    }
    let mut location = SLocation::builder().logical_locations(logical).build();
    location.physical_location = f.location.as_ref().map(physical);
    // Objects read from the EC2 API have no file in the repository: the message
    // names them by id, and SARIF keeps only places it can link.
    let related: Vec<SLocation> = f
        .related
        .iter()
        .filter(|r| !r.location.source.path.starts_with("<aws>"))
        .enumerate()
        .map(|(i, r)| {
            SLocation::builder()
                .id(i64::try_from(i).unwrap_or(0))
                .physical_location(physical(&r.location))
                .message(Message::builder().text(r.message.as_str()).build())
                .build()
        })
        .collect();
    let mut fp = BTreeMap::new();
    fp.insert(FINGERPRINT_KEY.to_owned(), f.fingerprint.clone());
    let b = SResult::builder()
        .rule_id(f.rule_id.as_str())
        .level(level(f.severity))
        .message(Message::builder().text(f.message.as_str()).build())
        .locations(vec![location])
        .partial_fingerprints(fp);
    let mut r = b.build();
    r.rule_index = rule_index.and_then(|i| i64::try_from(i).ok());
    if let Some(s) = &f.suppression {
        r.suppressions = Some(vec![
            Suppression::builder()
                .kind(json!(s.kind))
                .justification(s.justification.as_str())
                .status(json!("accepted"))
                .build(),
        ]);
    }
    if !related.is_empty() {
        r.related_locations = Some(related);
    }
    if let Some(x) = &f.fix {
        r.fixes = Some(vec![fix(x)]);
    }
    if let Some(scope) = &f.scope {
        let mut bag = BTreeMap::new();
        bag.insert("scope".to_owned(), json!(scope));
        r.properties = Some(PropertyBag::builder().additional_properties(bag).build());
    }
    r
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
