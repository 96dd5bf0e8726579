//! mirrorguard: a policy-as-code linter and drift auditor for traffic mirror sessions.
//!
//! Layers, each importing only from the layers below it (a test keeps it so):
//!
//! ```text
//! cli ─ render                      the I/O edge: flags, settings, output
//! aws (feature "aws")               the AWS SDK, behind the core's traits
//! pipeline                          discover, read, jobs, check, drift, rules test
//! checks                            suppressions, baselines, IAM, drift comparison
//! rules                             registry, metadata, Rego evaluation, docs
//! report                            findings, skipped checks, severities, exit status
//! parse                             CloudFormation, Terraform, plans, stackql, CLI input
//! model                             the session model every format is read into
//! source ─ error                    files, spans, positions; errors
//! ```
//!
//! `main.rs` only maps the outcome to an exit code. See ARCHITECTURE.md for one value's
//! path from a template line to a SARIF region.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "aws")]
pub mod aws;
pub mod checks;
pub mod cli;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod model;
pub mod parse;
pub mod pipeline;
pub(crate) mod render;
pub mod report;
pub mod rules;
pub mod source;

pub use cli::{Cli, run};
pub use report::ExitStatus;
