//! `mirrorguard drift` on AWS Config inventories (saved `select-aggregate-resource-config`
//! results): scopes from the command line and from the configuration, sessions outside every
//! scope, uncovered regions, stale items and both tag spellings.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::common::{code, fixture, keep_sarif, run_in, stderr, stdout};

fn drift(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["drift", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (code(&out), report, stderr(&out))
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The rule ids found, sorted.
fn rules(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = findings(report).into_iter().map(|(r, _)| r).collect();
    ids.sort();
    ids
}

#[test]
fn one_scope_from_the_command_line_compares_its_account_and_region_only() {
    let (status, report, _) = drift(
        &fixture("drift-config"),
        &[
            "stacks/prod",
            "--no-config",
            "--live-file",
            "config/aggregate.json",
            "--account-id",
            "111111111111",
            "--region",
            "eu-west-1",
            "--stack-name",
            "sensors",
        ],
    );
    assert_eq!(status, 1, "{report:#}");
    let found = findings(&report);
    // The web session matched by its stack tags (`{key, value}`) has another number, the db
    // session another VNI, and the hand-made one is unmanaged; the deleted item is not live.
    assert_eq!(rules(&report), ["MG102", "MG103", "MG103"], "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(r, m)| r == "MG103" && m.contains("session_number is 1 here but 7"))
    );
    assert!(found.iter().any(|(_, m)| m.contains("200")), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(r, m)| r == "MG102" && m.contains("tms-0hand000000000000")),
        "{found:#?}"
    );
    // Each finding about a live item says when AWS Config captured it.
    for (_, m) in &found {
        assert!(
            m.contains("AWS Config captured it at 2026-11-30T08:15:00.000Z"),
            "{m}"
        );
    }
    assert!(!found.iter().any(|(_, m)| m.contains("tms-0gone")));
    // Sessions of other accounts are outside the scope: counted, not reported.
    assert_eq!(report["summary"]["live_outside_scopes"], 2, "{report:#}");
    assert!(report["findings"][0]["scope"].is_null());
}

/// How findings of the prod scope are named: its name, account and regions.
const PROD: &str = "prod 111111111111/eu-west-1,us-east-1";

#[test]
fn every_scope_of_the_configuration_runs_from_one_inventory_read() {
    let dir = fixture("drift-config");
    let (status, report, err) = drift(
        &dir,
        &[
            "--config",
            "scopes.toml",
            "--live-file",
            "config/aggregate.json",
            "--stack-name",
            "sensors",
        ],
    );
    assert_eq!(status, 1, "{report:#} {err}");
    let found = findings(&report);
    // prod: two changed sessions and one unmanaged; dev: clean (its tags use {Key, Value}).
    let mut scoped: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["scope"].as_str().unwrap_or("").to_owned(),
                f["rule_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    scoped.sort();
    assert_eq!(
        scoped,
        [
            (PROD.to_owned(), "MG102".to_owned()),
            (PROD.to_owned(), "MG103".to_owned()),
            (PROD.to_owned(), "MG103".to_owned()),
        ],
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .all(|(_, m)| m.starts_with(&format!("[{PROD}] "))),
        "{found:#?}"
    );
    // Only the third account's session lies outside every scope.
    assert_eq!(report["summary"]["live_outside_scopes"], 1);
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    // The same run as SARIF: one run, the scope as a logical location of each result.
    let out = run_in(
        &dir,
        &[
            "drift",
            "--format",
            "sarif",
            "--config",
            "scopes.toml",
            "--live-file",
            "config/aggregate.json",
            "--stack-name",
            "sensors",
        ],
    );
    let text = stdout(&out);
    keep_sarif("drift-config-scopes", &text);
    let sarif: Value = serde_json::from_str(&text).expect("SARIF");
    assert_eq!(sarif["runs"].as_array().map(Vec::len), Some(1));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    for r in results {
        let logical = r["locations"][0]["logicalLocations"]
            .as_array()
            .expect("logical locations");
        assert!(
            logical
                .iter()
                .any(|l| l["name"] == PROD && l["kind"] == "namespace"),
            "{r:#}"
        );
        assert_eq!(r["properties"]["scope"], PROD);
        assert!(r["locations"][0]["physicalLocation"].is_object(), "{r:#}");
    }
    // A session in two scopes' files would be two findings: the fingerprints carry the scope.
    let fingerprints: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_eq!(fingerprints.len(), 3);
}

#[test]
fn a_region_the_inventory_does_not_cover_is_exit_2_never_clean() {
    let (status, report, _) = drift(
        &fixture("drift-config"),
        &[
            "--config",
            "uncovered.toml",
            "--live-file",
            "config/aggregate.json",
            "--stack-name",
            "sensors",
        ],
    );
    assert_eq!(status, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(
            |e| e["name"] == "scope prod 111111111111/eu-west-1,ap-south-1"
                && e["message"].as_str().unwrap_or("").contains("ap-south-1")
        ),
        "{errors:#?}"
    );
    // No declaration is called missing: it may live where the inventory is blind.
    assert!(!rules(&report).contains(&"MG101".to_owned()), "{report:#}");

    // A recorder that leaves the session type out does not cover its region either.
    let (status, report, _) = drift(
        &fixture("drift-config"),
        &[
            "stacks/dev",
            "--no-config",
            "--live-file",
            "config/aggregate.json",
            "--account-id",
            "222222222222",
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(status, 2);
    let message = report["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("not AWS::EC2::TrafficMirrorSession"),
        "{message}"
    );
}

#[test]
fn an_inventory_without_a_scope_is_a_usage_error() {
    let out = run_in(
        &fixture("drift-config"),
        &[
            "drift",
            "stacks/prod",
            "--no-config",
            "--live-file",
            "config/aggregate.json",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--account-id and --region"),
        "{}",
        stderr(&out)
    );
}

fn rfc3339(secs: u64) -> String {
    // Civil from days (Howard Hinnant), enough for a test's timestamps.
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn items_older_than_max_age_become_skipped_checks() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("stacks")).expect("mkdir");
    std::fs::copy(
        fixture("drift-config").join("stacks/prod/sensors.yaml"),
        dir.path().join("stacks/sensors.yaml"),
    )
    .expect("copy");
    let row = |id: &str, eni: &str, n: i64, vni: i64, at: &str| {
        serde_json::to_string(&serde_json::json!({
            "accountId": "111111111111", "awsRegion": "eu-west-1", "resourceId": id,
            "resourceType": "AWS::EC2::TrafficMirrorSession",
            "configuration": {"Id": id, "NetworkInterfaceId": eni, "SessionNumber": n,
                "TrafficMirrorTargetId": "tmt-0prod000000000000",
                "TrafficMirrorFilterId": "tmf-0prod000000000000", "VirtualNetworkId": vni},
            "tags": [], "configurationItemCaptureTime": at,
        }))
        .expect("row")
    };
    let fresh = rfc3339(now - 3600);
    let stale = rfc3339(now - 3 * 86_400);
    let results = serde_json::json!({"Results": [
        row("tms-0web0000000000000", "eni-0web0000000000000", 1, 5, &fresh),
        row("tms-0db00000000000000", "eni-0db00000000000000", 2, 200, &stale),
        row("tms-0old000000000000", "eni-0old0000000000000", 1, 5, &stale),
    ]});
    std::fs::write(dir.path().join("config.json"), results.to_string()).expect("write");
    let args = |max_age: &'static str| {
        let mut a = vec![
            "stacks",
            "--no-config",
            "--live-file",
            "config.json",
            "--account-id",
            "111111111111",
            "--region",
            "eu-west-1",
        ];
        if !max_age.is_empty() {
            a.extend(["--max-age", max_age]);
        }
        a
    };
    // Without a limit, the stale items are compared like any other.
    let (status, report, _) = drift(dir.path(), &args(""));
    assert_eq!(status, 1);
    assert_eq!(rules(&report), ["MG102", "MG103"], "{report:#}");
    // With --max-age 1d: the db session's drift and the unmanaged old session are skipped
    // checks naming the capture time; the fresh web session is still compared (clean).
    let (status, report, _) = drift(dir.path(), &args("1d"));
    assert_eq!(status, 0, "{report:#}");
    assert!(rules(&report).is_empty(), "{report:#}");
    let skipped = report["skipped"].as_array().expect("skipped");
    let reasons: Vec<&str> = skipped
        .iter()
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:#?}");
    for r in &reasons {
        assert!(r.contains(&stale) && r.contains("--max-age 1d"), "{r}");
    }
    // A duration that is not one is a usage error.
    let mut bad = args("");
    bad.extend(["--max-age", "soon"]);
    let out = run_in(dir.path(), &[&["drift"][..], &bad].concat());
    assert_eq!(code(&out), 2);
}

#[test]
fn the_reader_reads_every_session_field_of_the_config_resource_schema() {
    // A row with every `configuration.*` property of AWS Config's resource schema for the
    // session type, each set apart from the declaration: every compared one must drift.
    let schema: serde_json::Map<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(
            fixture("drift-config").join("schema/TrafficMirrorSession.properties.json"),
        )
        .expect("schema"),
    )
    .expect("schema JSON");
    let mut configuration = serde_json::Map::new();
    for (name, kind) in &schema {
        let Some(field) = name.strip_prefix("configuration.") else {
            continue;
        };
        let value = match (field, kind.as_str()) {
            ("Id", _) => Value::from("tms-0schema00000000000"),
            ("NetworkInterfaceId", _) => Value::from("eni-0schema0000000000"),
            ("SessionNumber", _) => Value::from(1),
            (_, Some("integer")) => Value::from(4242),
            (f, _) => Value::from(format!("live-{f}")),
        };
        configuration.insert(field.to_owned(), value);
    }
    assert_eq!(
        configuration.len(),
        8,
        "the schema's session fields changed"
    );
    let row = serde_json::json!({
        "accountId": "111111111111", "awsRegion": "eu-west-1",
        "resourceId": "tms-0schema00000000000",
        "resourceType": "AWS::EC2::TrafficMirrorSession",
        "configuration": configuration,
        "tags": [{"tag": "Name=x", "key": "Name", "value": "x"}],
        "configurationItemCaptureTime": "2026-11-30T08:15:00.000Z",
        "configurationItemStatus": "OK",
    });
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.json"),
        serde_json::json!({"Results": [row.to_string()]}).to_string(),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("s.yaml"),
        "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0schema0000000000\n      SessionNumber: 1\n      TrafficMirrorTargetId: tmt-0declared00000000\n      TrafficMirrorFilterId: tmf-0declared00000000\n      PacketLength: 100\n      VirtualNetworkId: 7\n      Description: declared\n",
    )
    .expect("write");
    let (status, report, _) = drift(
        dir.path(),
        &[
            "s.yaml",
            "--no-config",
            "--live-file",
            "config.json",
            "--account-id",
            "111111111111",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(status, 1, "{report:#}");
    let properties: std::collections::BTreeSet<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "MG103")
        .filter_map(|f| f["property"].as_str().map(str::to_owned))
        .collect();
    for field in [
        "TrafficMirrorTargetId",
        "TrafficMirrorFilterId",
        "PacketLength",
        "VirtualNetworkId",
        "Description",
    ] {
        assert!(
            properties
                .iter()
                .any(|p| p.eq_ignore_ascii_case(field)
                    || p.replace('_', "").eq_ignore_ascii_case(field)),
            "{field} not compared: {properties:?}"
        );
    }
}
