//! Terminal output with miette: the only module that names miette's report handler.
//!
//! Findings carry runtime metadata (id, severity, help from Rego), so they implement
//! `Diagnostic` by hand (the kdl-rs pattern) rather than through the derive macro.

use std::fmt;

use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
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
    source: Option<NamedSource<Windowed>>,
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

/// A file's text as miette reads it: from a line a little before each span it shows. miette
/// counts lines from the start of the text for every span, which made the human output
/// quadratic in a file's size (one file of 5,000 sessions: 7 s, four fifths of it counting
/// lines); the file's own line table finds the line at once. The lines miette is given are
/// the lines it would have found (the same line breaks: `\n`, `\r\n` and a lone `\r`), and
/// the line numbers it reports are shifted back to the file's.
struct Windowed {
    source: Arc<crate::source::SourceFile>,
    /// The text shown: the file's, its secrets masked.
    text: Arc<str>,
}

impl SourceCode for Windowed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let line = self.source.position(span.offset()).line;
        // One line more than the context, so that the window starts on a line of its own.
        let first = line
            .saturating_sub(context_lines_before.saturating_add(1))
            .max(1);
        let start = self
            .source
            .line_start(first)
            .filter(|s| *s <= span.offset())
            .unwrap_or(0);
        let window = self.text.get(start..).ok_or(MietteError::OutOfBounds)?;
        let inside = SourceSpan::new((span.offset() - start).into(), span.len());
        let contents = window.read_span(&inside, context_lines_before, context_lines_after)?;
        let lines_before = if start == 0 { 0 } else { first - 1 };
        Ok(Box::new(MietteSpanContents::new(
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + start).into(),
                contents.span().len(),
            ),
            contents.line() + lines_before,
            contents.column(),
            // miette's count runs from the start of the text to the end of the context (its
            // handler merges the snippets of two labels by it): the window's count shifted.
            contents.line_count() + lines_before,
        )))
    }
}

/// A file's text with every secret replaced by as many `*`, so spans stay valid.
fn masked(text: &Arc<str>, secrets: &std::collections::BTreeSet<String>) -> Arc<str> {
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
    Arc::from(out)
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
    // Each file's text is masked once, not once per finding.
    let mut texts: std::collections::HashMap<*const crate::source::SourceFile, Arc<str>> =
        Default::default();
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
            source: f.location.as_ref().map(|l| {
                let text = texts
                    .entry(Arc::as_ptr(&l.source))
                    .or_insert_with(|| masked(&l.source.text, &report.secrets))
                    .clone();
                NamedSource::new(
                    l.file(),
                    Windowed {
                        source: l.source.clone(),
                        text,
                    },
                )
            }),
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

#[cfg(test)]
mod tests {
    use super::Windowed;
    use crate::source::SourceFile;
    use miette::{SourceCode, SourceSpan};
    use std::sync::Arc;

    /// Read from a window, every span gives what miette gives reading the whole text: the
    /// same lines, offsets, line, column and line count (its handler merges snippets by the
    /// count), on `\n`, `\r\n` and lone `\r` line ends, with and without context lines.
    #[test]
    fn a_windowed_read_is_the_whole_texts_read() {
        let text: String = (0..40)
            .map(|i| {
                let end = ["\n", "\r\n", "\r"][i % 3];
                format!("line {i}: value {}{end}", "x".repeat(i % 7))
            })
            .collect();
        let source = Arc::new(SourceFile::in_memory("t.yaml", &text));
        let windowed = Windowed {
            source: source.clone(),
            text: source.text.clone(),
        };
        let whole: &str = &source.text;
        let mut compared = 0;
        for offset in (0..text.len()).step_by(3) {
            for (len, context) in [(0, 0), (1, 1), (4, 2), (30, 1)] {
                let len = len.min(text.len() - offset);
                let span = SourceSpan::new(offset.into(), len);
                let (Ok(a), Ok(b)) = (
                    whole.read_span(&span, context, context),
                    windowed.read_span(&span, context, context),
                ) else {
                    panic!("both read {offset}+{len}");
                };
                assert_eq!(a.data(), b.data(), "data at {offset}+{len}");
                assert_eq!(a.span(), b.span(), "span at {offset}+{len}");
                assert_eq!(
                    (a.line(), a.column(), a.line_count()),
                    (b.line(), b.column(), b.line_count()),
                    "line, column and count at {offset}+{len}"
                );
                compared += 1;
            }
        }
        assert!(compared > 500);
    }
}
