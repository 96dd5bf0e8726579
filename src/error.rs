//! Errors: things that stopped mirrorguard from checking something.
//!
//! Findings are not errors (see [`crate::report`]). A [`FileError`] is about one file, with
//! the line and column of the problem when there is one; a [`RunError`] is about something
//! that is not a file (a rule, a live source, an IAM role) and has no position. Either makes
//! the run exit with status 2 and never stops the other files from being checked.
//! [`AppError`] stops the whole run before anything is checked (a usage mistake).

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::source::{SourceFile, Span};

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineColumn {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A file that could not be read or parsed.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{}: {message}", self.place())]
#[diagnostic(code(mirrorguard::parse))]
pub struct FileError {
    /// File as shown in reports.
    pub file: String,
    /// Where in the file, when the problem has a place (not for an unreadable file).
    pub position: Option<LineColumn>,
    /// What is wrong.
    pub message: String,
    /// Byte span of the problem, when it has a place.
    pub span: Option<Span>,
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
            position: Some(LineColumn {
                line: pos.line,
                column: pos.column,
            }),
            message: message.into(),
            span: Some(span),
            src: Some(NamedSource::new(
                source.display.clone(),
                source.text.clone(),
            )),
            label: Some(SourceSpan::new(span.start.into(), span.len())),
        }
    }

    /// An error about a whole file (unreadable, not UTF-8, too large): no position.
    pub fn whole_file(display: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: display.into(),
            position: None,
            message: message.into(),
            span: None,
            src: None,
            label: None,
        }
    }

    /// `file:line:column`, or `file` when the whole file is at fault.
    pub fn place(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}:{}", self.file, p.line, p.column),
            None => self.file.clone(),
        }
    }
}

/// What a [`RunError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A rule that failed on a unit.
    Rule,
    /// A source of live state (a region, an API call, an inventory).
    Live,
    /// The deploying principal's policies.
    Iam,
    /// A Terraform module that could not be read or followed.
    Module,
    /// A command-line value that does not fit the files.
    Usage,
}

impl Subject {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Live => "live",
            Self::Iam => "iam",
            Self::Module => "module",
            Self::Usage => "usage",
        }
    }
}

/// Something that is not a file could not be checked: no position.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{name}: {message}")]
#[diagnostic(code(mirrorguard::run))]
pub struct RunError {
    /// What kind of thing failed.
    pub subject: Subject,
    /// Which one: `rule MG005 on infra/`, `AWS region eu-west-1`.
    pub name: String,
    /// What happened.
    pub message: String,
}

impl RunError {
    /// A new error about `name`.
    pub fn new(subject: Subject, name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            subject,
            name: name.into(),
            message: message.into(),
        }
    }
}

/// Anything that could not be checked.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum CheckError {
    /// A file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    File(#[from] FileError),
    /// Something that is not a file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] RunError),
}

impl CheckError {
    /// The file or thing that failed, as shown in reports.
    pub fn name(&self) -> &str {
        match self {
            Self::File(e) => &e.file,
            Self::Run(e) => &e.name,
        }
    }

    /// What happened.
    pub fn message(&self) -> &str {
        match self {
            Self::File(e) => &e.message,
            Self::Run(e) => &e.message,
        }
    }

    /// The position in the file, when there is one.
    pub fn position(&self) -> Option<LineColumn> {
        match self {
            Self::File(e) => e.position,
            Self::Run(_) => None,
        }
    }

    /// Deterministic order: files by name and position, then everything else.
    pub(crate) fn sort_key(&self) -> (u8, &str, Option<LineColumn>, &str) {
        let kind = match self {
            Self::File(_) => 0,
            Self::Run(_) => 1,
        };
        (kind, self.name(), self.position(), self.message())
    }
}

/// An error that stops the whole run before any file is checked (bad flags, broken rules).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum AppError {
    /// A command-line or configuration value is not usable.
    #[error("{0}")]
    #[diagnostic(code(mirrorguard::usage))]
    Usage(String),
    /// A file named on the command line or in the configuration (not a checked file) could
    /// not be read.
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(mirrorguard::io))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
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
    /// Writing a report or a file failed.
    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(mirrorguard::output))]
    Write {
        /// The destination (`-` for standard output).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl AppError {
    /// Whether the error is a closed pipe (the output was cut short by the reader).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Write { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
