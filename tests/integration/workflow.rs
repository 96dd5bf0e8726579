//! Suppressions, configuration and baselines: how teams live with findings.

use super::common::{code, keep_sarif, run_in, stdout};

const SESSION_YAML: &str = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n";

fn json_of(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    (
        code(&out),
        serde_json::from_str(&stdout(&out)).expect("json report"),
    )
}

fn ids(report: &serde_json::Value, suppressed: bool) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["suppression"].is_null() != suppressed)
        .filter_map(|f| f["rule_id"].as_str().map(str::to_owned))
        .collect()
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

#[test]
fn inline_yaml_suppression_on_the_line_and_the_line_above() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "{SESSION_YAML}      SessionNumber: 0 # mirrorguard:ignore MG001 -- lab account, never deployed\n      # mirrorguard:ignore MG002 -- sensor reassembles jumbo frames\n      PacketLength: 9001\n"
        ),
    );
    let (status, report) = json_of(dir.path(), &[]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(ids(&report, true), ["MG001", "MG002"]);
    assert!(ids(&report, false).is_empty());
    assert_eq!(report["findings"][0]["suppression"]["kind"], "inSource");
    assert_eq!(
        report["findings"][0]["suppression"]["justification"],
        "lab account, never deployed"
    );
    let sarif = stdout(&run_in(dir.path(), &["check", "--format", "sarif"]));
    keep_sarif("workflow-suppressed", &sarif);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("json");
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "inSource"
    );
}

#[test]
fn hcl_suppression_comment_styles() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  network_interface_id     = \"eni-0123456789abcdef0\"\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  // mirrorguard:ignore MG001 -- replaced next sprint\n  session_number           = 0\n  packet_length            = 9001 # mirrorguard:ignore MG002 -- jumbo frames\n}\n",
    );
    let (status, report) = json_of(dir.path(), &[]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(ids(&report, true), ["MG001", "MG002"]);
}

#[test]
fn cloudformation_metadata_suppresses_in_json_templates() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.json",
        r#"{"Resources": {"S": {"Type": "AWS::EC2::TrafficMirrorSession",
  "Metadata": {"mirrorguard": {"ignore": [{"id": "MG002", "reason": "packet length set by the vendor appliance"}]}},
  "Properties": {"NetworkInterfaceId": "eni-0123456789abcdef0", "TrafficMirrorTargetId": "tmt-0123456789abcdef0",
    "TrafficMirrorFilterId": "tmf-0123456789abcdef0", "SessionNumber": 1, "PacketLength": 9001}}}}"#,
    );
    let (status, report) = json_of(dir.path(), &[]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(ids(&report, true), ["MG002"]);
}

#[test]
fn a_suppression_without_reason_and_a_stale_one_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "{SESSION_YAML}      SessionNumber: 0 # mirrorguard:ignore MG001\n      PacketLength: 100 # mirrorguard:ignore MG002 -- was 9001 once\n"
        ),
    );
    let (status, report) = json_of(dir.path(), &[]);
    assert_eq!(status, 1, "MG090 is an error");
    let mut open = ids(&report, false);
    open.sort();
    assert_eq!(open, ["MG090", "MG091"]);
    // The finding without a reason is still suppressed, and the stale one points at its comment.
    assert_eq!(ids(&report, true), ["MG001"]);
    let stale = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "MG091")
        .expect("MG091");
    assert_eq!(stale["location"]["start"]["line"], 9);
}

#[test]
fn config_file_settings_and_command_line_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "{SESSION_YAML}      SessionNumber: 1\n      VirtualNetworkId: !Ref Vni\nParameters:\n  Vni: {{Type: Number}}\n"
        ),
    );
    write(
        dir.path(),
        "legacy/old.yaml",
        &format!("{SESSION_YAML}      SessionNumber: 0\n"),
    );
    write(
        dir.path(),
        "vendor/t.yaml",
        &format!(
            "{SESSION_YAML}      SessionNumber: 1\n      Description: x\n      PacketLength: 9001\n"
        ),
    );
    write(dir.path(), "params.json", r#"{"Vni": "16777216"}"#);
    write(
        dir.path(),
        ".mirrorguard.toml",
        "fail_on = \"never\"\nexclude = [\"legacy/**\"]\n[severity]\nMG003 = \"warning\"\n[cloudformation]\nparameter_files = [\"params.json\"]\n[[ignore]]\nid = \"MG002\"\npath = \"vendor/**\"\nreason = \"vendor templates are checked upstream\"\n",
    );
    // From a sub folder the file is found upward; its settings apply.
    let (status, report) = json_of(dir.path(), &[]);
    assert_eq!(status, 0, "fail_on = never from the file: {report}");
    assert_eq!(
        ids(&report, false),
        ["MG003"],
        "legacy/ excluded, MG002 ignored in vendor/"
    );
    assert_eq!(
        report["findings"][0]["severity"], "warning",
        "severity override"
    );
    assert_eq!(ids(&report, true), ["MG002"]);
    assert_eq!(report["findings"][1]["suppression"]["kind"], "external");
    // The command line wins over the file.
    let (status, report) = json_of(
        dir.path(),
        &["--fail-on", "warning", "--parameters", "Vni=7"],
    );
    assert_eq!(status, 0, "{report}");
    assert!(ids(&report, false).is_empty());
    let (status, _) = json_of(dir.path(), &["--fail-on", "warning"]);
    assert_eq!(status, 1);
    // --no-config: defaults again (legacy/ checked, MG003 unknown Vni, MG002 open).
    let (status, report) = json_of(dir.path(), &["--no-config"]);
    assert_eq!(status, 1);
    let mut open = ids(&report, false);
    open.sort();
    assert_eq!(open, ["MG001", "MG002"]);
    // A typo in the file is a usage error naming the file.
    write(
        dir.path(),
        ".mirrorguard.toml",
        "fail_on = \"never\"\nexlude = []\n",
    );
    let out = run_in(dir.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains(".mirrorguard.toml"));
}

#[test]
fn baseline_round_trip_reports_only_new_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.yaml",
        &format!("{SESSION_YAML}      SessionNumber: 0\n"),
    );
    let baseline = dir.path().join("baseline.json");
    let b = baseline.to_str().expect("utf8");
    let (status, _) = json_of(dir.path(), &["--write-baseline", b]);
    assert_eq!(status, 1);
    // Lines move (a comment above), the finding is still known: nothing new.
    write(
        dir.path(),
        "t.yaml",
        &format!("# moved down\n{SESSION_YAML}      SessionNumber: 0\n"),
    );
    let (status, report) = json_of(dir.path(), &["--baseline", b]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["summary"]["baselined"], 1);
    // A new problem is reported, the old one still not.
    write(
        dir.path(),
        "t.yaml",
        &format!("{SESSION_YAML}      SessionNumber: 0\n      PacketLength: 9001\n"),
    );
    let (status, report) = json_of(dir.path(), &["--baseline", b]);
    assert_eq!(status, 1);
    assert_eq!(ids(&report, false), ["MG002"]);
    let human = stdout(&run_in(
        dir.path(),
        &["check", "--baseline", b, "--color", "never"],
    ));
    assert!(human.contains("1 in the baseline"), "{human}");
    // A broken baseline is a usage error.
    std::fs::write(&baseline, "{}").expect("write");
    assert_eq!(code(&run_in(dir.path(), &["check", "--baseline", b])), 2);
}
