//! MG020: the deploying principal's permissions, from policy files.

use super::common::{code, fixture, run_in, sarif_of, stdout};

fn mg020(args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut all = vec!["check", "sessions.yaml", "--no-config", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(&fixture("iam"), &all);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "MG020")
        .cloned()
        .collect();
    (code(&out), found)
}

#[test]
fn a_complete_policy_allows_create_update_and_delete() {
    let (status, found) = mg020(&["--deploy-policy", "deployer-complete.json"]);
    assert_eq!(status, 0, "{found:?}");
    assert!(found.is_empty());
}

#[test]
fn the_guide_example_misses_the_session_resource_and_tag_on_create() {
    let (status, found) = mg020(&[
        "--deploy-policy",
        "deployer-guide-example.json",
        "--operations",
        "create",
    ]);
    assert_eq!(status, 1);
    assert_eq!(found.len(), 1);
    let msg = found[0]["message"].as_str().unwrap_or("");
    assert!(
        msg.starts_with("the deploying principal cannot create this session: missing"),
        "{msg}"
    );
    assert!(msg.contains("ec2:CreateTrafficMirrorSession on arn:aws:ec2:<region>:<account>:traffic-mirror-session/<id>"), "{msg}");
    assert!(msg.contains("ec2:CreateTags on"), "{msg}");
    assert!(
        !msg.contains("network-interface"),
        "the ENI is allowed: {msg}"
    );
    assert_eq!(
        found[0]["related"][0]["location"]["file"],
        "deployer-guide-example.json"
    );
    // SARIF names the missing actions too.
    let (_, sarif, _) = sarif_of(
        &fixture("iam"),
        "iam-guide-example",
        &[
            "sessions.yaml",
            "--no-config",
            "--deploy-policy",
            "deployer-guide-example.json",
        ],
    );
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "MG020")
        .expect("MG020 in SARIF");
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("ec2:CreateTags")
    );
}

#[test]
fn an_explicit_deny_wins_and_is_named_with_its_statement() {
    let (status, found) = mg020(&[
        "--deploy-policy",
        "deployer-complete.json",
        "--deploy-policy",
        "deny-tags.json",
    ]);
    assert_eq!(status, 1);
    let messages: Vec<&str> = found.iter().filter_map(|f| f["message"].as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("cannot create")
            && m.contains("denied by statement NoTagsOutsideRunInstances of deny-tags.json")),
        "{messages:?}"
    );
    let related = &found[0]["related"][0];
    assert_eq!(related["location"]["file"], "deny-tags.json");
    assert_eq!(related["location"]["start"]["line"], 4);
}

#[test]
fn operations_select_what_is_checked_and_boundaries_must_allow_too() {
    let (status, found) = mg020(&[
        "--deploy-policy",
        "deployer-guide-example.json",
        "--operations",
        "delete",
    ]);
    assert_eq!(status, 1);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("cannot delete this session: missing ec2:DeleteTrafficMirrorSession")
    );
    // The complete policy inside a boundary that only allows reads: nothing but reads pass.
    let dir = tempfile::tempdir().expect("tempdir");
    let boundary = dir.path().join("boundary.json");
    std::fs::write(
        &boundary,
        r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}"#,
    )
    .expect("write");
    let (status, found) = mg020(&[
        "--deploy-policy",
        "deployer-complete.json",
        "--boundary",
        boundary.to_str().expect("utf8"),
    ]);
    assert_eq!(status, 1);
    assert_eq!(
        found.len(),
        3,
        "create, update and delete all blocked by the boundary"
    );
}

#[test]
fn a_broken_policy_file_is_an_error_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"Statement\": [{\"Effect\": \"Permit\", \"Action\": \"*\", \"Resource\": \"*\"}]}",
    )
    .expect("write");
    let out = run_in(
        &fixture("iam"),
        &[
            "check",
            "sessions.yaml",
            "--no-config",
            "--deploy-policy",
            bad.to_str().expect("utf8"),
            "--color",
            "never",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("Effect must be Allow or Deny"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_example_preflight_policy_allows_every_call_of_check_live_and_nothing_else() {
    use mirrorguard::checks::iam::policy::{Decision, RequestedArn, decide, from_json};
    use mirrorguard::checks::preflight::PREFLIGHT_ACTIONS;
    let path = super::common::root().join("examples/iam/preflight-readonly.json");
    let text = std::fs::read_to_string(&path).expect("the example policy");
    let policy = from_json("preflight-readonly.json", &text).expect("a valid policy");
    let any = RequestedArn {
        region: Some("eu-west-1".into()),
        account: Some("111111111111".into()),
        resource_type: "*".into(),
        id: None,
    };
    for action in PREFLIGHT_ACTIONS {
        assert_eq!(
            decide(
                std::slice::from_ref(&policy),
                action,
                &any,
                &Default::default()
            ),
            Decision::Allowed,
            "{action}"
        );
    }
    // Read only: nothing that creates, changes or deletes.
    for action in [
        "ec2:CreateTrafficMirrorSession",
        "ec2:ModifyTrafficMirrorSession",
        "ec2:DeleteTrafficMirrorSession",
        "ec2:CreateTags",
    ] {
        assert_eq!(
            decide(
                std::slice::from_ref(&policy),
                action,
                &any,
                &Default::default()
            ),
            Decision::ImplicitDeny,
            "{action}"
        );
    }
}

#[test]
fn the_example_config_policy_allows_the_inventory_queries_and_nothing_else() {
    use mirrorguard::checks::drift::inventory::CONFIG_ACTIONS;
    use mirrorguard::checks::iam::policy::{Decision, RequestedArn, decide, from_json};
    let path = super::common::root().join("examples/iam/drift-config-readonly.json");
    let text = std::fs::read_to_string(&path).expect("the example policy");
    let policy = from_json("drift-config-readonly.json", &text).expect("a valid policy");
    let any = RequestedArn {
        region: Some("eu-west-1".into()),
        account: Some("999999999999".into()),
        resource_type: "*".into(),
        id: None,
    };
    let decision = |action: &str| {
        decide(
            std::slice::from_ref(&policy),
            action,
            &any,
            &Default::default(),
        )
    };
    for action in CONFIG_ACTIONS {
        assert_eq!(decision(action), Decision::Allowed, "{action}");
    }
    for action in [
        "config:PutConfigurationAggregator",
        "config:DeleteConfigurationAggregator",
        "ec2:ModifyTrafficMirrorSession",
        "ec2:DescribeTrafficMirrorSessions",
    ] {
        assert_eq!(decision(action), Decision::ImplicitDeny, "{action}");
    }
}
