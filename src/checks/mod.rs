//! Checks that are not Rego rules: they judge suppressions, compare declarations with live
//! state, or evaluate IAM policies. Each takes the model and gives findings; none reads
//! files or calls AWS (the pipeline and `aws` do).

pub mod baseline;
pub mod drift;
pub mod iam;
pub mod preflight;
pub mod suppress;
