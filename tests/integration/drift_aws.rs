//! Live AWS (feature `aws`): the EC2 client against the SDK's replay client (pages,
//! throttling, access denied) and, end to end, against a moto server on 127.0.0.1.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use mirrorguard::aws::ec2::{list_filters, list_sessions};
use mirrorguard::aws::retry_config;

use super::common::{code, run_in, stdout};

fn request() -> http::Request<SdkBody> {
    http::Request::builder()
        .uri("https://ec2.us-east-1.amazonaws.com/")
        .body(SdkBody::empty())
        .expect("request")
}

fn response(status: u16, body: &str) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(status)
        .body(SdkBody::from(body.to_owned()))
        .expect("response")
}

fn page(ids: &[(&str, i32)], next: Option<&str>) -> String {
    let items: String = ids
        .iter()
        .map(|(id, n)| {
            format!(
                "<item><trafficMirrorSessionId>{id}</trafficMirrorSessionId><trafficMirrorTargetId>tmt-1</trafficMirrorTargetId>\
                 <trafficMirrorFilterId>tmf-1</trafficMirrorFilterId><networkInterfaceId>eni-1</networkInterfaceId>\
                 <ownerId>111111111111</ownerId><sessionNumber>{n}</sessionNumber><virtualNetworkId>7</virtualNetworkId>\
                 <tagSet><item><key>Name</key><value>{id}</value></item></tagSet></item>"
            )
        })
        .collect();
    let next = next
        .map(|t| format!("<nextToken>{t}</nextToken>"))
        .unwrap_or_default();
    format!(
        "<DescribeTrafficMirrorSessionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
         <trafficMirrorSessionSet>{items}</trafficMirrorSessionSet>{next}</DescribeTrafficMirrorSessionsResponse>"
    )
}

fn ec2_error(code: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>{code} for this test</Message></Error></Errors><RequestID>r</RequestID></Response>"
    )
}

fn replay_client(events: Vec<ReplayEvent>) -> (aws_sdk_ec2::Client, StaticReplayClient) {
    let http = StaticReplayClient::new(events);
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .retry_config(retry_config().with_initial_backoff(Duration::from_millis(1)))
        .http_client(http.clone())
        .build();
    (aws_sdk_ec2::Client::from_conf(config), http)
}

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn every_page_is_read_following_next_token() {
    let (client, http) = replay_client(vec![
        ReplayEvent::new(
            request(),
            response(200, &page(&[("tms-a", 1), ("tms-b", 2)], Some("page-2"))),
        ),
        ReplayEvent::new(request(), response(200, &page(&[("tms-c", 3)], None))),
    ]);
    let sessions = block_on(list_sessions(&client, "us-east-1")).expect("two pages");
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["tms-a", "tms-b", "tms-c"]);
    assert_eq!(
        sessions[2].tags.get("Name").map(String::as_str),
        Some("tms-c")
    );
    let second = http.actual_requests().nth(1).expect("a second request");
    let body = std::str::from_utf8(second.body().bytes().unwrap_or_default()).unwrap_or_default();
    assert!(body.contains("NextToken=page-2"), "{body}");
}

fn filters_page(id: &str, next: Option<&str>) -> String {
    let next = next
        .map(|t| format!("<nextToken>{t}</nextToken>"))
        .unwrap_or_default();
    format!(
        "<DescribeTrafficMirrorFiltersResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
         <trafficMirrorFilterSet><item><trafficMirrorFilterId>{id}</trafficMirrorFilterId>\
         <ingressFilterRuleSet><item><trafficMirrorFilterRuleId>tmfr-{id}</trafficMirrorFilterRuleId>\
         <trafficDirection>ingress</trafficDirection><ruleNumber>100</ruleNumber><ruleAction>accept</ruleAction>\
         <protocol>6</protocol><destinationPortRange><fromPort>443</fromPort><toPort>443</toPort></destinationPortRange>\
         <destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><sourceCidrBlock>10.0.0.0/8</sourceCidrBlock></item></ingressFilterRuleSet>\
         <egressFilterRuleSet/><networkServiceSet><item>amazon-dns</item></networkServiceSet></item></trafficMirrorFilterSet>{next}\
         </DescribeTrafficMirrorFiltersResponse>"
    )
}

