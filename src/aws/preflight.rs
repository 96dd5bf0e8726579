//! Preflight facts from the EC2 API (`check --live`): the sessions on the declared
//! interfaces and targets, every target and filter (complete listings), the declared
//! interfaces, the instances behind them, peering connections and transit gateway
//! attachments. Every page is read. Each answer is rendered as the AWS CLI prints it and
//! joined like a saved output, so that live values keep a place for related locations.
//! A call that fails is an error naming it; what the other calls read is still used.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_ec2::types::Filter;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::{Value as Json, json};

use super::{AwsOptions, block_on, sdk_config};
use crate::checks::preflight::{LiveFacts, Wanted};
use crate::error::{RunError, Subject};
use crate::pipeline::preflight::LiveFactsSource;
use crate::source::SourceFile;

/// Most values one EC2 filter takes.
const MAX_FILTER_VALUES: usize = 200;

/// The account, through the EC2 API.
#[derive(Debug, Clone, Default)]
pub struct Ec2Facts {
    pub aws: AwsOptions,
    /// The region (else the profile's or the environment's).
    pub region: Option<String>,
}

impl LiveFactsSource for Ec2Facts {
    fn read(&self, wanted: &Wanted) -> LiveFacts {
        let mut facts = LiveFacts {
            source: "complete listing from the EC2 API".into(),
            ..LiveFacts::default()
        };
        if wanted.is_empty() {
            return facts;
        }
        if let Err(e) = block_on(read_async(self, wanted, &mut facts)) {
            facts
                .errors
                .push(RunError::new(Subject::Live, "AWS", e).into());
        }
        facts
    }
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

fn tags(t: &[aws_sdk_ec2::types::Tag]) -> Json {
    Json::Array(
        t.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

/// Adds one rendered answer as a document (`covers`: the ids a filtered listing asked for).
fn add(
    facts: &mut LiveFacts,
    region: &str,
    call: &str,
    doc: &Json,
    covers: Option<&BTreeSet<String>>,
) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    let source = SourceFile::new(
        format!("<aws>/{region}/{call}.json").into(),
        format!("EC2 API {region} {call}"),
        Arc::from(text.as_str()),
    );
    facts.add_document(Arc::new(source), covers);
}

macro_rules! pages {
    ($req:expr, $call:literal, $items:ident, $each:expr) => {{
        let mut out = Vec::new();
        let mut pages = $req.into_paginator().send();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => out.extend(p.$items().iter().map($each)),
                Err(e) => {
                    failed = Some(format!("{} failed: {}", $call, DisplayErrorContext(&e)));
                    break;
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }};
}

async fn read_async(options: &Ec2Facts, wanted: &Wanted, facts: &mut LiveFacts) {
    let config = sdk_config(&options.aws, options.region.as_deref()).await;
    let Some(region) = config.region().map(ToString::to_string) else {
        facts.errors.push(
            RunError::new(
                Subject::Live,
                "AWS",
                "no region: pass --region or set AWS_REGION",
            )
            .into(),
        );
        return;
    };
    read_with(&aws_sdk_ec2::Client::new(&config), &region, wanted, facts).await;
}

/// Reads what `wanted` names with `client` into `facts` (every call, every page).
pub async fn read_with(
    client: &aws_sdk_ec2::Client,
    region: &str,
    wanted: &Wanted,
    facts: &mut LiveFacts,
) {
    let fail = |facts: &mut LiveFacts, call: &str, e: String| {
        facts
            .errors
            .push(RunError::new(Subject::Live, format!("AWS region {region} ({call})"), e).into());
    };
    // Sessions on the declared interfaces and on the declared targets.
    let mut sessions = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, ids) in [
        ("network-interface-id", &wanted.interfaces),
        ("traffic-mirror-target-id", &wanted.targets),
    ] {
        let ids: Vec<String> = ids.iter().cloned().collect();
        for chunk in ids.chunks(MAX_FILTER_VALUES) {
            let req = client
                .describe_traffic_mirror_sessions()
                .filters(filter(name, chunk))
                .max_results(1000);
            let got: Result<Vec<Json>, String> = pages!(
                req,
                "DescribeTrafficMirrorSessions",
                traffic_mirror_sessions,
                |s| json!({
                    "TrafficMirrorSessionId": s.traffic_mirror_session_id(),
                    "TrafficMirrorTargetId": s.traffic_mirror_target_id(),
                    "TrafficMirrorFilterId": s.traffic_mirror_filter_id(),
                    "NetworkInterfaceId": s.network_interface_id(),
                    "OwnerId": s.owner_id(),
                    "PacketLength": s.packet_length(),
                    "SessionNumber": s.session_number(),
                    "VirtualNetworkId": s.virtual_network_id(),
                    "Description": s.description(),
                    "Tags": tags(s.tags()),
                })
            );
            match got {
                Ok(items) => {
                    for s in items {
                        let id = s["TrafficMirrorSessionId"]
                            .as_str()
                            .unwrap_or("")
                            .to_owned();
                        // The interface filter is an exact match: keep only what was asked for,
                        // whatever an emulator returns.
                        let keep = wanted
                            .interfaces
                            .contains(s["NetworkInterfaceId"].as_str().unwrap_or(""))
                            || wanted
                                .targets
                                .contains(s["TrafficMirrorTargetId"].as_str().unwrap_or(""));
                        if keep && seen.insert(id) {
                            sessions.push(s);
                        }
                    }
                }
                Err(e) => fail(facts, "DescribeTrafficMirrorSessions", e),
            }
        }
    }
    add(
        facts,
        region,
        "describe-traffic-mirror-sessions",
        &json!({"TrafficMirrorSessions": sessions}),
        None,
    );
    // Every target and every filter: complete listings (MG023 needs them whole).
    let targets: Result<Vec<Json>, String> = pages!(
        client.describe_traffic_mirror_targets().max_results(1000),
        "DescribeTrafficMirrorTargets",
        traffic_mirror_targets,
        |t| json!({
            "TrafficMirrorTargetId": t.traffic_mirror_target_id(),
            "NetworkInterfaceId": t.network_interface_id(),
            "NetworkLoadBalancerArn": t.network_load_balancer_arn(),
            "GatewayLoadBalancerEndpointId": t.gateway_load_balancer_endpoint_id(),
            "Type": t.r#type().map(|x| x.as_str()),
            "OwnerId": t.owner_id(),
        })
    );
    let mut target_enis = BTreeSet::new();
    match targets {
        Ok(t) => {
            target_enis.extend(
                t.iter()
                    .filter_map(|x| x["NetworkInterfaceId"].as_str().map(str::to_owned)),
            );
            add(
                facts,
                region,
                "describe-traffic-mirror-targets",
                &json!({"TrafficMirrorTargets": t}),
                None,
            );
        }
        Err(e) => fail(facts, "DescribeTrafficMirrorTargets", e),
    }
    let rule = |r: &aws_sdk_ec2::types::TrafficMirrorFilterRule| {
        let range = |p: Option<&aws_sdk_ec2::types::TrafficMirrorPortRange>| {
            p.map(|p| json!({"FromPort": p.from_port(), "ToPort": p.to_port()}))
        };
        json!({
            "TrafficMirrorFilterRuleId": r.traffic_mirror_filter_rule_id(),
            "TrafficMirrorFilterId": r.traffic_mirror_filter_id(),
            "TrafficDirection": r.traffic_direction().map(|d| d.as_str()),
            "RuleNumber": r.rule_number(),
            "RuleAction": r.rule_action().map(|a| a.as_str()),
            "Protocol": r.protocol(),
            "DestinationPortRange": range(r.destination_port_range()),
            "SourcePortRange": range(r.source_port_range()),
            "DestinationCidrBlock": r.destination_cidr_block(),
            "SourceCidrBlock": r.source_cidr_block(),
        })
    };
    let filters: Result<Vec<Json>, String> = pages!(
        client.describe_traffic_mirror_filters().max_results(1000),
        "DescribeTrafficMirrorFilters",
        traffic_mirror_filters,
        |f| json!({
            "TrafficMirrorFilterId": f.traffic_mirror_filter_id(),
            "IngressFilterRules": f.ingress_filter_rules().iter().map(rule).collect::<Vec<_>>(),
            "EgressFilterRules": f.egress_filter_rules().iter().map(rule).collect::<Vec<_>>(),
            "NetworkServices": f.network_services().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "Tags": tags(f.tags()),
        })
    );
    match filters {
        Ok(f) => add(
            facts,
            region,
            "describe-traffic-mirror-filters",
            &json!({"TrafficMirrorFilters": f}),
            None,
        ),
        Err(e) => fail(facts, "DescribeTrafficMirrorFilters", e),
    }
    // The interfaces named (sources, targets), by filter: the listing covers exactly them.
    let asked: BTreeSet<String> = wanted
        .interfaces
        .iter()
        .chain(&target_enis)
        .cloned()
        .collect();
    let mut instances = BTreeSet::new();
    let mut enis = Vec::new();
    let list: Vec<String> = asked.iter().cloned().collect();
    let mut enis_ok = true;
    for chunk in list.chunks(MAX_FILTER_VALUES) {
        let got: Result<Vec<Json>, String> = pages!(
            client
                .describe_network_interfaces()
                .filters(filter("network-interface-id", chunk)),
            "DescribeNetworkInterfaces",
            network_interfaces,
            |n| json!({
                "NetworkInterfaceId": n.network_interface_id(),
                "VpcId": n.vpc_id(),
                "SubnetId": n.subnet_id(),
                "InterfaceType": n.interface_type().map(|t| t.as_str()),
                "Attachment": n.attachment().map(|a| json!({"InstanceId": a.instance_id(), "DeviceIndex": a.device_index()})),
            })
        );
        match got {
            Ok(items) => enis.extend(items),
            Err(e) => {
                enis_ok = false;
                fail(facts, "DescribeNetworkInterfaces", e);
            }
        }
    }
    enis.retain(|n| asked.contains(n["NetworkInterfaceId"].as_str().unwrap_or("")));
    instances.extend(
        enis.iter()
            .filter_map(|n| n["Attachment"]["InstanceId"].as_str().map(str::to_owned)),
    );
    if enis_ok {
        add(
            facts,
            region,
            "describe-network-interfaces",
            &json!({"NetworkInterfaces": enis}),
            Some(&asked),
        );
    }
    let ids: Vec<String> = instances.iter().cloned().collect();
    let mut reservations = Vec::new();
    for chunk in ids.chunks(MAX_FILTER_VALUES) {
        let got: Result<Vec<Json>, String> = pages!(
            client
                .describe_instances()
                .filters(filter("instance-id", chunk)),
            "DescribeInstances",
            reservations,
            |r| json!({"Instances": r.instances().iter().map(|i| json!({
                "InstanceId": i.instance_id(),
                "InstanceType": i.instance_type().map(|t| t.as_str()),
            })).collect::<Vec<_>>()})
        );
        match got {
            Ok(r) => reservations.extend(r),
            Err(e) => fail(facts, "DescribeInstances", e),
        }
    }
    add(
        facts,
        region,
        "describe-instances",
        &json!({"Reservations": reservations}),
        None,
    );
    let peerings: Result<Vec<Json>, String> = pages!(
        client.describe_vpc_peering_connections(),
        "DescribeVpcPeeringConnections",
        vpc_peering_connections,
        |p| json!({
            "VpcPeeringConnectionId": p.vpc_peering_connection_id(),
            "Status": {"Code": p.status().and_then(|s| s.code()).map(|c| c.as_str())},
            "RequesterVpcInfo": {"VpcId": p.requester_vpc_info().and_then(|v| v.vpc_id())},
            "AccepterVpcInfo": {"VpcId": p.accepter_vpc_info().and_then(|v| v.vpc_id())},
        })
    );
    match peerings {
        Ok(p) => add(
            facts,
            region,
            "describe-vpc-peering-connections",
            &json!({"VpcPeeringConnections": p}),
            None,
        ),
        Err(e) => fail(facts, "DescribeVpcPeeringConnections", e),
    }
    let attachments: Result<Vec<Json>, String> = pages!(
        client.describe_transit_gateway_vpc_attachments(),
        "DescribeTransitGatewayVpcAttachments",
        transit_gateway_vpc_attachments,
        |a| json!({
            "TransitGatewayAttachmentId": a.transit_gateway_attachment_id(),
            "TransitGatewayId": a.transit_gateway_id(),
            "VpcId": a.vpc_id(),
            "State": a.state().map(|s| s.as_str()),
        })
    );
    match attachments {
        Ok(a) => add(
            facts,
            region,
            "describe-transit-gateway-vpc-attachments",
            &json!({"TransitGatewayVpcAttachments": a}),
            None,
        ),
        Err(e) => fail(facts, "DescribeTransitGatewayVpcAttachments", e),
    }
}
