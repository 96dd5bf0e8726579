//! Real repositories: Terraform modules followed through their calls, CloudFormation
//! conditions decided by the values given, inputs without values never assumed different.

use serde_json::Value;

use super::common::{code, fixture, keep_sarif, run_in, stdout};

/// Runs `check` on a fixture folder in JSON and SARIF; returns the JSON report and the
/// SARIF log (kept for schema validation).
fn check(dir: &str, extra: &[&str]) -> (i32, Value, Value) {
    let path = fixture(dir);
    let mut args = vec!["check", "--no-config", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(&path, &args);
    let json: Value = serde_json::from_str(&stdout(&out)).expect("json report");
    let mut args = vec!["check", "--no-config", "--format", "sarif"];
    args.extend_from_slice(extra);
    let sarif_out = run_in(&path, &args);
    let text = stdout(&sarif_out);
    keep_sarif(&format!("issue11-{}", dir.replace('/', "-")), &text);
    let sarif: Value = serde_json::from_str(&text).expect("sarif");
    assert_eq!(
        code(&sarif_out),
        code(&out),
        "same exit status in both formats"
    );
    (code(&out), json, sarif)
}

fn findings<'a>(r: &'a Value, id: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == id)
        .collect()
}

fn at(f: &Value) -> (String, u64) {
    (
        f["location"]["file"].as_str().unwrap_or("").to_owned(),
        f["location"]["start"]["line"].as_u64().unwrap_or(0),
    )
}

#[test]
fn two_local_modules_fed_the_same_interfaces_collide_when_both_are_enabled() {
    let (status, r, sarif) = check("modules/two-sensors", &[]);
    assert_eq!(status, 1);
    let dup = findings(&r, "MG005");
    assert_eq!(dup.len(), 2, "{r:#}");
    for f in &dup {
        assert_eq!(at(f), ("modules/pcap/main.tf".into(), 18));
        let msg = f["message"].as_str().unwrap_or("");
        assert!(
            msg.contains("module.ids[count.index].aws_ec2_traffic_mirror_session.ids["),
            "{msg}"
        );
        assert!(
            msg.contains("var.enable_ids") && msg.contains("var.enable_pcap"),
            "{msg}"
        );
        let related: Vec<(String, u64)> = f["related"]
            .as_array()
            .expect("related")
            .iter()
            .map(|x| {
                (
                    x["location"]["file"].as_str().unwrap_or("").to_owned(),
                    x["location"]["start"]["line"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert!(
            related.contains(&("modules/ids/main.tf".into(), 18)),
            "{related:?}"
        );
        assert!(
            related.contains(&("main.tf".into(), 33)),
            "the call of module.pcap: {related:?}"
        );
    }
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "modules/pcap/main.tf"
    );
}

#[test]
fn a_module_call_passing_null_for_a_required_argument_is_reported_at_the_argument() {
    let (status, r, _) = check("modules/null-argument", &[]);
    assert_eq!(status, 1);
    let missing = findings(&r, "MG004");
    assert_eq!(missing.len(), 1, "{r:#}");
    assert_eq!(at(missing[0]), ("main.tf".into(), 3));
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("network_interface_id")
    );
    assert!(
        missing[0]["related"]
            .as_array()
            .expect("related")
            .iter()
            .any(|x| x["location"]["file"] == "modules/session/main.tf")
    );
    // A bad literal passed as an argument points at the argument, the use is related.
    let range = findings(&r, "MG001");
    assert_eq!(range.len(), 1);
    assert_eq!(at(range[0]), ("main.tf".into(), 4));
    assert_eq!(
        range[0]["resource"],
        "module.mirror.aws_ec2_traffic_mirror_session.this"
    );
}

#[test]
fn a_registry_module_is_followed_after_terraform_init_and_named_when_it_is_not() {
    let (status, r, _) = check("modules/registry/with-init", &[]);
    assert_eq!(status, 1);
    let dup = findings(&r, "MG005");
    assert_eq!(dup.len(), 1, "{r:#}");
    assert_eq!(at(dup[0]).0, ".terraform/modules/mirror/main.tf");
    assert!(
        r["skipped"].as_array().expect("skipped").is_empty(),
        "{r:#}"
    );

    let (status, r, sarif) = check("modules/registry/without-init", &[]);
    assert_eq!(status, 0);
    assert!(findings(&r, "MG005").is_empty());
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{r:#}");
    assert_eq!(skipped[0]["resource"], "module.mirror");
    let reason = skipped[0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("acme/traffic-mirror/aws") && reason.contains("terraform init"),
        "{reason}"
    );
    assert!(skipped[0]["rules"].as_array().expect("rules").len() >= 13);
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notes");
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("module.mirror")
    }));
}

