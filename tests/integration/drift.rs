//! `mirrorguard drift` against saved describe outputs (no AWS needed).

use super::common::{code, fixture, keep_sarif, run_in, stdout};

fn drift_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["drift", "--format", "json", "--no-config"];
    all.extend_from_slice(args);
    let out = run_in(&fixture("drift"), &all);
    (
        code(&out),
        serde_json::from_str(&stdout(&out)).expect("json"),
    )
}

fn summary(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["resource"].as_str().unwrap_or("").to_owned(),
                f["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn missing_unmanaged_and_changed_sessions_are_reported() {
    let (status, report) = drift_json(&[
        "cfn",
        "tf",
        "--live-file",
        "live.json",
        "--stack-name",
        "ids",
        "--account-id",
        "111111111111",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(status, 1);
    let mut found = summary(&report);
    let rules: Vec<&str> = found.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(
        rules,
        ["MG103", "MG101", "MG102", "MG103", "MG103"],
        "{found:#?}"
    );
    // Unmanaged: the hand-made session of the audited account, not the other account's,
    // at its place in the saved output (GitHub refuses results without one).
    let unmanaged = found.remove(2);
    assert!(unmanaged.1.starts_with(
        "tms-0hand000000000000 (eni-0hand0000000000000, account 111111111111, eu-west-1)"
    ));
    let at = &report["findings"][2]["location"];
    assert_eq!(at["file"], "live.json");
    let text = std::fs::read_to_string(fixture("drift").join("live.json")).expect("live");
    let line = text
        .lines()
        .position(|l| l.contains("tms-0hand"))
        .expect("in the file");
    assert_eq!(
        at["start"]["line"], line,
        "the line of the session's opening brace"
    );
    // Matched by stack tags, different session number, at the declared value.
    assert_eq!(
        found[0].2,
        "session_number is 1 here but 3 on live session tms-0web0000000000000"
    );
    assert_eq!(report["findings"][0]["location"]["start"]["line"], 12);
    // Matched by source ENI + number: live-only values (packet length 8500, random VNI,
    // empty description) are not drift.
    assert!(!found.iter().any(|(_, r, _)| r == "DbSession"));
    assert_eq!(found[1].1, "GoneSession");
    // Matched through terraform.tfstate beside the module.
    assert!(found[2].2.contains(
        "traffic_mirror_target_id is tmt-0bbbbbbbbbbbbbbb0 here but tmt-0ccccccccccccccc0"
    ));
    assert_eq!(
        found[3].2,
        "tag Name is app-mirror here but app on live session tms-0app0000000000000"
    );
}

#[test]
fn without_a_matching_key_a_declaration_is_skipped_not_reported_missing() {
    // Without --stack-name the CloudFormation session behind !Ref WebEni cannot be matched.
    let (_, report) = drift_json(&[
        "cfn",
        "--live-file",
        "live.json",
        "--account-id",
        "111111111111",
    ]);
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["resource"], "WebSession");
    assert!(
        !summary(&report)
            .iter()
            .any(|(r, res, _)| r == "MG101" && res == "WebSession")
    );
}

#[test]
fn no_drift_exits_0_and_sarif_has_its_own_category() {
    let out = run_in(
        &fixture("drift"),
        &[
            "drift",
            "clean",
            "--live-file",
            "clean/live.json",
            "--no-config",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    keep_sarif("drift-clean", &text);
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "mirrorguard-drift/"
    );
    let out = run_in(
        &fixture("drift"),
        &[
            "drift",
            "cfn",
            "tf",
            "--live-file",
            "live.json",
            "--stack-name",
            "ids",
            "--no-config",
            "--format",
            "sarif",
        ],
    );
    keep_sarif("drift-findings", &stdout(&out));
}

#[test]
fn an_unreadable_live_file_is_an_error_and_the_rest_is_still_compared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"Reservations\": []}").expect("write");
    let (status, report) = drift_json(&[
        "clean",
        "--live-file",
        "clean/live.json",
        "--live-file",
        bad.to_str().expect("utf8"),
    ]);
    assert_eq!(status, 2);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no TrafficMirrorSessions")
    );
    assert_eq!(report["summary"]["sessions"], 1);
}

#[cfg(not(feature = "aws"))]
#[test]
fn without_the_aws_feature_live_reads_are_refused_clearly() {
    let (status, report) = drift_json(&["clean"]);
    assert_eq!(status, 2);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("--live-file")
    );
}
