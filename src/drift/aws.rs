//! Live sessions from the EC2 API (cargo feature `aws`): `DescribeTrafficMirrorSessions`,
//! every page, every region, with the standard credential chain (environment, profiles,
//! SSO, assumed roles, instance and container credentials).
//!
//! Throttling is retried with exponential backoff (the SDK's standard retry mode). Anything
//! else that stops a region from answering (access denied, a dead endpoint, a timeout) is an
//! error about that region; the other regions are still read. Async stays inside this
//! module: a current-thread Tokio runtime is built here and blocked on.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_types::error::display::DisplayErrorContext;

use super::LiveOptions;
use super::live::LiveSession;
use crate::error::FileError;

/// What the API gave.
#[derive(Debug, Default)]
pub struct ApiRead {
    /// Sessions of every region that answered.
    pub sessions: Vec<LiveSession>,
    /// The audited account (`--account-id`, else the caller's).
    pub accounts: Option<BTreeSet<String>>,
    /// Regions (or the identity call) that failed.
    pub errors: Vec<FileError>,
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

async fn sdk_config(options: &LiveOptions, region: Option<&str>) -> SdkConfig {
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

/// Reads every region's sessions.
pub fn read(options: &LiveOptions) -> ApiRead {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(read_async(options)),
        Err(e) => ApiRead {
            errors: vec![FileError::whole_file(
                "AWS".into(),
                format!("cannot start the async runtime: {e}"),
            )],
            ..ApiRead::default()
        },
    }
}

async fn read_async(options: &LiveOptions) -> ApiRead {
    let mut out = ApiRead::default();
    let regions: Vec<Option<&str>> = if options.regions.is_empty() {
        vec![None]
    } else {
        options.regions.iter().map(|r| Some(r.as_str())).collect()
    };
    let first = sdk_config(options, regions.first().copied().flatten()).await;
    match &options.account_id {
        Some(a) => out.accounts = Some(BTreeSet::from([a.clone()])),
        None => match aws_sdk_sts::Client::new(&first)
            .get_caller_identity()
            .send()
            .await
        {
            Ok(id) => out.accounts = id.account().map(|a| BTreeSet::from([a.to_owned()])),
            Err(e) => out.errors.push(FileError::whole_file(
                "AWS identity".into(),
                format!(
                    "GetCallerIdentity failed, so the audited account is unknown: {}",
                    DisplayErrorContext(&e)
                ),
            )),
        },
    }
    for region in regions {
        let config = sdk_config(options, region).await;
        let name = config
            .region()
            .map_or_else(|| "default region".to_owned(), ToString::to_string);
        if config.region().is_none() {
            out.errors.push(FileError::whole_file(
                "AWS".into(),
                "no region: pass --region or set AWS_REGION",
            ));
            continue;
        }
        let client = aws_sdk_ec2::Client::new(&config);
        match list_sessions(&client, &name).await {
            Ok(s) => out.sessions.extend(s),
            Err(e) => out
                .errors
                .push(FileError::whole_file(format!("AWS region {name}"), e)),
        }
    }
    out
}

/// Every session of one region, following `NextToken` to the last page.
pub async fn list_sessions(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<LiveSession>, String> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_traffic_mirror_sessions()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            format!(
                "DescribeTrafficMirrorSessions failed: {}",
                DisplayErrorContext(&e)
            )
        })?;
        for s in page.traffic_mirror_sessions() {
            out.push(LiveSession {
                id: s.traffic_mirror_session_id().unwrap_or_default().to_owned(),
                owner_id: s.owner_id().unwrap_or_default().to_owned(),
                region: region.to_owned(),
                network_interface_id: s.network_interface_id().unwrap_or_default().to_owned(),
                traffic_mirror_target_id: s
                    .traffic_mirror_target_id()
                    .unwrap_or_default()
                    .to_owned(),
                traffic_mirror_filter_id: s
                    .traffic_mirror_filter_id()
                    .unwrap_or_default()
                    .to_owned(),
                session_number: s.session_number().map(i64::from),
                packet_length: s.packet_length().map(i64::from),
                virtual_network_id: s.virtual_network_id().map(i64::from),
                description: s.description().map(str::to_owned),
                tags: s
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect(),
            });
        }
    }
    Ok(out)
}