#[test]
fn every_filter_page_is_read_with_its_rules() {
    let (client, http) = replay_client(vec![
        ReplayEvent::new(request(), response(200, &filters_page("tmf-a", Some("p2")))),
        ReplayEvent::new(request(), response(200, &filters_page("tmf-b", None))),
    ]);
    let filters = block_on(list_filters(&client, "us-east-1")).expect("two pages");
    let ids: Vec<&str> = filters.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["tmf-a", "tmf-b"]);
    let rule = &filters[1].rules[0];
    assert_eq!(
        (rule.direction.as_str(), rule.rule_number, rule.protocol),
        ("ingress", Some(100), Some(6))
    );
    assert_eq!(rule.destination_ports, Some((443, 443)));
    assert_eq!(rule.source_cidr_block, "10.0.0.0/8");
    assert_eq!(filters[0].network_services, ["amazon-dns"]);
    let second = http.actual_requests().nth(1).expect("a second request");
    let body = std::str::from_utf8(second.body().bytes().unwrap_or_default()).unwrap_or_default();
    assert!(body.contains("NextToken=p2"), "{body}");
    // Access denied on filters is an error, not a filter without rules.
    let (client, _) = replay_client(vec![ReplayEvent::new(
        request(),
        response(403, &ec2_error("UnauthorizedOperation")),
    )]);
    let err = block_on(list_filters(&client, "us-east-1")).expect_err("denied");
    assert!(err.contains("DescribeTrafficMirrorFilters"), "{err}");
}

#[test]
fn throttling_is_retried_with_backoff() {
    let throttled =
        || ReplayEvent::new(request(), response(503, &ec2_error("RequestLimitExceeded")));
    let (client, http) = replay_client(vec![
        throttled(),
        throttled(),
        ReplayEvent::new(request(), response(200, &page(&[("tms-a", 1)], None))),
    ]);
    let sessions = block_on(list_sessions(&client, "us-east-1")).expect("succeeds after retries");
    assert_eq!(sessions.len(), 1);
    assert_eq!(http.actual_requests().count(), 3);
    // When throttling outlasts the retries, it is an error, not an empty region.
    let (client, _) = replay_client((0..5).map(|_| throttled()).collect());
    let err = block_on(list_sessions(&client, "us-east-1")).expect_err("gives up");
    assert!(err.contains("RequestLimitExceeded"), "{err}");
}

#[test]
fn access_denied_is_an_error_naming_the_cause() {
    let (client, http) = replay_client(vec![ReplayEvent::new(
        request(),
        response(403, &ec2_error("UnauthorizedOperation")),
    )]);
    let err = block_on(list_sessions(&client, "us-east-1")).expect_err("denied");
    assert!(err.contains("UnauthorizedOperation"), "{err}");
    assert_eq!(
        http.actual_requests().count(),
        1,
        "access denied is not retried"
    );
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_SESSION_TOKEN", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
}

#[test]
fn a_dead_endpoint_is_an_error_for_that_region() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.yaml"), "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties: {NetworkInterfaceId: eni-0123456789abcdef0, TrafficMirrorTargetId: tmt-0123456789abcdef0, TrafficMirrorFilterId: tmf-0123456789abcdef0, SessionNumber: 1}\n").expect("write");
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "drift",
            ".",
            "--no-config",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--account-id",
            "111111111111",
        ])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["file"] == "AWS region us-east-1"),
        "{errors:?}"
    );
    // Nothing was compared against an empty region: no MG101 for the declared session.
    assert!(report["findings"].as_array().expect("findings").is_empty());
}

/// A moto server on 127.0.0.1, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let port = free_port();
        let python = std::env::var("MIRRORGUARD_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto is installed (pip install 'moto[server]')");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct World {
    enis: Vec<String>,
    target: String,
    filter: String,
    sessions: Vec<String>,
}

