//! One integration test binary (ripgrep's layout): a module per area.

mod integration {
    pub(crate) mod ci;
    pub(crate) mod cli;
    pub(crate) mod common;
    pub(crate) mod drift;
    #[cfg(feature = "aws")]
    pub(crate) mod drift_aws;
    pub(crate) mod drift_config;
    #[cfg(feature = "aws")]
    pub(crate) mod drift_config_aws;
    pub(crate) mod engines;
    pub(crate) mod fix;
    pub(crate) mod golden;
    pub(crate) mod graph;
    pub(crate) mod hostile;
    pub(crate) mod iam;
    pub(crate) mod layers;
    pub(crate) mod modules;
    pub(crate) mod parsing;
    pub(crate) mod preflight;
    pub(crate) mod registry;
    pub(crate) mod scripts;
    pub(crate) mod untrusted;
    pub(crate) mod workflow;
}
