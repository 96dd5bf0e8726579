//! Suppressions as written in checked files: the model's part of them. Matching them to
//! findings and reporting stale ones is `checks::suppress`.

use std::sync::Arc;

use crate::source::{SourceFile, Span};

/// Where a suppression applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Findings starting on this 1-based line or the next one, in the comment's file.
    Line(usize),
    /// Findings starting on these 1-based lines (first, last), in the comment's file: a
    /// comment above a shell command continued over several lines (`\`) covers all of them.
    Lines(usize, usize),
    /// Findings on this resource (logical id or address), in the suppression's file.
    Resource(String),
}

/// A suppression written in a checked file.
#[derive(Debug, Clone)]
pub(crate) struct Suppression {
    pub(crate) rule_ids: Vec<String>,
    pub(crate) reason: Option<String>,
    pub(crate) scope: Scope,
    pub(crate) source: Arc<SourceFile>,
    pub(crate) span: Span,
}