/// Creates a VPC, three ENIs, a target, a filter and two sessions with the real SDK.
async fn build_world(endpoint: &str) -> World {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .endpoint_url(endpoint)
        .build();
    let ec2 = aws_sdk_ec2::Client::from_conf(config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .send()
        .await
        .expect("subnet");
    let subnet_id = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_owned();
    let mut enis = Vec::new();
    for _ in 0..3 {
        let eni = ec2
            .create_network_interface()
            .subnet_id(&subnet_id)
            .send()
            .await
            .expect("eni");
        enis.push(
            eni.network_interface()
                .and_then(|n| n.network_interface_id())
                .expect("eni id")
                .to_owned(),
        );
    }
    let target = ec2
        .create_traffic_mirror_target()
        .network_interface_id(&enis[2])
        .send()
        .await
        .expect("target");
    let target = target
        .traffic_mirror_target()
        .and_then(|t| t.traffic_mirror_target_id())
        .expect("target id")
        .to_owned();
    let filter = ec2
        .create_traffic_mirror_filter()
        .send()
        .await
        .expect("filter");
    let filter = filter
        .traffic_mirror_filter()
        .and_then(|f| f.traffic_mirror_filter_id())
        .expect("filter id")
        .to_owned();
    let mut sessions = Vec::new();
    for (eni, number, vni) in [(&enis[0], 1, 10), (&enis[1], 2, 20)] {
        let s = ec2
            .create_traffic_mirror_session()
            .network_interface_id(eni)
            .traffic_mirror_target_id(&target)
            .traffic_mirror_filter_id(&filter)
            .session_number(number)
            .virtual_network_id(vni)
            .send()
            .await
            .expect("session");
        sessions.push(
            s.traffic_mirror_session()
                .and_then(|t| t.traffic_mirror_session_id())
                .expect("session id")
                .to_owned(),
        );
    }
    World {
        enis,
        target,
        filter,
        sessions,
    }
}

fn session_yaml(
    name: &str,
    eni: &str,
    target: &str,
    filter: &str,
    number: i32,
    vni: i32,
) -> String {
    format!(
        "  {name}:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: {eni}\n      TrafficMirrorTargetId: {target}\n      TrafficMirrorFilterId: {filter}\n      SessionNumber: {number}\n      VirtualNetworkId: {vni}\n"
    )
}

fn drift_against(moto: &Moto, dir: &std::path::Path) -> (i32, serde_json::Value) {
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "drift",
            ".",
            "--no-config",
            "--format",
            "json",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
        ])
        .current_dir(dir)
        .output()
        .expect("runs");
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (code(&out), report)
}

#[test]
fn moto_end_to_end_missing_unmanaged_changed_and_clean() {
    let moto = Moto::start();
    let w = block_on(build_world(&moto.endpoint));
    let dir = tempfile::tempdir().expect("tempdir");

    // Declared: session 1 with another VNI (changed), a session that does not exist (missing);
    // session 2 is not declared (unmanaged).
    let template = format!(
        "Resources:\n{}{}",
        session_yaml("Web", &w.enis[0], &w.target, &w.filter, 1, 11),
        session_yaml("Gone", &w.enis[0], &w.target, &w.filter, 3, 30)
    );
    std::fs::write(dir.path().join("t.yaml"), &template).expect("write");
    let (status, report) = drift_against(&moto, dir.path());
    assert_eq!(status, 1, "{report}");
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let rules: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rules, ["MG102", "MG103", "MG101"], "{found:#?}");
    assert!(found[0].1.contains(&w.sessions[1]), "{found:#?}");
    assert_eq!(
        found[1].1,
        format!(
            "virtual_network_id is 11 here but 10 on live session {}",
            w.sessions[0]
        )
    );

    // Declaring exactly what is live: no drift, exit 0.
    let template = format!(
        "Resources:\n{}{}",
        session_yaml("Web", &w.enis[0], &w.target, &w.filter, 1, 10),
        session_yaml("Db", &w.enis[1], &w.target, &w.filter, 2, 20)
    );
    std::fs::write(dir.path().join("t.yaml"), &template).expect("write");
    let (status, report) = drift_against(&moto, dir.path());
    assert_eq!(status, 0, "{report}");
    assert!(report["findings"].as_array().expect("findings").is_empty());
}

