//! Suppressions: auditable, never silent.
//!
//! * Inline, on the value's line or the line above, in YAML and HCL (and SQL query files):
//!   `# mirrorguard:ignore MG001 -- reason` (`//` and `--` comments work too; several ids may
//!   be separated by commas).
//! * CloudFormation resource metadata (works in JSON templates, where comments do not exist):
//!   `Metadata: {mirrorguard: {ignore: [{id: MG002, reason: "..."}]}}`.
//! * External, from `[[ignore]]` in `.mirrorguard.toml`.
//!
//! A suppressed finding stays in the report (SARIF `suppressions`) but does not fail the
//! run. A suppression without a reason is reported (MG090, an error), and one that matches
//! no finding is reported as stale (MG091).

use std::sync::Arc;

use globset::Glob;

use serde::Deserialize;

use crate::model::suppression::{Scope, Suppression};
use crate::report::{Applied, Finding, Location, Severity, stable_hash};
use crate::source::{SourceFile, Span};

/// `[[ignore]]` of `.mirrorguard.toml`: an external suppression.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// Rule id.
    pub id: String,
    /// Glob of files it applies to (all files when absent).
    pub path: Option<String>,
    /// Resource address or logical id it applies to (all when absent).
    pub resource: Option<String>,
    /// Why; required.
    pub reason: Option<String>,
}

const MARKER: &str = "mirrorguard:ignore";

/// Finds inline suppression comments in a file.
pub(crate) fn inline(source: &Arc<SourceFile>) -> Vec<Suppression> {
    let mut out = Vec::new();
    if !source.text.contains(MARKER) {
        return out;
    }
    // A marker counts only in a real comment: never in a string or a block scalar.
    let comments = crate::parse::comments::comment_spans(source);
    let in_comment = |at: usize| comments.iter().any(|c| c.start <= at && at < c.end);
    let mut offset = 0;
    for (i, line) in source.text.split('\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        if !in_comment(start + at) {
            continue;
        }
        let before = line[..at].trim_end();
        let rest = &line[at + MARKER.len()..];
        let rest = rest.trim_end().trim_end_matches("*/");
        let (ids, reason) = match rest.split_once("--") {
            Some((ids, reason)) => (
                ids,
                Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
            ),
            None => (rest, None),
        };
        let rule_ids: Vec<String> = ids
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        let comment_start = start + before.rfind(['#', '/', '-']).unwrap_or(at);
        let scope = match continued_command(source, i + 1) {
            Some(last) if before.trim().trim_matches('#').trim().is_empty() => {
                Scope::Lines(i + 1, last)
            }
            _ => Scope::Line(i + 1),
        };
        out.push(Suppression {
            rule_ids,
            reason,
            scope,
            source: source.clone(),
            span: Span::new(comment_start, start + line.trim_end().len()),
        });
    }
    out
}

/// In a shell script, the last line (1-based) of the command that starts on the line after
/// `line` when it is continued with `\` over several lines.
fn continued_command(source: &SourceFile, line: usize) -> Option<usize> {
    let name = source.path.file_name()?.to_str()?;
    if !crate::parse::shell::is_script(name) {
        return None;
    }
    let mut last = line + 1;
    for text in source.text.split('\n').skip(line) {
        if !text.trim_end_matches('\r').ends_with('\\') {
            break;
        }
        last += 1;
    }
    (last > line + 1).then_some(last)
}

fn matches(s: &Suppression, f: &Finding) -> bool {
    if !s
        .rule_ids
        .iter()
        .any(|id| id.eq_ignore_ascii_case(&f.rule_id))
    {
        return false;
    }
    let Some(loc) = &f.location else { return false };
    match &s.scope {
        Scope::Line(line) => {
            loc.file() == s.source.display
                && (loc.start.line == *line || loc.start.line == line + 1)
        }
        Scope::Lines(first, last) => {
            loc.file() == s.source.display && (*first..=*last).contains(&loc.start.line)
        }
        Scope::Resource(address) => {
            loc.file() == s.source.display
                && (f.address == *address || f.address.starts_with(&format!("{address}[")))
        }
    }
}

fn tool_finding(
    id: &str,
    severity: Severity,
    message: String,
    source: &Arc<SourceFile>,
    span: Span,
    what: &str,
) -> Finding {
    Finding {
        rule_id: id.to_owned(),
        severity,
        fingerprint: stable_hash(&[id, &source.display, what]),
        message,
        location: Some(Location::new(source.clone(), span)),
        address: String::new(),
        property: what.to_owned(),
        related: Vec::new(),
        suppression: None,
        fix: None,
        scope: None,
    }
}

