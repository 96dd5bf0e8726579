//! The AWS Config live source (feature `aws`) against the SDK's replay client: moto does not
//! implement the advanced-query calls. Pages, throttling, access denied and an aggregator that
//! does not exist; and, end to end, a dead endpoint is exit 2.

use std::process::Command;
use std::time::Duration;

use aws_sdk_config::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use mirrorguard::aws::config::{read_inventory, select_rows};
use mirrorguard::aws::retry_config;

use super::common::{code, stdout};
use super::drift_aws::{aws_env, block_on, free_port};

fn request() -> http::Request<SdkBody> {
    http::Request::builder()
        .uri("https://config.eu-west-1.amazonaws.com/")
        .body(SdkBody::empty())
        .expect("request")
}

fn response(status: u16, body: &str) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(body.to_owned()))
        .expect("response")
}

fn error(kind: &str) -> String {
    serde_json::json!({"__type": kind, "message": format!("{kind} for this test")}).to_string()
}

fn row(account: &str, id: &str, n: i64) -> String {
    serde_json::json!({
        "accountId": account, "awsRegion": "eu-west-1", "resourceId": id,
        "resourceType": "AWS::EC2::TrafficMirrorSession",
        "configuration": {"Id": id, "NetworkInterfaceId": "eni-0aaaaaaaaaaaaaaa0",
            "SessionNumber": n, "TrafficMirrorTargetId": "tmt-0aaaaaaaaaaaaaaa0",
            "TrafficMirrorFilterId": "tmf-0aaaaaaaaaaaaaaa0"},
        "tags": [{"key": "Name", "value": id}],
        "configurationItemCaptureTime": "2026-11-30T08:15:00.000Z",
    })
    .to_string()
}

fn page(rows: &[String], next: Option<&str>) -> String {
    let mut doc = serde_json::json!({"Results": rows, "QueryInfo": {"SelectFields": []}});
    if let Some(t) = next {
        doc["NextToken"] = serde_json::json!(t);
    }
    doc.to_string()
}

fn client(events: Vec<ReplayEvent>) -> (aws_sdk_config::Client, StaticReplayClient) {
    let http = StaticReplayClient::new(events);
    let config = aws_sdk_config::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::for_tests())
        .retry_config(retry_config().with_initial_backoff(Duration::from_millis(1)))
        .http_client(http.clone())
        .build();
    (aws_sdk_config::Client::from_conf(config), http)
}

#[test]
fn every_page_of_the_aggregate_query_is_read() {
    let (client, http) = client(vec![
        ReplayEvent::new(
            request(),
            response(
                200,
                &page(
                    &[
                        row("111111111111", "tms-a", 1),
                        row("222222222222", "tms-b", 1),
                    ],
                    Some("page-2"),
                ),
            ),
        ),
        ReplayEvent::new(
            request(),
            response(200, &page(&[row("111111111111", "tms-c", 2)], None)),
        ),
    ]);
    let live = block_on(read_inventory(&client, Some("organization")));
    assert!(live.errors.is_empty(), "{:?}", live.errors);
    let ids: Vec<(&str, &str)> = live
        .sessions
        .iter()
        .map(|s| (s.owner_id.as_str(), s.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("111111111111", "tms-a"),
            ("111111111111", "tms-c"),
            ("222222222222", "tms-b")
        ]
    );
    assert_eq!(
        live.sessions[0].captured.as_deref(),
        Some("2026-11-30T08:15:00.000Z")
    );
    let coverage = live.coverage.expect("an inventory has coverage");
    assert!(coverage.check("222222222222", "eu-west-1").is_ok());
    let requests: Vec<serde_json::Value> = http
        .actual_requests()
        .map(|r| serde_json::from_slice(r.body().bytes().unwrap_or_default()).unwrap_or_default())
        .collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["ConfigurationAggregatorName"], "organization");
    assert!(
        requests[0]["Expression"]
            .as_str()
            .unwrap_or("")
            .contains("'AWS::EC2::TrafficMirrorSession'"),
        "{:?}",
        requests[0]
    );
    assert_eq!(requests[1]["NextToken"], "page-2");
    let target = http
        .actual_requests()
        .next()
        .and_then(|r| r.headers().get("x-amz-target").map(str::to_owned))
        .expect("target header");
    assert_eq!(target, "StarlingDoveService.SelectAggregateResourceConfig");
}