#[test]
fn a_local_module_path_that_is_not_there_is_named_with_its_path() {
    let (status, r, _) = check("modules/missing", &[]);
    assert_eq!(status, 0);
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{r:#}");
    assert_eq!(skipped[0]["resource"], "module.mirror");
    assert_eq!(skipped[0]["location"]["start"]["line"], 3);
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("modules/not-here")
    );
}

#[test]
fn nested_modules_with_for_each_and_count_name_every_instance() {
    let (status, r, _) = check("modules/nested", &[]);
    assert_eq!(status, 1);
    let range = findings(&r, "MG001");
    assert_eq!(range.len(), 1, "instances share one place: {r:#}");
    assert_eq!(
        range[0]["resource"],
        "module.zeek[\"b\"].module.inner[0].aws_ec2_traffic_mirror_session.zeek[0]"
    );
    // The value is written in the root call, in the branch that applies to "b".
    assert_eq!(at(range[0]), ("main.tf".into(), 4));
    assert_eq!(range[0]["location"]["start"]["column"], 36);
    assert_eq!(r["summary"]["sessions"], 4);
    // Each instance creates its own interfaces: no duplicates across instances.
    assert!(findings(&r, "MG005").is_empty(), "{r:#}");
}

#[test]
fn a_legacy_interpolated_reference_names_the_same_interface() {
    let (status, r, _) = check("modules/legacy", &[]);
    assert_eq!(status, 1);
    let dup = findings(&r, "MG005");
    assert_eq!(dup.len(), 1, "{r:#}");
    assert!(
        dup[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("aws_network_interface.web.id")
    );
}

#[test]
fn an_alibaba_module_takes_the_region_of_the_provider_it_is_given() {
    let (status, r, _) = check("modules/alicloud", &[]);
    assert_eq!(status, 1);
    let dup = findings(&r, "MG005");
    assert_eq!(
        dup.len(),
        1,
        "only the Hangzhou instance shares the root's region: {r:#}"
    );
    let msg = dup[0]["message"].as_str().unwrap_or("");
    assert!(msg.starts_with("priority 1"), "{msg}");
    assert!(msg.contains("cn-hangzhou"), "{msg}");
    assert!(
        dup[0]["resource"]
            .as_str()
            .unwrap_or("")
            .starts_with("module.hangzhou.")
    );
}

#[test]
fn known_parameters_decide_cloudformation_conditions() {
    let messages = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{}:{}",
                    f["resource"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let (_, all, _) = check("conditions", &[]);
    let all = messages(&all);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(
        all.iter()
            .any(|m| m.ends_with("40000 is outside 1..32766 (only when not IsProd)"))
    );

    let (status, prod, _) = check("conditions", &["--parameter-file", "params/prod.json"]);
    assert_eq!(status, 1);
    let prod = messages(&prod);
    assert_eq!(
        prod,
        ["Session:packet length 9000 is outside 1..8500 (only when InIreland)"]
    );

    let (_, dev, _) = check("conditions", &["--parameter-file", "params/dev.json"]);
    let dev = messages(&dev);
    assert!(
        dev.contains(&"Session:session number 40000 is outside 1..32766".to_owned()),
        "{dev:?}"
    );
    assert!(
        dev.contains(&"DevOnly:session number 0 is outside 1..32766".to_owned()),
        "{dev:?}"
    );

    let (status, decided, _) = check(
        "conditions",
        &["--parameters", "Env=prod", "--region", "us-east-1"],
    );
    assert_eq!(status, 0, "{decided:#}");
    assert!(messages(&decided).is_empty());
}

#[test]
fn two_sessions_on_parameters_without_values_list_the_hidden_duplicate() {
    let (status, r, _) = check("unknown-inputs", &[]);
    assert_eq!(status, 0);
    assert!(r["findings"].as_array().expect("findings").is_empty());
    let skipped = r["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{r:#}");
    assert_eq!(skipped[0]["rules"][0], "MG005");
    let reason = skipped[0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("SessionA and SessionB")
            && reason.contains("NetworkInterface1 and NetworkInterface2 have no value")
            && reason.contains("collide"),
        "{reason}"
    );
    // Given the same value, the duplicate is found.
    let (status, r, _) = check(
        "unknown-inputs",
        &[
            "--parameters",
            "NetworkInterface1=eni-0123456789abcdef0",
            "--parameters",
            "NetworkInterface2=eni-0123456789abcdef0",
        ],
    );
    assert_eq!(status, 1);
    assert_eq!(findings(&r, "MG005").len(), 1);
}

/// Settings a module keeps in a file beside it are read: `jsondecode(file("${path.module}/…"))`
/// in a called module and `yamldecode(file("${path.root}/…"))` in the root, each relative to
/// the root module as Terraform resolves them.
#[test]
fn settings_files_a_module_decodes_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir");
    std::fs::create_dir_all(root.join("envs/prod")).expect("mkdir");
    std::fs::create_dir_all(root.join("modules/mirror")).expect("mkdir");
    std::fs::write(
        root.join("envs/prod/main.tf"),
        "module \"mirror\" {\n  source = \"../../modules/mirror\"\n}\n\nlocals {\n  extra = yamldecode(file(\"${path.root}/extra.yaml\"))\n}\n\nresource \"aws_ec2_traffic_mirror_session\" \"extra\" {\n  network_interface_id     = local.extra.eni\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  session_number           = local.extra.number\n}\n",
    )
    .expect("write");
    std::fs::write(
        root.join("envs/prod/extra.yaml"),
        "eni: eni-0123456789abcdef9\nnumber: 40000\n",
    )
    .expect("write");
    std::fs::write(
        root.join("modules/mirror/main.tf"),
        "locals {\n  sessions = jsondecode(file(\"${path.module}/sessions.json\"))\n}\n\nresource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  for_each                 = local.sessions\n  network_interface_id     = each.value.eni\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  session_number           = each.value.number\n}\n",
    )
    .expect("write");
    std::fs::write(
        root.join("modules/mirror/sessions.json"),
        "{\"web\": {\"eni\": \"eni-0123456789abcdef0\", \"number\": 0}, \"db\": {\"eni\": \"eni-0123456789abcdef1\", \"number\": 2}}",
    )
    .expect("write");
    // The same whether the root is named relative to the working folder or absolute (an
    // absolute path lost its leading `/` when normalized: its module calls led nowhere).
    let absolute = root.join("envs/prod").display().to_string();
    for named in ["envs/prod", absolute.as_str()] {
        let out = run_in(root, &["check", named, "--no-config", "--format", "json"]);
        let r: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        let mut found: Vec<String> = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["resource"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("")
                )
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "aws_ec2_traffic_mirror_session.extra session number 40000 is outside 1..32766",
                "module.mirror.aws_ec2_traffic_mirror_session.s[\"web\"] session number 0 is outside 1..32766",
            ],
            "{named}: {r:#}"
        );
    }
}

