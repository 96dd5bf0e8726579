//! The pipeline: find files, read them, group them into units, run the rules and the
//! checks, and gather one [`Report`](crate::report::Report). `check`, `drift` and
//! `rules test` are built from the same steps.
//!
//! ```text
//! discover ──▶ read (parallel) ──▶ jobs (units of work) ──▶ parse ──▶ rules ──▶ checks ──▶ Report
//! ```

pub mod check;
pub mod discover;
pub mod drift;
pub mod fix;
pub(crate) mod jobs;
pub mod preflight;
pub mod progress;
pub(crate) mod rules_test;
pub mod sandbox;

pub use check::{CheckOptions, check_paths, check_sources};
pub use discover::{
    MAX_FILE_BYTES, discover, display_path, is_outside_root, read_source, repo_root, report_root,
    set_report_root,
};
