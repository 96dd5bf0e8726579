//! Errors: things that stopped mirrorguard from checking something.
//!
//! Findings are not errors (see [`crate::finding`]). An error about one file is reported
//! with its file, line and column, makes the run exit with status 2, and never stops the
//! other files from being checked.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::source::{SourceFile, Span};

/// A file that could not be read or parsed, with the position of the problem.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(code(mirrorguard::parse))]
pub struct FileError {
    /// File as shown in reports.
    pub file: String,
    /// 1-based line of the problem (1 when the whole file is at fault).
    pub line: usize,
    /// 1-based column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// Byte span of the problem.
    pub span: Span,
    #[source_code]
    src: Option<NamedSource<Arc<str>>>,
    #[label("{message}")]
    label: Option<SourceSpan>,
}

impl FileError {
    /// An error at a byte span of a file whose text could be read.
    pub fn at(source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        let span = Span::new(
            span.start.min(source.text.len()),
            span.end.min(source.text.len()),
        );
        let pos = source.position(span.start);
        Self {
            file: source.display.clone(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            span,
            src: Some(NamedSource::new(
                source.display.clone(),
                source.text.clone(),
            )),
            label: Some(SourceSpan::new(span.start.into(), span.len())),
        }
    }

    /// An error about a file whose text is not available (unreadable, not UTF-8, too large).
    pub fn whole_file(display: String, message: impl Into<String>) -> Self {
        Self {
            file: display,
            line: 1,
            column: 1,
            message: message.into(),
            span: Span::default(),
            src: None,
            label: None,
        }
    }
}

/// An error that stops the whole run before any file is checked (bad flags, broken rules).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum AppError {
    /// A command-line value is not usable.
    #[error("{0}")]
    #[diagnostic(code(mirrorguard::usage))]
    Usage(String),
    /// A file named on the command line (not a checked file) could not be read.
    #[error("cannot read {path}: {message}")]
    #[diagnostic(code(mirrorguard::io))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A rule file is broken.
    #[error("rule {path}: {message}")]
    #[diagnostic(code(mirrorguard::rule))]
    Rule {
        /// The rule file.
        path: String,
        /// What is wrong (regorus' rendered message when it came from the engine).
        message: String,
    },
    /// Writing the report failed.
    #[error("cannot write the report: {0}")]
    #[diagnostic(code(mirrorguard::output))]
    Output(#[from] std::io::Error),
}

impl AppError {
    /// Whether the error is a closed pipe (treated as success, as ripgrep and ruff do).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
