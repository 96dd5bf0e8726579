//! Renderers: a [`Report`](crate::report::Report) into bytes, one module per format.
//! Each renders into a `String` once; only `cli` writes it out.

pub(crate) mod github;
pub(crate) mod graph;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod remediation;
pub(crate) mod sarif;