#[test]
fn moto_declared_filter_rules_are_compared_with_the_live_filter() {
    let moto = Moto::start();
    let w = block_on(build_world(&moto.endpoint));
    let dir = tempfile::tempdir().expect("tempdir");
    // The session is matched by interface and number; its filter is the declared one, whose
    // rule the live filter (moto creates filters without rules) does not have.
    let template = format!(
        "Resources:\n  Filter:\n    Type: AWS::EC2::TrafficMirrorFilter\n    Properties: {{Description: web}}\n  HttpsIn:\n    Type: AWS::EC2::TrafficMirrorFilterRule\n    Properties: {{TrafficMirrorFilterId: !Ref Filter, TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}}\n{}{}",
        session_yaml("Web", &w.enis[0], &w.target, "!Ref Filter", 1, 10),
        session_yaml("Db", &w.enis[1], &w.target, &w.filter, 2, 20)
    );
    std::fs::write(dir.path().join("t.yaml"), &template).expect("write");
    let (status, report) = drift_against(&moto, dir.path());
    assert_eq!(status, 1, "{report}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["rule_id"], "MG101");
    assert_eq!(
        findings[0]["message"],
        format!(
            "filter rule HttpsIn (ingress 100) is declared but live filter {} has no such rule",
            w.filter
        )
    );
}

#[test]
fn moto_drift_via_run_in_helper_uses_live_file_path_too() {
    // The same comparison from a saved describe output, for air-gapped CI: identical result.
    let moto = Moto::start();
    let w = block_on(build_world(&moto.endpoint));
    let saved = block_on(async {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::for_tests())
            .endpoint_url(&moto.endpoint)
            .build();
        list_sessions(&aws_sdk_ec2::Client::from_conf(config), "us-east-1")
            .await
            .expect("list")
    });
    assert_eq!(saved.len(), 2);
    let json = serde_json::json!({"TrafficMirrorSessions": saved.iter().map(|s| serde_json::json!({
        "TrafficMirrorSessionId": s.id, "OwnerId": s.owner_id, "NetworkInterfaceId": s.network_interface_id,
        "TrafficMirrorTargetId": s.traffic_mirror_target_id, "TrafficMirrorFilterId": s.traffic_mirror_filter_id,
        "SessionNumber": s.session_number, "VirtualNetworkId": s.virtual_network_id, "Tags": []})).collect::<Vec<_>>()});
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("live.json"), json.to_string()).expect("write");
    std::fs::write(
        dir.path().join("t.yaml"),
        format!(
            "Resources:\n{}",
            session_yaml("Web", &w.enis[0], &w.target, &w.filter, 1, 10)
        ),
    )
    .expect("write");
    let out = run_in(
        dir.path(),
        &[
            "drift",
            "t.yaml",
            "--no-config",
            "--live-file",
            "live.json",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(rules, ["MG102"], "{report}");
}

#[test]
fn moto_deploy_role_inline_and_attached_policies_are_read_live() {
    let moto = Moto::start();
    block_on(async {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::for_tests())
            .endpoint_url(&moto.endpoint)
            .build();
        let iam = aws_sdk_iam::Client::from_conf(config);
        let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
        iam.create_role()
            .role_name("ci-deployer")
            .assume_role_policy_document(trust)
            .send()
            .await
            .expect("role");
        // Inline: sessions on every resource, but no tag-on-create.
        let inline = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:CreateTrafficMirrorSession", "ec2:ModifyTrafficMirrorSession", "ec2:DeleteTrafficMirrorSession"], "Resource": "*"}]}"#;
        iam.put_role_policy()
            .role_name("ci-deployer")
            .policy_name("sessions")
            .policy_document(inline)
            .send()
            .await
            .expect("inline");
        // Attached managed policy: reads.
        let managed = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}"#;
        let p = iam
            .create_policy()
            .policy_name("reads")
            .policy_document(managed)
            .send()
            .await
            .expect("policy");
        let arn = p.policy().and_then(|p| p.arn()).expect("arn").to_owned();
        iam.attach_role_policy()
            .role_name("ci-deployer")
            .policy_arn(&arn)
            .send()
            .await
            .expect("attach");
    });
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "check",
            "sessions.yaml",
            "--no-config",
            "--format",
            "json",
            "--operations",
            "create",
            "--deploy-role",
            "arn:aws:iam::123456789012:role/ci-deployer",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
        ])
        .current_dir(super::common::fixture("iam"))
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(code(&out), 1, "{report}");
    let mg020: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "MG020")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(mg020.len(), 1, "{report}");
    // Only tag-on-create is missing: the inline and the attached policy were both read.
    assert!(mg020[0].contains("ec2:CreateTags"), "{}", mg020[0]);
    assert!(
        !mg020[0].contains("ec2:CreateTrafficMirrorSession"),
        "{}",
        mg020[0]
    );
    assert!(
        !mg020[0].contains("ec2:DescribeTrafficMirrorSessions"),
        "{}",
        mg020[0]
    );
}

