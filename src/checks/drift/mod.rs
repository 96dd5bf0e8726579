//! Drift: declared sessions against live ones (MG101–MG103). Matching and comparison are
//! pure; reading the live side is the pipeline's and `aws`'s job.

pub mod diff;
pub mod live;
pub mod state;

pub use diff::Matching;
pub(crate) use diff::compare;
pub use live::LiveSession;
