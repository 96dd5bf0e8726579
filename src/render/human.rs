//! Terminal output with miette: the only module that names miette's report handler.
//!
//! Findings carry runtime metadata (id, severity, help from Rego), so they implement
//! `Diagnostic` by hand (the kdl-rs pattern) rather than through the derive macro.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use crate::report::Finding;
use crate::report::Report;
use crate::report::Severity;
use crate::rules::RuleSet;

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    help: Option<String>,
    url: Option<String>,
    /// `None` for findings that exist only live (no source to show).
    source: Option<NamedSource<std::sync::Arc<str>>>,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("rule", &self.finding.rule_id)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.finding.location {
            Some(l) => write!(
                f,
                "{}:{}:{}: {}: {}",
                l.file(),
                l.start.line,
                l.start.column,
                self.finding.address,
                self.finding.message
            ),
            None => write!(f, "{}: {}", self.finding.address, self.finding.message),
        }
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule_id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let f = self.finding;
        let loc = f.location.as_ref()?;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(f.rule_id.clone()),
            (loc.span.start, loc.span.len()),
        )];
        for r in &f.related {
            if r.location.file() == loc.file() {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    (r.location.span.start, r.location.span.len()),
                ));
            }
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// A file's text with every secret replaced by as many `*`, so spans stay valid.
fn masked(
    text: &std::sync::Arc<str>,
    secrets: &std::collections::BTreeSet<String>,
) -> std::sync::Arc<str> {
    if !secrets
        .iter()
        .any(|s| !s.is_empty() && text.contains(s.as_str()))
    {
        return text.clone();
    }
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), &"*".repeat(s.len()));
    }
    std::sync::Arc::from(out)
}

/// Renders findings, errors, skipped checks and a summary line.
pub(crate) fn render(report: &Report, rules: &RuleSet, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .without_syntax_highlighting()
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    for f in report.findings.iter().filter(|f| f.suppression.is_none()) {
        let rule = rules.find_meta(&f.rule_id);
        let mut help = rule.map(|r| r.help.clone());
        let elsewhere: Vec<String> = f
            .related
            .iter()
            .filter(|r| r.location.file() != f.file())
            .map(|r| {
                format!(
                    "{}:{}:{}: {}",
                    r.location.file(),
                    r.location.start.line,
                    r.location.start.column,
                    r.message
                )
            })
            .collect();
        if !elsewhere.is_empty() {
            let h = help.get_or_insert_with(String::new);
            for e in elsewhere {
                h.push_str("\nsee ");
                h.push_str(&e);
            }
        }
        if let Some(fix) = &f.fix {
            let how = match fix.applicability {
                crate::report::Applicability::Safe => "mirrorguard check --fix",
                crate::report::Applicability::Unsafe => "--fix --unsafe-fixes",
                crate::report::Applicability::DisplayOnly => "not applied automatically",
            };
            let h = help.get_or_insert_with(String::new);
            h.push_str(&format!(
                "\nfix ({}): {} [{how}]",
                fix.applicability.as_str(),
                fix.description
            ));
        }
        let diag = FindingDiagnostic {
            finding: f,
            help,
            url: rule.and_then(|r| r.related.first().cloned()),
            source: f
                .location
                .as_ref()
                .map(|l| NamedSource::new(l.file(), masked(&l.source.text, &report.secrets))),
        };
        let _ = handler.render_report(&mut out, &diag);
    }
    for e in &report.errors {
        let _ = handler.render_report(&mut out, e);
    }
    if !report.skipped.is_empty() {
        out.push_str("Checks skipped because a value is not known:\n");
        for s in &report.skipped {
            out.push_str(&format!(
                "  {}:{}:{}: {} of {}: {} (not checked: {})\n",
                s.location.file(),
                s.location.start.line,
                s.location.start.column,
                s.property,
                s.address,
                s.reason,
                s.rules.join(", ")
            ));
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line: counts of findings by severity, files, sessions, skipped checks and errors.
pub(crate) fn summary(report: &Report) -> String {
    let count = |s: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.severity == s)
            .count()
    };
    let mut parts = vec![
        plural(count(Severity::Error), "error", "errors"),
        plural(count(Severity::Warning), "warning", "warnings"),
    ];
    let notes = count(Severity::Note);
    if notes > 0 {
        parts.push(plural(notes, "note", "notes"));
    }
    let mut line = format!(
        "mirrorguard: {} in {} ({} in {} read)",
        parts.join(", "),
        plural(report.units, "template or module", "templates and modules"),
        plural(report.sessions, "session", "sessions"),
        plural(report.files_read, "file", "files"),
    );
    let suppressed = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_some())
        .count();
    if suppressed > 0 {
        line.push_str(&format!("; {suppressed} suppressed"));
    }
    if report.baselined > 0 {
        line.push_str(&format!("; {} in the baseline", report.baselined));
    }
    if report.live_outside_scopes > 0 {
        line.push_str(&format!(
            "; {} outside every scope",
            plural(report.live_outside_scopes, "live session", "live sessions")
        ));
    }
    if !report.skipped.is_empty() {
        line.push_str(&format!(
            "; {} skipped on unknown values",
            plural(report.skipped.len(), "check", "checks")
        ));
    }
    if !report.errors.is_empty() {
        line.push_str(&format!(
            "; {} could not be checked",
            plural(report.errors.len(), "file or rule", "files or rules")
        ));
    }
    line
}