#[test]
fn the_callers_account_is_read_with_select_resource_config() {
    let (client, http) = client(vec![ReplayEvent::new(
        request(),
        response(200, &page(&[row("111111111111", "tms-a", 1)], None)),
    )]);
    let rows = block_on(select_rows(&client, None)).expect("one page");
    assert_eq!(rows.len(), 1);
    let target = http
        .actual_requests()
        .next()
        .and_then(|r| r.headers().get("x-amz-target").map(str::to_owned))
        .expect("target header");
    assert_eq!(target, "StarlingDoveService.SelectResourceConfig");
}

#[test]
fn throttling_is_retried_then_gives_up_with_an_error() {
    let throttled = || ReplayEvent::new(request(), response(400, &error("ThrottlingException")));
    let (retried, http) = client(vec![
        throttled(),
        throttled(),
        ReplayEvent::new(
            request(),
            response(200, &page(&[row("111111111111", "tms-a", 1)], None)),
        ),
    ]);
    let rows = block_on(select_rows(&retried, Some("organization"))).expect("after retries");
    assert_eq!(rows.len(), 1);
    assert_eq!(http.actual_requests().count(), 3);
    let (gives_up, _) = client((0..5).map(|_| throttled()).collect());
    let live = block_on(read_inventory(&gives_up, Some("organization")));
    assert!(live.sessions.is_empty());
    assert!(live.coverage.is_none(), "a failed read covers nothing");
    let message = live.errors[0].to_string();
    assert!(message.contains("ThrottlingException"), "{message}");
}

#[test]
fn access_denied_is_an_error_not_an_empty_inventory() {
    let (client, http) = client(vec![ReplayEvent::new(
        request(),
        response(400, &error("AccessDeniedException")),
    )]);
    let live = block_on(read_inventory(&client, Some("organization")));
    assert!(live.sessions.is_empty() && live.coverage.is_none());
    let message = live.errors[0].to_string();
    assert!(message.contains("AccessDeniedException"), "{message}");
    assert!(
        message.contains("SelectAggregateResourceConfig"),
        "{message}"
    );
    assert_eq!(
        http.actual_requests().count(),
        1,
        "access denied is not retried"
    );
}

#[test]
fn an_aggregator_that_does_not_exist_is_named_with_what_to_do() {
    let (client, _) = client(vec![ReplayEvent::new(
        request(),
        response(400, &error("NoSuchConfigurationAggregatorException")),
    )]);
    let live = block_on(read_inventory(&client, Some("nope")));
    let message = live.errors[0].to_string();
    assert!(message.contains("no aggregator named nope"), "{message}");
}

#[test]
fn a_dead_config_endpoint_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.yaml"), "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties: {NetworkInterfaceId: eni-0123456789abcdef0, TrafficMirrorTargetId: tmt-0123456789abcdef0, TrafficMirrorFilterId: tmf-0123456789abcdef0, SessionNumber: 1}\n").expect("write");
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "drift",
            ".",
            "--no-config",
            "--format",
            "json",
            "--live-source",
            "config-aggregator:organization",
            "--endpoint-url",
            &format!("http://127.0.0.1:{}", free_port()),
            "--region",
            "eu-west-1",
            "--account-id",
            "111111111111",
        ])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["name"] == "AWS Config aggregator organization"),
        "{report:#}"
    );
    assert!(report["findings"].as_array().expect("findings").is_empty());
}