/// Applies in-source suppressions to the findings of one unit; returns the MG090/MG091
/// findings about the suppressions.
pub(crate) fn apply_in_source(
    findings: &mut [Finding],
    suppressions: &[Suppression],
) -> Vec<Finding> {
    let mut used = vec![false; suppressions.len()];
    for f in findings.iter_mut() {
        if f.suppression.is_some() {
            continue;
        }
        if let Some((i, s)) = suppressions.iter().enumerate().find(|(_, s)| matches(s, f)) {
            used[i] = true;
            f.suppression = Some(Applied {
                kind: "inSource",
                justification: s.reason.clone().unwrap_or_default(),
            });
        }
    }
    let mut out = Vec::new();
    for (s, used) in suppressions.iter().zip(used) {
        let ids = s.rule_ids.join(", ");
        let what = format!(
            "suppression {ids} at {}",
            s.source.position(s.span.start).line
        );
        if s.reason.is_none() {
            out.push(tool_finding(
                "MG090",
                Severity::Error,
                format!("suppression of {ids} gives no reason"),
                &s.source,
                s.span,
                &what,
            ));
        }
        if !used {
            let text = if s.rule_ids.is_empty() {
                "suppression names no rule id".to_owned()
            } else {
                format!("suppression of {ids} matches no finding")
            };
            out.push(tool_finding(
                "MG091",
                Severity::Warning,
                text,
                &s.source,
                s.span,
                &what,
            ));
        }
    }
    out
}

/// Applies `[[ignore]]` entries of the configuration to all findings; returns findings about
/// the entries (no reason: MG090, no match: MG091), located in the configuration file.
pub(crate) fn apply_external(
    findings: &mut [Finding],
    entries: &[IgnoreEntry],
    config_file: Option<&Arc<SourceFile>>,
    relative_path: &dyn Fn(&str) -> String,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let glob = entry
            .path
            .as_deref()
            .and_then(|p| Glob::new(p).ok())
            .map(|g| g.compile_matcher());
        let mut used = false;
        for f in findings.iter_mut() {
            if f.suppression.is_some() || !f.rule_id.eq_ignore_ascii_case(&entry.id) {
                continue;
            }
            if let Some(g) = &glob
                && !g.is_match(relative_path(f.file()))
            {
                continue;
            }
            if let Some(r) = &entry.resource
                && f.address != *r
                && !f.address.starts_with(&format!("{r}["))
            {
                continue;
            }
            used = true;
            f.suppression = Some(Applied {
                kind: "external",
                justification: entry.reason.clone().unwrap_or_default(),
            });
        }
        let Some(src) = config_file else { continue };
        let span = ignore_entry_span(src, n);
        let what = format!("[[ignore]] {n} {}", entry.id);
        if entry.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            out.push(tool_finding(
                "MG090",
                Severity::Error,
                format!("[[ignore]] of {} gives no reason", entry.id),
                src,
                span,
                &what,
            ));
        }
        if !used {
            out.push(tool_finding(
                "MG091",
                Severity::Warning,
                format!("[[ignore]] of {} matches no finding", entry.id),
                src,
                span,
                &what,
            ));
        }
    }
    out
}

/// The span of the n-th `[[ignore]]` header in the configuration file.
fn ignore_entry_span(src: &SourceFile, n: usize) -> Span {
    src.text
        .match_indices("[[ignore]]")
        .nth(n)
        .map_or(Span::default(), |(at, m)| Span::new(at, at + m.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comments_in_yaml_hcl_and_sql() {
        let src = Arc::new(SourceFile::in_memory(
            "t.tf",
            "a = 1 # mirrorguard:ignore MG001 -- lab only\n// mirrorguard:ignore mg002,MG003\nb = \"# mirrorguard:ignore MG004 -- not a comment\"\n",
        ));
        let s = inline(&src);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].rule_ids, ["MG001"]);
        assert_eq!(s[0].reason.as_deref(), Some("lab only"));
        assert_eq!(s[0].scope, Scope::Line(1));
        assert_eq!(s[1].rule_ids, ["MG002", "MG003"]);
        assert_eq!(s[1].reason, None);
    }

    #[test]
    fn ignore_entries_are_found_in_order() {
        let src = SourceFile::in_memory(
            ".mirrorguard.toml",
            "x = 1\n[[ignore]]\nid = \"a\"\n[[ignore]]\nid = \"b\"\n",
        );
        let second = ignore_entry_span(&src, 1);
        assert_eq!(src.position(second.start).line, 4);
        assert_eq!(src.position(ignore_entry_span(&src, 0).start).line, 2);
    }
}
