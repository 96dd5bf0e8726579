//! Renderers: a [`Report`](crate::report::Report) into bytes, one module per format.
//! Each renders into a `String` once; only `cli` writes it out.

pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod sarif;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// miette diagnostics with source snippets (default on a terminal).
    Human,
    /// The versioned JSON report.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// A Markdown summary (GitHub job summaries, pull request comments).
    Markdown,
}
