//! The command line: exit codes, flags, error handling and determinism.

use super::common::{code, fixture, keep_sarif, run_in, sarif_of, stderr, stdout};

#[test]
fn clean_files_exit_0() {
    let out = run_in(&fixture("clean"), &["check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("0 errors, 0 warnings"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn findings_exit_1() {
    let out = run_in(&fixture("cfn"), &["check", "--color", "never"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("sessions.yaml:27:35: WebSession: session number 40000 is outside 1..32766 (only when IsProd)"));
}

#[test]
fn a_broken_file_exits_2_and_the_other_files_are_still_reported() {
    let out = run_in(&fixture("broken"), &["check", "--color", "never"]);
    assert_eq!(code(&out), 2);
    let text = stdout(&out);
    assert!(text.contains("bad.yaml:6:50: invalid YAML"), "{text}");
    assert!(text.contains("bad.tf:2:"), "{text}");
    assert!(
        text.contains("good.yaml:8:22: Session: session number 0 is outside 1..32766"),
        "{text}"
    );

    let (status, sarif, _) = sarif_of(&fixture("broken"), "cli-broken", &[]);
    assert_eq!(status, 2);
    let run = &sarif["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(notes.iter().any(|n| n["level"] == "error"
        && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.yaml"
        && n["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
        && n["locations"][0]["physicalLocation"]["region"]["startColumn"] == 50));
    assert_eq!(run["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(run["results"][0]["ruleId"], "MG001");
}

#[test]
fn fail_on_sets_the_threshold() {
    // Only warnings in this folder: MG010 on a malformed id.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("t.yaml"),
        "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-EXAMPLE\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 1\n",
    )
    .expect("write");
    assert_eq!(code(&run_in(dir.path(), &["check"])), 0);
    assert_eq!(
        code(&run_in(dir.path(), &["check", "--fail-on", "warning"])),
        1
    );
    assert_eq!(
        code(&run_in(dir.path(), &["check", "--fail-on", "note"])),
        1
    );
    assert_eq!(
        code(&run_in(&fixture("cfn"), &["check", "--fail-on", "never"])),
        0
    );
    // `never` does not hide errors about files.
    assert_eq!(
        code(&run_in(
            &fixture("broken"),
            &["check", "--fail-on", "never"]
        )),
        2
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = run_in(&fixture("cfn"), &["check", "--parameters", "NoEquals"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("KEY=VALUE"), "{}", stderr(&out));
    let out = run_in(&fixture("cfn"), &["check", "--format", "xml"]);
    assert_eq!(code(&out), 2);
    let out = run_in(&fixture("cfn"), &["check", "does-not-exist"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("does-not-exist"), "{}", stdout(&out));
}

#[test]
fn parameters_override_defaults() {
    let base = stdout(&run_in(&fixture("cfn"), &["check", "--format", "json"]));
    assert!(base.contains("packet length 9001"));
    let out = run_in(
        &fixture("cfn"),
        &[
            "check",
            "--format",
            "json",
            "--parameters",
            "PacketBytes=100",
            "--parameters",
            "SourceEni=eni-0123456789abcdef0",
        ],
    );
    let text = stdout(&out);
    assert!(!text.contains("packet length"), "{text}");
    // Values given on the command line may be secrets: never shown.
    assert!(
        text.contains("source network interface (sensitive)"),
        "{text}"
    );
    assert!(!text.contains("eni-0123456789abcdef0"), "{text}");
}

#[test]
fn parameter_files_in_both_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.json");
    std::fs::write(
        &list,
        r#"[{"ParameterKey": "PacketBytes", "ParameterValue": "0"}]"#,
    )
    .expect("write");
    let obj = dir.path().join("obj.json");
    std::fs::write(&obj, r#"{"PacketBytes": 8500}"#).expect("write");
    let with_list = stdout(&run_in(
        &fixture("cfn"),
        &[
            "check",
            "--format",
            "json",
            "--parameter-file",
            list.to_str().expect("utf8"),
        ],
    ));
    assert!(
        with_list.contains("packet length (sensitive) is outside"),
        "{with_list}"
    );
    let with_obj = stdout(&run_in(
        &fixture("cfn"),
        &[
            "check",
            "--format",
            "json",
            "--parameter-file",
            obj.to_str().expect("utf8"),
        ],
    ));
    assert!(!with_obj.contains("packet length"), "{with_obj}");
    // The flag wins over the file.
    let both = stdout(&run_in(
        &fixture("cfn"),
        &[
            "check",
            "--format",
            "json",
            "--parameter-file",
            obj.to_str().expect("utf8"),
            "--parameters",
            "PacketBytes=9999",
        ],
    ));
    assert!(
        both.contains("packet length (sensitive) is outside"),
        "{both}"
    );
    assert!(!both.contains("9999"), "{both}");
}

#[test]
fn var_files_override_tfvars_and_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vars = dir.path().join("prod.tfvars");
    std::fs::write(&vars, "session_count = 1\nunset_number = 0\n").expect("write");
    let text = stdout(&run_in(
        &fixture("terraform"),
        &[
            "check",
            "--format",
            "json",
            "--var-file",
            vars.to_str().expect("utf8"),
        ],
    ));
    // With one web session the quota is not exceeded, and the unset number is now known.
    assert!(!text.contains("\"MG006\""), "{text}");
    assert!(
        text.contains("session number 0 is outside 1..32766"),
        "{text}"
    );
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.sarif");
    let out = run_in(
        &fixture("cfn"),
        &[
            "check",
            "--format",
            "sarif",
            "--output",
            path.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code(&out), 1);
    // The terminal shows the --format report too, and the summary goes to stderr.
    assert!(stdout(&out).contains("\"ruleId\""));
    assert!(
        stderr(&out).contains("6 errors, 2 warnings"),
        "{}",
        stderr(&out)
    );
    let quiet = run_in(
        &fixture("cfn"),
        &["check", "--output", path.to_str().expect("utf8"), "--quiet"],
    );
    assert_eq!(code(&quiet), 1);
    assert!(stdout(&quiet).is_empty() && stderr(&quiet).is_empty());
    let text = std::fs::read_to_string(&path).expect("report written");
    keep_sarif("cli-output-file", &text);
    assert!(text.contains("\"ruleId\": \"MG002\""));
}

#[test]
fn same_input_same_bytes() {
    for format in ["human", "json", "sarif"] {
        let a = stdout(&run_in(
            &fixture("terraform"),
            &["check", "--format", format, "--color", "never"],
        ));
        let b = stdout(&run_in(
            &fixture("terraform"),
            &["check", "--format", format, "--color", "never"],
        ));
        assert_eq!(a, b, "{format} output differs between runs");
    }
}

#[test]
fn gitignored_files_are_not_checked_but_named_files_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 0\n";
    std::fs::create_dir(dir.path().join("build")).expect("mkdir");
    std::fs::write(dir.path().join("build/t.yaml"), bad).expect("write");
    std::fs::write(dir.path().join(".gitignore"), "build/\n").expect("write");
    assert_eq!(code(&run_in(dir.path(), &["check"])), 0);
    assert_eq!(code(&run_in(dir.path(), &["check", "build/t.yaml"])), 1);
}

#[test]
fn rules_list_explain_and_test() {
    let out = run_in(&fixture("clean"), &["rules", "list"]);
    assert_eq!(code(&out), 0);
    for id in [
        "MG001", "MG002", "MG003", "MG004", "MG005", "MG006", "MG007", "MG008", "MG009", "MG010",
        "MG011",
    ] {
        assert!(stdout(&out).contains(id), "{id} missing from rules list");
    }
    let out = run_in(&fixture("clean"), &["rules", "explain", "mg006"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("traffic-mirroring-quotas"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        code(&run_in(&fixture("clean"), &["rules", "explain", "MG999"])),
        2
    );
    let out = run_in(&fixture("clean"), &["rules", "test"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with(" passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
}

const USER_RULE: &str = r#"# METADATA
# title: Session without description
# description: Every session should say what it mirrors.
# custom:
#   id: ACME001
#   name: session-without-description
#   severity: warning
#   help: Add a Description.
#   inputs: [description]
package mirrorguard.rules.acme001

deny contains v if {
	some i, s in input.sessions
	count(s.description) == 0
	v := {"msg": "session has no description", "path": ["sessions", i]}
}
"#;

#[test]
fn user_rules_run_beside_the_built_in_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("acme001_session_without_description.rego"),
        USER_RULE,
    )
    .expect("write");
    let rules = dir.path().to_str().expect("utf8");
    let (status, sarif, _) = sarif_of(
        &fixture("clean"),
        "cli-user-rule",
        &["--rules", rules, "--fail-on", "warning"],
    );
    assert_eq!(status, 1);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "ACME001"));
    let ids: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"ACME001") && ids.contains(&"MG001"));
    // `rules test DIR` reports the missing test and example files of the user rule.
    let out = run_in(&fixture("clean"), &["rules", "test", rules]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("no _test.rego file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_broken_user_rule_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("x.rego"),
        USER_RULE.replace("count(s.description) == 0", "count(s.description) = = 0"),
    )
    .expect("write");
    let out = run_in(
        &fixture("clean"),
        &["check", "--rules", dir.path().to_str().expect("utf8")],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("x.rego"), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("x.rego"),
        USER_RULE.replace("id: ACME001", "id: ACME002"),
    )
    .expect("write");
    let out = run_in(
        &fixture("clean"),
        &["check", "--rules", dir.path().to_str().expect("utf8")],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("mirrorguard.rules.acme002"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_mixed_folder_gives_one_sarif_run_with_every_format() {
    let (status, sarif, text) = sarif_of(&fixture("mixed"), "cli-mixed", &[]);
    assert_eq!(status, 1);
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let mut files: Vec<&str> = runs[0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    files.dedup();
    assert_eq!(
        files,
        [
            "alicloud/main.tf",
            "cfn/template.yaml",
            "cli/create-session.json",
            "plan.json",
            "stackql/stackql_manifest.yml",
            "tf/main.tf",
            "tfjson/main.tf.json"
        ]
    );
    let (_, _, again) = sarif_of(&fixture("mixed"), "cli-mixed-again", &[]);
    assert_eq!(text, again, "same input, same bytes");
}

#[test]
fn stack_env_and_vars_pick_the_stackql_environment() {
    let all = stdout(&run_in(
        &fixture("mixed"),
        &["check", "stackql", "--format", "json"],
    ));
    assert!(
        all.contains("session number 0 is outside 1..32766 (only when stack_env = dev)"),
        "{all}"
    );
    let prd = run_in(
        &fixture("mixed"),
        &[
            "check",
            "stackql",
            "--stack-env",
            "prd",
            "--var",
            "web_eni_id=eni-xyz",
        ],
    );
    assert_eq!(code(&prd), 0, "{}", stdout(&prd));
    let dev = stdout(&run_in(
        &fixture("mixed"),
        &["check", "stackql", "--format", "json", "--stack-env", "dev"],
    ));
    assert!(
        dev.contains("session number 0 is outside 1..32766\""),
        "{dev}"
    );
    assert_eq!(
        code(&run_in(
            &fixture("mixed"),
            &["check", "stackql", "--var", "novalue"]
        )),
        2
    );
}

#[test]
fn a_plan_with_its_configuration_points_at_both() {
    let (status, sarif, _) = sarif_of(
        &fixture("tfplan"),
        "cli-plan",
        &["--plan", "plan.json", "config"],
    );
    assert_eq!(status, 1);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{results:?}");
    let mg002 = results
        .iter()
        .find(|r| r["ruleId"] == "MG002")
        .expect("MG002");
    assert_eq!(
        mg002["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "plan.json"
    );
    let related = &mg002["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "config/main.tf");
    assert_eq!(related["region"]["startLine"], 16);
    // The .tf files are the plan's configuration here, not checked on their own.
    assert!(
        results.iter().all(
            |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plan.json"
        )
    );
}

#[test]
fn region_scopes_alicloud_priorities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let session = |name: &str, provider: &str| {
        format!(
            "resource \"alicloud_vpc_traffic_mirror_session\" \"{name}\" {{\n  {provider}priority = 1\n  traffic_mirror_source_ids = [\"eni-{name}\"]\n  traffic_mirror_target_id = \"eni-t\"\n  traffic_mirror_target_type = \"NetworkInterface\"\n  traffic_mirror_filter_id = \"tmf-1\"\n}}\n"
        )
    };
    let text = format!(
        "provider \"alicloud\" {{\n  alias = \"bj\"\n  region = \"cn-beijing\"\n}}\n{}{}{}",
        session("a", ""),
        session("b", "provider = alicloud.bj\n  "),
        session("c", "")
    );
    std::fs::write(dir.path().join("main.tf"), text).expect("write");
    let out = stdout(&run_in(
        dir.path(),
        &["check", "--format", "json", "--region", "cn-hangzhou"],
    ));
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{out}");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("in the same region cn-hangzhou")
    );
}
