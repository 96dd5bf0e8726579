//! Live sessions from the EC2 API (cargo feature `aws`): `DescribeTrafficMirrorSessions` and
//! `DescribeTrafficMirrorFilters` (for the rules of declared filters), every page, every region, with the standard credential chain (environment, profiles,
//! SSO, assumed roles, instance and container credentials).
//!
//! Throttling is retried with exponential backoff (the SDK's standard retry mode). Anything
//! else that stops a region from answering (access denied, a dead endpoint, a timeout) is an
//! error about that region; the other regions are still read. Async stays inside this
//! module: a current-thread Tokio runtime is built here and blocked on.

use std::collections::BTreeSet;

use aws_smithy_types::error::display::DisplayErrorContext;

use super::{AwsOptions, block_on, sdk_config};
use crate::checks::drift::LiveSession;
use crate::checks::drift::live_filters::{LiveFilter, LiveRule};
use crate::error::{RunError, Subject};
use crate::pipeline::drift::{LiveRead, LiveSource};

/// Live sessions from `DescribeTrafficMirrorSessions`, every page of every region.
#[derive(Debug, Clone, Default)]
pub struct Ec2Sessions {
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// Regions to read; the environment's default when empty.
    pub regions: Vec<String>,
    /// The audited account (`--account-id`); the caller's (STS) when `None`.
    pub account_id: Option<String>,
}

impl LiveSource for Ec2Sessions {
    fn read(&self) -> LiveRead {
        block_on(read_async(self)).unwrap_or_else(|e| LiveRead {
            errors: vec![RunError::new(Subject::Live, "AWS", e).into()],
            ..LiveRead::default()
        })
    }
}

fn live_error(name: impl Into<String>, message: impl Into<String>) -> crate::error::CheckError {
    RunError::new(Subject::Live, name, message).into()
}

async fn read_async(options: &Ec2Sessions) -> LiveRead {
    let mut out = LiveRead::default();
    let all = options.regions.iter().any(|r| r == "all");
    let first_region = options
        .regions
        .iter()
        .find(|r| *r != "all")
        .map(String::as_str);
    let first = sdk_config(&options.aws, first_region).await;
    match &options.account_id {
        Some(a) => out.accounts = Some(BTreeSet::from([a.clone()])),
        None => match aws_sdk_sts::Client::new(&first)
            .get_caller_identity()
            .send()
            .await
        {
            Ok(id) => out.accounts = id.account().map(|a| BTreeSet::from([a.to_owned()])),
            Err(e) => out.errors.push(live_error(
                "AWS identity",
                format!(
                    "GetCallerIdentity failed, so the audited account is unknown: {}",
                    DisplayErrorContext(&e)
                ),
            )),
        },
    }
    let regions: Vec<Option<String>> = if all {
        // `--region all`: every region enabled for the account.
        match enabled_regions(&aws_sdk_ec2::Client::new(&first)).await {
            Ok(r) => r.into_iter().map(Some).collect(),
            Err(e) => {
                out.errors.push(live_error("AWS regions", e));
                return out;
            }
        }
    } else if options.regions.is_empty() {
        vec![None]
    } else {
        options.regions.iter().cloned().map(Some).collect()
    };
    // Regions are read concurrently: each is network-bound.
    let mut tasks = tokio::task::JoinSet::new();
    for region in regions {
        let aws = options.aws.clone();
        tasks.spawn(async move {
            let config = sdk_config(&aws, region.as_deref()).await;
            let Some(name) = config.region().map(ToString::to_string) else {
                return Err(live_error(
                    "AWS",
                    "no region: pass --region or set AWS_REGION",
                ));
            };
            let client = aws_sdk_ec2::Client::new(&config);
            let sessions = list_sessions(&client, &name)
                .await
                .map_err(|e| live_error(format!("AWS region {name}"), e))?;
            // Filters are read for their rules (drift of a declared filter); a failure is
            // that region's error, but its sessions are still compared.
            let filters = list_filters(&client, &name)
                .await
                .map_err(|e| live_error(format!("AWS region {name} (filters)"), e));
            Ok((sessions, filters))
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok((s, f))) => {
                out.sessions.extend(s);
                match f {
                    Ok(f) => out.filters.extend(f),
                    Err(e) => out.errors.push(e),
                }
            }
            Ok(Err(e)) => out.errors.push(e),
            Err(e) => out
                .errors
                .push(live_error("AWS", format!("a region's read failed: {e}"))),
        }
    }
    // Deterministic order, whatever order the regions answered in.
    out.sessions
        .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
    out.filters
        .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
    out
}

/// The regions enabled for the account (`DescribeRegions`).
pub async fn enabled_regions(client: &aws_sdk_ec2::Client) -> Result<Vec<String>, String> {
    let out = client
        .describe_regions()
        .all_regions(false)
        .send()
        .await
        .map_err(|e| format!("DescribeRegions failed: {}", DisplayErrorContext(&e)))?;
    let mut names: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
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
                origin: None,
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
                captured: None,
            });
        }
    }
    Ok(out)
}

fn port_range(r: Option<&aws_sdk_ec2::types::TrafficMirrorPortRange>) -> Option<(i64, i64)> {
    let r = r?;
    Some((i64::from(r.from_port()?), i64::from(r.to_port()?)))
}

/// Every filter of one region with its rules, following `NextToken` to the last page.
pub async fn list_filters(
    client: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<Vec<LiveFilter>, String> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_traffic_mirror_filters()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            format!(
                "DescribeTrafficMirrorFilters failed: {}",
                DisplayErrorContext(&e)
            )
        })?;
        for f in page.traffic_mirror_filters() {
            let rules = f
                .ingress_filter_rules()
                .iter()
                .map(|r| (r, "ingress"))
                .chain(f.egress_filter_rules().iter().map(|r| (r, "egress")))
                .map(|(r, direction)| LiveRule {
                    id: r
                        .traffic_mirror_filter_rule_id()
                        .unwrap_or_default()
                        .to_owned(),
                    direction: r
                        .traffic_direction()
                        .map_or(direction, |d| d.as_str())
                        .to_ascii_lowercase(),
                    rule_number: r.rule_number().map(i64::from),
                    rule_action: r
                        .rule_action()
                        .map(|a| a.as_str().to_ascii_lowercase())
                        .unwrap_or_default(),
                    protocol: r.protocol().map(i64::from),
                    source_cidr_block: r.source_cidr_block().unwrap_or_default().to_owned(),
                    destination_cidr_block: r
                        .destination_cidr_block()
                        .unwrap_or_default()
                        .to_owned(),
                    source_ports: port_range(r.source_port_range()),
                    destination_ports: port_range(r.destination_port_range()),
                    origin: None,
                })
                .collect();
            out.push(LiveFilter {
                id: f.traffic_mirror_filter_id().unwrap_or_default().to_owned(),
                region: region.to_owned(),
                network_services: f
                    .network_services()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                rules,
                tags: f
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect(),
                origin: None,
            });
        }
    }
    Ok(out)
}