#[test]
fn an_unknown_deploy_role_is_an_error() {
    let moto = Moto::start();
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "check",
            "sessions.yaml",
            "--no-config",
            "--format",
            "json",
            "--deploy-role",
            "nobody",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
        ])
        .current_dir(super::common::fixture("iam"))
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        report["errors"][0]["file"]
            .as_str()
            .unwrap_or("")
            .contains("IAM role nobody"),
        "{report}"
    );
}

// ---- Preflight (`check --live`) ----

/// An account for preflight: interface A with one session (number 1), B with three, an
/// instance of a type that cannot be a mirror source, a target and a filter.
struct PreflightWorld {
    a: String,
    b: String,
    m6i: String,
    target: String,
    filter: String,
}

async fn build_preflight_world(endpoint: &str) -> PreflightWorld {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .endpoint_url(endpoint)
        .build();
    let ec2 = aws_sdk_ec2::Client::from_conf(config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.1.1.0/24")
        .send()
        .await
        .expect("subnet");
    let subnet_id = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet")
        .to_owned();
    let mut enis = Vec::new();
    for _ in 0..3 {
        let e = ec2
            .create_network_interface()
            .subnet_id(&subnet_id)
            .send()
            .await
            .expect("eni");
        enis.push(
            e.network_interface()
                .and_then(|n| n.network_interface_id())
                .expect("eni id")
                .to_owned(),
        );
    }
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::M6iLarge)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet_id)
        .send()
        .await
        .expect("instance");
    let m6i = run
        .instances()
        .first()
        .and_then(|i| i.network_interfaces().first())
        .and_then(|n| n.network_interface_id())
        .expect("instance eni")
        .to_owned();
    let target = ec2
        .create_traffic_mirror_target()
        .network_interface_id(&enis[2])
        .send()
        .await
        .expect("target");
    let target = target
        .traffic_mirror_target()
        .and_then(|t| t.traffic_mirror_target_id())
        .expect("target id")
        .to_owned();
    let filter = ec2
        .create_traffic_mirror_filter()
        .send()
        .await
        .expect("filter");
    let filter = filter
        .traffic_mirror_filter()
        .and_then(|f| f.traffic_mirror_filter_id())
        .expect("filter id")
        .to_owned();
    for (eni, number) in [(&enis[0], 1), (&enis[1], 1), (&enis[1], 2), (&enis[1], 3)] {
        ec2.create_traffic_mirror_session()
            .network_interface_id(eni)
            .traffic_mirror_target_id(&target)
            .traffic_mirror_filter_id(&filter)
            .session_number(number)
            .send()
            .await
            .expect("session");
    }
    PreflightWorld {
        a: enis[0].clone(),
        b: enis[1].clone(),
        m6i,
        target,
        filter,
    }
}

