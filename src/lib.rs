//! mirrorguard: a policy-as-code linter and drift auditor for traffic mirror sessions.
//!
//! The core is pure: [`parse`](crate::parse) turns CloudFormation and Terraform into one
//! session model that keeps the source span of every value, [`rules`] evaluates Rego rules
//! on it and maps their results back to spans, and `render` turns the report into human,
//! JSON or SARIF output. File discovery and reading live in [`check`]; the command line in
//! [`cli`]. `main.rs` only maps the result to an exit code.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod drift;
pub mod error;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub(crate) mod model;
pub mod parse;
pub(crate) mod render;
pub mod rules;
pub mod source;
pub mod suppress;

pub use cli::{Cli, ExitStatus, run};
