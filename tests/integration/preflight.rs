//! Preflight from saved describe outputs (`check --live-file`): existing sessions, targets,
//! filters, interfaces and instances join the declarations; findings point at the declared
//! value with the live object as related location; a run without live facts is unchanged.

use super::common::{code, fixture, keep_sarif, run_in, stdout};

/// Every saved describe output of the preflight fixture (`live/<name>.json`).
pub(crate) const LIVE: [&str; 7] = [
    "sessions",
    "targets",
    "filters",
    "network-interfaces",
    "instances",
    "peering",
    "tgw",
];

/// `--live-file live/<name>.json` for each name.
pub(crate) fn live_file_args(live: &[&str]) -> Vec<String> {
    live.iter()
        .flat_map(|l| ["--live-file".to_owned(), format!("live/{l}.json")])
        .collect()
}

fn preflight(extra: &[&str], live: &[&str]) -> (i32, serde_json::Value) {
    let live_args = live_file_args(live);
    let mut args = vec!["check", "template.yaml", "--no-config", "--format", "json"];
    args.extend(live_args.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let out = run_in(&fixture("preflight"), &args);
    let report = serde_json::from_str(&stdout(&out)).expect("json");
    (code(&out), report)
}

/// (rule, resource, line, related files) of each finding.
fn found(report: &serde_json::Value) -> Vec<(String, String, u64, Vec<String>)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["resource"].as_str().unwrap_or("").to_owned(),
                f["location"]["start"]["line"].as_u64().unwrap_or(0),
                f["related"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .map(|x| x["location"]["file"].as_str().unwrap_or("").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn existing_objects_break_declarations_that_look_fine_alone() {
    let (status, report) = preflight(&["--stack-name", "ids"], &LIVE);
    assert_eq!(status, 1, "{report}");
    let f = found(&report);
    let summary: Vec<(&str, &str, u64)> = f
        .iter()
        .map(|(r, a, l, _)| (r.as_str(), a.as_str(), *l))
        .collect();
    assert_eq!(
        summary,
        [
            ("MG005", "Web", 9),
            ("MG006", "Batch", 13),
            ("MG014", "Reports", 20),
            ("MG023", "Reports", 22),
            ("MG022", "Far", 35),
            ("MG024", "Far", 35),
        ],
        "{report}"
    );
    // Related locations are the live objects, at their lines in the saved outputs.
    assert_eq!(f[0].3, ["live/sessions.json"]);
    assert_eq!(f[2].3, ["live/instances.json"]);
    assert_eq!(f[4].3, ["live/targets.json", "live/instances.json"]);
    let msg = report["findings"][0]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("tms-00000000000000001 (live)"),
        "the live session is named by its id: {msg}"
    );
    let out = run_in(
        &fixture("preflight"),
        &[
            "check",
            "template.yaml",
            "--no-config",
            "--format",
            "sarif",
            "--live-file",
            "live/sessions.json",
            "--live-file",
            "live/instances.json",
            "--live-file",
            "live/network-interfaces.json",
        ],
    );
    keep_sarif("preflight", &stdout(&out));
}

#[test]
fn a_live_session_that_is_the_declared_one_is_no_conflict() {
    // With --stack-name, the live session tagged with the stack and Own's logical id is Own.
    let (_, with) = preflight(&["--stack-name", "ids"], &["sessions"]);
    assert!(!found(&with).iter().any(|f| f.1 == "Own"), "{with}");
    // Without it, it is a foreign session with Own's number on the same interface.
    let (_, without) = preflight(&[], &["sessions"]);
    assert!(
        found(&without)
            .iter()
            .any(|f| f.0 == "MG005" && f.1 == "Own"),
        "{without}"
    );
}

#[test]
fn without_live_facts_the_run_is_unchanged() {
    let out = run_in(
        &fixture("preflight"),
        &["check", "template.yaml", "--no-config", "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(report["findings"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn missing_listings_leave_their_checks_unchecked_not_passed() {
    // No peering or transit gateway outputs: MG024 is a skipped check, not a pass.
    let (_, report) = preflight(&[], &["targets", "network-interfaces", "instances"]);
    assert!(!found(&report).iter().any(|f| f.0 == "MG024"), "{report}");
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s["rules"] == serde_json::json!(["MG024"])),
        "{report}"
    );
    // A paged listing says nothing about ids it did not return.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixture("preflight").join("template.yaml"),
        dir.path().join("template.yaml"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("filters.json"),
        r#"{"TrafficMirrorFilters": [], "NextToken": "more"}"#,
    )
    .expect("write");
    let out = run_in(
        dir.path(),
        &[
            "check",
            "template.yaml",
            "--no-config",
            "--format",
            "json",
            "--live-file",
            "filters.json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(!found(&report).iter().any(|f| f.0 == "MG023"), "{report}");
    assert!(
        report["skipped"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x["rules"] == serde_json::json!(["MG023"]))),
        "{report}"
    );
}

#[test]
fn an_unreadable_live_file_is_an_error_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixture("preflight").join("template.yaml"),
        dir.path().join("template.yaml"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("vpcs.json"), r#"{"Vpcs": []}"#).expect("write");
    std::fs::copy(
        fixture("preflight").join("live/sessions.json"),
        dir.path().join("sessions.json"),
    )
    .expect("copy");
    let out = run_in(
        dir.path(),
        &[
            "check",
            "template.yaml",
            "--no-config",
            "--format",
            "json",
            "--live-file",
            "vpcs.json",
            "--live-file",
            "sessions.json",
        ],
    );
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a saved AWS CLI output")),
        "{report}"
    );
    assert!(found(&report).iter().any(|f| f.0 == "MG005"), "{report}");
    // A missing file is a usage error before anything is checked.
    let out = run_in(
        dir.path(),
        &[
            "check",
            "template.yaml",
            "--no-config",
            "--live-file",
            "nope.json",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).is_empty());
}

#[test]
fn plan_values_known_after_refresh_are_checked_against_live_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_ec2_traffic_mirror_session.web", "mode": "managed",
            "type": "aws_ec2_traffic_mirror_session", "name": "web",
            "change": {"actions": ["create"], "after": {
                "network_interface_id": "eni-0000000000000000a",
                "traffic_mirror_target_id": "tmt-00000000000000001",
                "traffic_mirror_filter_id": "tmf-00000000000000001",
                "session_number": 1}, "after_unknown": {"id": true}}
        }]
    });
    std::fs::write(dir.path().join("plan.json"), plan.to_string()).expect("write");
    let live = fixture("preflight").join("live/sessions.json");
    let out = run_in(
        dir.path(),
        &[
            "check",
            "plan.json",
            "--no-config",
            "--format",
            "json",
            "--live-file",
            live.to_str().unwrap_or_default(),
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        found(&report).first().map(|f| f.0.as_str()),
        Some("MG005"),
        "{report}"
    );
}
