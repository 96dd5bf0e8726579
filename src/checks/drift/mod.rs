//! Drift: declared sessions against live ones (MG101–MG103). Matching and comparison are
//! pure; reading the live side is the pipeline's and `aws`'s job.

pub mod diff;
mod filters;
pub mod inventory;
pub mod live;
pub mod live_filters;
pub mod remediation;
pub mod scope;

pub(crate) use filters::compare_filters;
pub mod state;

pub use diff::Matching;
pub(crate) use diff::compare;
pub use live::LiveSession;
