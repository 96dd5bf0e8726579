//! Live AWS (cargo feature `aws`): the only module that names the AWS SDK.
//!
//! Each submodule implements a trait of the core: [`ec2::Ec2Sessions`] and
//! [`config::ConfigInventory`] are [`LiveSource`](crate::pipeline::drift::LiveSource)s of
//! traffic mirror sessions, and
//! [`iam::role_policies`] reads a deploying role's policies for MG020. Every client is built
//! by [`sdk_config`]: the standard credential chain (environment, profiles, SSO, assumed
//! roles, instance and container credentials), standard retries with backoff on throttling,
//! and timeouts, so that a dead endpoint fails instead of hanging. Async stays inside this
//! module: a current-thread Tokio runtime is built and blocked on.

pub mod config;
pub mod ec2;
pub mod iam;
pub mod preflight;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How to reach AWS: `--profile` and `--endpoint-url`.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Named profile.
    pub profile: Option<String>,
    /// Endpoint override (an emulator, a VPC endpoint).
    pub endpoint_url: Option<String>,
}

/// The retry settings used for every client: standard mode, backoff on throttling.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(10))
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(120))
        .build()
}

/// The SDK configuration every client is built from.
pub async fn sdk_config(options: &AwsOptions, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeouts());
    if let Some(p) = &options.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &options.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_owned()));
    }
    loader.load().await
}

/// Runs a future to completion on a current-thread runtime.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(future))
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
