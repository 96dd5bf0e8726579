//! Findings and skipped checks: plain data, produced by rules and checks and consumed by
//! the renderers. Nothing here does I/O.

use std::sync::Arc;

use crate::source::{Position, SourceFile, Span};

/// How serious a rule's findings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational.
    Note,
    /// Possibly wrong.
    Warning,
    /// Will fail at deploy time or mirror the wrong traffic.
    Error,
}

impl Severity {
    /// Parses `error`, `warning` or `note`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "note" => Some(Self::Note),
            _ => None,
        }
    }

    /// The SARIF level and the word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }

    /// GitHub code scanning's `security-severity` (0.1-10) for this level.
    pub fn security_severity(self) -> &'static str {
        match self {
            Self::Error => "7.5",
            Self::Warning => "5.0",
            Self::Note => "2.0",
        }
    }
}

/// How a finding was suppressed (for SARIF `suppressions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `inSource` or `external`.
    pub kind: &'static str,
    /// The reason given.
    pub justification: String,
}

/// A place in a file, with its positions already computed.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file (for rendering snippets).
    pub source: Arc<SourceFile>,
    /// Byte span.
    pub span: Span,
    /// Start position.
    pub start: Position,
    /// End position.
    pub end: Position,
}

impl Location {
    /// A location covering `span` of `source`.
    pub fn new(source: Arc<SourceFile>, span: Span) -> Self {
        let start = source.position(span.start);
        let end = source.position(span.end);
        Self {
            source,
            span,
            start,
            end,
        }
    }

    /// File as shown in reports.
    pub fn file(&self) -> &str {
        &self.source.display
    }
}

/// Another place that explains a finding (the other session of a duplicate, a default).
#[derive(Debug, Clone)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// What is there.
    pub message: String,
}

/// One rule violation.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Rule id (`MG001`).
    pub rule_id: String,
    /// Severity from the rule's metadata.
    pub severity: Severity,
    /// What is wrong, with the conditions it depends on.
    pub message: String,
    /// The offending value; `None` for what exists only live (an unmanaged session).
    pub location: Option<Location>,
    /// Resource address or logical id.
    pub address: String,
    /// Property path within the resource (`session_number`, `tags[2].key`).
    pub property: String,
    /// Related places.
    pub related: Vec<Related>,
    /// Stable identity across line moves: hash of rule, file, resource and property.
    pub fingerprint: String,
    /// Set when a suppression applies: the finding is reported but does not fail the run.
    pub suppression: Option<Applied>,
    /// The change that resolves it, when there is one right answer.
    pub fix: Option<Fix>,
    /// The drift scope it belongs to (`111111111111/eu-west-1`), when drift ran by scopes.
    pub scope: Option<String>,
}

/// How far a fix may be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Applicability {
    /// The result is what the author meant: `--fix` applies it.
    Safe,
    /// It changes behaviour: applied only with `--unsafe-fixes`.
    Unsafe,
    /// Shown, never applied (the value is shared with other resources).
    DisplayOnly,
}

impl Applicability {
    /// The name in reports (`safe`, `unsafe`, `display-only`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safe => "safe",
            Self::Unsafe => "unsafe",
            Self::DisplayOnly => "display-only",
        }
    }
}

/// One replacement of a byte range of a file.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The range replaced (an empty span inserts).
    pub location: Location,
    /// What replaces it (empty: a deletion).
    pub replacement: String,
}

/// A fix: edits (any number, in any files) that resolve a finding.
#[derive(Debug, Clone)]
pub struct Fix {
    /// What it does, for people (`set session number 3`).
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Finding {
    /// File as shown in reports (empty when the finding has no source location).
    pub fn file(&self) -> &str {
        self.location.as_ref().map_or("", Location::file)
    }

    /// Byte span in the file (empty when the finding has no source location).
    pub fn span(&self) -> Span {
        self.location.as_ref().map_or(Span::default(), |l| l.span)
    }
}

/// A check that could not be made because a value is unknown.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The unknown value.
    pub location: Location,
    /// Resource address or logical id.
    pub address: String,
    /// The property.
    pub property: String,
    /// Why the value is unknown.
    pub reason: String,
    /// Rules that could not check it.
    pub rules: Vec<String>,
}

/// 64-bit FNV-1a, hex: stable across platforms and releases (unlike `DefaultHasher`).
pub(crate) fn stable_hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Sort key giving deterministic output: file, position, rule, message.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            a.file(),
            a.span().start,
            &a.rule_id,
            &a.message,
            a.span().end,
            &a.address,
        )
            .cmp(&(
                b.file(),
                b.span().start,
                &b.rule_id,
                &b.message,
                b.span().end,
                &b.address,
            ))
    });
}