fn check_live(endpoint: &str, dir: &std::path::Path) -> (i32, serde_json::Value, String) {
    let out = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "check",
            ".",
            "--no-config",
            "--format",
            "json",
            "--live",
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--root",
            ".",
        ])
        .current_dir(dir)
        .output()
        .expect("runs");
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        code(&out),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn moto_preflight_sees_existing_sessions_instance_types_and_missing_ids() {
    let moto = Moto::start();
    let w = block_on(build_preflight_world(&moto.endpoint));
    let dir = tempfile::tempdir().expect("tempdir");
    let template = format!(
        "Resources:\n{}{}{}{}",
        session_yaml("Web", &w.a, &w.target, &w.filter, 1, 10),
        session_yaml("Batch", &w.b, &w.target, &w.filter, 4, 11),
        session_yaml("Reports", &w.m6i, &w.target, &w.filter, 1, 12),
        session_yaml("Typo", &w.a, &w.target, "tmf-0123456789abcdef0", 2, 13),
    );
    std::fs::write(dir.path().join("t.yaml"), &template).expect("write");
    let (status, report, stderr) = check_live(&moto.endpoint, dir.path());
    assert_eq!(status, 1, "{report}\n{stderr}");
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["resource"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for expected in [
        ("MG005", "Web"),
        ("MG006", "Batch"),
        ("MG014", "Reports"),
        ("MG023", "Typo"),
    ] {
        assert!(
            found
                .iter()
                .any(|(r, a)| r == expected.0 && a == expected.1),
            "{expected:?} missing from {found:?}"
        );
    }
    // The live session is named by its id in the message; the API answer has no file, so
    // SARIF keeps no related location for it.
    let web = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["rule_id"] == "MG005"))
        .expect("MG005");
    assert!(
        web["message"]
            .as_str()
            .is_some_and(|m| m.contains("(live)")),
        "{web}"
    );
}

#[test]
fn moto_preflight_against_a_dead_endpoint_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("t.yaml"),
        format!(
            "Resources:\n{}",
            session_yaml(
                "Web",
                "eni-0123456789abcdef0",
                "tmt-0123456789abcdef0",
                "tmf-0123456789abcdef0",
                1,
                1
            )
        ),
    )
    .expect("write");
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let (status, report, _) = check_live(&endpoint, dir.path());
    assert_eq!(status, 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["file"]
            .as_str()
            .is_some_and(|f| f.contains("DescribeTrafficMirrorSessions"))),
        "{errors:?}"
    );
    // Nothing checked against the failed reads is reported (no MG023 from empty listings).
    assert!(
        !report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule_id"] == "MG023"),
        "{report}"
    );
}

fn empty_answer(action: &str, set: &str) -> String {
    format!(
        "<{action}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><{set}/></{action}Response>"
    )
}

fn instance_enis_answer() -> String {
    "<DescribeNetworkInterfacesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
     <networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><vpcId>vpc-1</vpcId>\
     <attachment><instanceId>i-1</instanceId><deviceIndex>0</deviceIndex></attachment></item></networkInterfaceSet>\
     </DescribeNetworkInterfacesResponse>"
        .to_owned()
}

fn instances_answer() -> String {
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
     <reservationSet><item><instancesSet><item><instanceId>i-1</instanceId><instanceType>m6i.large</instanceType>\
     </item></instancesSet></item></reservationSet></DescribeInstancesResponse>"
        .to_owned()
}

/// The answers of one preflight read, in call order, with DescribeInstances given by `instances`.
fn preflight_events(instances: Vec<(u16, String)>) -> Vec<ReplayEvent> {
    let mut events = vec![
        ReplayEvent::new(request(), response(200, &page(&[], None))),
        ReplayEvent::new(
            request(),
            response(
                200,
                &empty_answer("DescribeTrafficMirrorTargets", "trafficMirrorTargetSet"),
            ),
        ),
        ReplayEvent::new(
            request(),
            response(
                200,
                &empty_answer("DescribeTrafficMirrorFilters", "trafficMirrorFilterSet"),
            ),
        ),
        ReplayEvent::new(request(), response(200, &instance_enis_answer())),
    ];
    events.extend(
        instances
            .into_iter()
            .map(|(status, body)| ReplayEvent::new(request(), response(status, &body))),
    );
    events.push(ReplayEvent::new(
        request(),
        response(
            200,
            &empty_answer("DescribeVpcPeeringConnections", "vpcPeeringConnectionSet"),
        ),
    ));
    events.push(ReplayEvent::new(
        request(),
        response(
            200,
            &empty_answer(
                "DescribeTransitGatewayVpcAttachments",
                "transitGatewayVpcAttachments",
            ),
        ),
    ));
    events
}