/// Tags that are not known (a variable without a value, a tag key from one) hide the tag
/// checks, and the report says so: a tag set with an `aws:` key could hide behind them.
#[test]
fn unknown_tags_list_the_tag_checks_they_hide() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        "variable \"tags\" {}\nvariable \"key\" {}\n\nresource \"aws_ec2_traffic_mirror_session\" \"a\" {\n  network_interface_id     = \"eni-0123456789abcdef0\"\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  session_number           = 1\n  tags                     = var.tags\n}\n\nresource \"aws_ec2_traffic_mirror_session\" \"b\" {\n  network_interface_id     = \"eni-0123456789abcdef1\"\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  session_number           = 1\n  tags                     = { (var.key) = \"x\", team = \"netsec\" }\n}\n",
    )
    .expect("write");
    let out = super::common::run_in(dir.path(), &["check", "--no-config", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&super::common::stdout(&out)).expect("json");
    let tags: Vec<(String, u64)> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|s| s["property"] == "tags")
        .map(|s| {
            assert_eq!(s["rules"], serde_json::json!(["MG008"]), "{s}");
            (
                s["resource"].as_str().unwrap_or("").to_owned(),
                s["location"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [
            ("aws_ec2_traffic_mirror_session.a".to_owned(), 9),
            ("aws_ec2_traffic_mirror_session.b".to_owned(), 17)
        ],
        "{r:#}"
    );
}
