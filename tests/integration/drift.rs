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

#[test]
fn filter_rules_are_compared_by_direction_and_number() {
    let dir = fixture("drift-filters");
    let out = run_in(
        &dir,
        &[
            "drift",
            "template.yaml",
            "--live-file",
            "live.json",
            "--no-config",
            "--account-id",
            "111122223333",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(code(&out), 1);
    keep_sarif("drift-filter-rules", &stdout(&out));
    let out = run_in(
        &dir,
        &[
            "drift",
            "template.yaml",
            "--live-file",
            "live.json",
            "--no-config",
            "--account-id",
            "111122223333",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["message"].as_str().unwrap_or("").to_owned(),
                f["location"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // An unmanaged live rule points at its place in the saved output; the changed CIDR at the
    // declared value; the missing egress rule at its rule number.
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].0, "MG102");
    assert!(
        found[0]
            .1
            .starts_with("live reject ingress rule 200 (tmfr-0b1b2c3d4e5f60718")
    );
    assert_eq!(found[0].2, 29);
    assert_eq!(
        found[1],
        (
            "MG103".to_owned(),
            "filter rule HttpsIn: source_cidr_block is 0.0.0.0/0 here but 10.0.0.0/8 live (rule tmfr-0a1b2c3d4e5f60718 of tmf-0a1b2c3d4e5f60718)".to_owned(),
            16
        )
    );
    assert_eq!(found[2].0, "MG101");
    assert_eq!(found[2].2, 23);
    // Declaring what is live (the 10.0.0.0/8 source, the reject rule, no egress rule) is
    // clean: no drift on rules or network services.
    let fixed = std::fs::read_to_string(dir.join("template.yaml"))
        .expect("template")
        .replace(
            "      SourceCidrBlock: 0.0.0.0/0\n      DestinationCidrBlock: 0.0.0.0/0\n  AllOut",
            "      SourceCidrBlock: 10.0.0.0/8\n      DestinationCidrBlock: 0.0.0.0/0\n  Reject200:\n    Type: AWS::EC2::TrafficMirrorFilterRule\n    Properties: {TrafficMirrorFilterId: !Ref Filter, TrafficDirection: ingress, RuleNumber: 200, RuleAction: reject, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}\n  AllOut",
        );
    let tmp = tempfile::tempdir().expect("tempdir");
    let without_egress: String = fixed
        .split("  AllOut:")
        .next()
        .map(str::to_owned)
        .unwrap_or_default()
        + &fixed[fixed.find("  Web:").unwrap_or(0)..];
    std::fs::write(tmp.path().join("template.yaml"), without_egress).expect("write");
    std::fs::copy(dir.join("live.json"), tmp.path().join("live.json")).expect("copy");
    let out = run_in(
        tmp.path(),
        &[
            "drift",
            "template.yaml",
            "--live-file",
            "live.json",
            "--no-config",
            "--account-id",
            "111122223333",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(code(&out), 0, "{report}");
}

fn remediation(kind: &str) -> (i32, String, String) {
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
            "--account-id",
            "111111111111",
            "--region",
            "eu-west-1",
            "--no-config",
            "--remediation",
            kind,
        ],
    );
    (
        code(&out),
        stdout(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn terraform_remediation_imports_unmanaged_sessions_and_parses() {
    let (status, text, stderr) = remediation("terraform");
    assert_eq!(status, 1);
    assert!(
        stderr.contains("5 errors"),
        "the summary goes to stderr: {stderr}"
    );
    let body = hcl_edit::parser::parse_body(&text).expect("valid HCL");
    let import = body.get_blocks("import").next().expect("an import block");
    let to = import
        .body
        .get_attribute("to")
        .expect("to")
        .value
        .to_string();
    assert_eq!(
        to.trim(),
        "aws_ec2_traffic_mirror_session.tms_0hand000000000000"
    );
    let resource = body
        .get_blocks("resource")
        .next()
        .expect("a resource block");
    let attr = |k: &str| {
        resource
            .body
            .get_attribute(k)
            .map(|a| a.value.to_string().trim().to_owned())
    };
    assert_eq!(attr("session_number").as_deref(), Some("9"));
    assert_eq!(
        attr("network_interface_id").as_deref(),
        Some("\"eni-0hand0000000000000\"")
    );
    // The VNI AWS may have chosen is left out (the next plan stays empty).
    assert_eq!(attr("virtual_network_id"), None);
    // A drifted CloudFormation session is put back by updating its stack, not Terraform.
    assert!(text.contains("# WebSession is declared, but live session tms-0web0000000000000 differs (session_number): update the stack"), "{text}");
}

#[test]
fn cloudformation_remediation_is_the_import_change_set_input() {
    let (_, text, _) = remediation("cloudformation");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let import = &doc["ResourcesToImport"];
    // Exactly what create-change-set --resources-to-import takes, and it round-trips.
    let again: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(import).expect("serializes")).expect("parses");
    assert_eq!(&again, import);
    let item = &import[0];
    let keys: Vec<&String> = item.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["ResourceType", "LogicalResourceId", "ResourceIdentifier"]
    );
    assert_eq!(item["ResourceIdentifier"]["Id"], "tms-0hand000000000000");
    let logical = item["LogicalResourceId"].as_str().expect("id");
    let resource = &doc["Resources"][logical];
    assert_eq!(resource["DeletionPolicy"], "Retain");
    assert_eq!(resource["Properties"]["SessionNumber"], 9);
}

#[test]
fn aws_cli_remediation_modifies_and_never_deletes_uncommented() {
    let (_, text, _) = remediation("aws-cli");
    assert!(text.starts_with("#!/usr/bin/env bash\n"));
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("aws ")).collect();
    assert_eq!(
        commands,
        [
            "aws ec2 modify-traffic-mirror-session --traffic-mirror-session-id 'tms-0web0000000000000' --region 'eu-west-1' --session-number '1'",
            "aws ec2 modify-traffic-mirror-session --traffic-mirror-session-id 'tms-0app0000000000000' --region 'eu-west-1' --traffic-mirror-target-id 'tmt-0bbbbbbbbbbbbbbb0'",
            "aws ec2 create-tags --resources 'tms-0app0000000000000' --region 'eu-west-1' --tags 'Key=Name,Value=app-mirror'",
        ]
    );
    assert!(text.contains("# aws ec2 delete-traffic-mirror-session --traffic-mirror-session-id 'tms-0hand000000000000'"));
    assert!(!text.lines().any(|l| l.starts_with("aws ec2 delete")));
    // bash accepts the script.
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("fix.sh");
    std::fs::write(&script, &text).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("bash runs");
    assert!(check.success());
    // mirrorguard reads the script it wrote: two partial sessions, the values it sets, no
    // finding and nothing it cannot read.
    let out = run_in(dir.path(), &["check", "--no-config", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(code(&out), 0, "{report:#}");
    assert_eq!(report["summary"]["sessions"], 2);
    assert!(report["findings"].as_array().is_some_and(Vec::is_empty));
    assert!(
        report["skipped"].as_array().is_some_and(Vec::is_empty),
        "{report:#}"
    );
    let input = run_in(dir.path(), &["rules", "input", "fix.sh"]);
    let input: serde_json::Value = serde_json::from_str(&stdout(&input)).expect("json");
    assert_eq!(input[0]["sessions"][0]["session_number"][0]["known"], 1);
    assert_eq!(input[0]["sessions"][0]["partial"], true);
}