fn wanted_eni() -> mirrorguard::checks::preflight::Wanted {
    let mut w = mirrorguard::checks::preflight::Wanted::default();
    w.interfaces.insert("eni-1".into());
    w
}

#[test]
fn preflight_retries_throttled_describe_instances() {
    let throttled = (503, ec2_error("RequestLimitExceeded"));
    let (client, http) = replay_client(preflight_events(vec![
        throttled.clone(),
        throttled,
        (200, instances_answer()),
    ]));
    let mut facts = mirrorguard::checks::preflight::LiveFacts::default();
    block_on(mirrorguard::aws::preflight::read_with(
        &client,
        "us-east-1",
        &wanted_eni(),
        &mut facts,
    ));
    assert!(facts.errors.is_empty(), "{:?}", facts.errors);
    assert_eq!(facts.ids("instances"), ["i-1"]);
    assert_eq!(http.actual_requests().count(), 9);
    // Every call is one the example read-only policy allows, and each of them is used.
    let mut actions: Vec<String> = http
        .actual_requests()
        .filter_map(|r| {
            let body =
                std::str::from_utf8(r.body().bytes().unwrap_or_default()).unwrap_or_default();
            body.split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(|a| format!("ec2:{a}"))
        })
        .collect();
    actions.sort();
    actions.dedup();
    let mut allowed: Vec<String> = mirrorguard::checks::preflight::PREFLIGHT_ACTIONS
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    allowed.sort();
    assert_eq!(actions, allowed);
}

#[test]
fn preflight_access_denied_on_describe_instances_is_an_error_naming_it() {
    let (client, _) = replay_client(preflight_events(vec![(
        403,
        ec2_error("UnauthorizedOperation"),
    )]));
    let mut facts = mirrorguard::checks::preflight::LiveFacts::default();
    block_on(mirrorguard::aws::preflight::read_with(
        &client,
        "us-east-1",
        &wanted_eni(),
        &mut facts,
    ));
    assert_eq!(facts.errors.len(), 1, "{:?}", facts.errors);
    let text = facts.errors[0].to_string();
    assert!(
        text.contains("DescribeInstances") && text.contains("UnauthorizedOperation"),
        "{text}"
    );
    // The other reads still count: the interface was read.
    assert_eq!(facts.ids("interfaces"), ["eni-1"]);
    assert!(facts.ids("instances").is_empty());
}

#[test]
fn moto_aws_cli_remediation_run_with_the_aws_cli_leaves_no_drift() {
    let moto = Moto::start();
    let w = block_on(build_world(&moto.endpoint));
    let dir = tempfile::tempdir().expect("tempdir");
    // Session 1 is declared with another VNI and another filter-free description change;
    // session 2 exactly as live.
    let template = format!(
        "Resources:\n{}{}",
        session_yaml("Web", &w.enis[0], &w.target, &w.filter, 1, 11),
        session_yaml("Db", &w.enis[1], &w.target, &w.filter, 2, 20)
    );
    std::fs::write(dir.path().join("t.yaml"), &template).expect("write");
    let remediate = aws_env(&mut Command::new(env!("CARGO_BIN_EXE_mirrorguard")))
        .args([
            "drift",
            ".",
            "--no-config",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "us-east-1",
            "--remediation",
            "aws-cli",
        ])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(code(&remediate), 1);
    let script = stdout(&remediate);
    assert!(
        script.contains(&format!(
            "aws ec2 modify-traffic-mirror-session --traffic-mirror-session-id '{}' --region 'us-east-1' --virtual-network-id '11'",
            w.sessions[0]
        )),
        "{script}"
    );
    let path = dir.path().join("remediate.sh");
    std::fs::write(&path, &script).expect("write");
    // The real AWS CLI runs it against the same moto server.
    let ran = aws_env(&mut Command::new("bash"))
        .arg(&path)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("bash runs the script (pip install awscli)");
    assert!(
        ran.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    let (status, report) = drift_against(&moto, dir.path());
    assert_eq!(status, 0, "drift is clean after the remediation: {report}");
}
