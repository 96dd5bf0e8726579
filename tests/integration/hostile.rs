//! Hostile input: each case is a clear error (exit 2) in bounded time and memory, and the
//! other files are still checked and reported.

use std::time::{Duration, Instant};

use super::common::{code, run_in, stdout};

const GOOD_BAD: &str = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 0\n";

/// Runs `check` on a folder holding `name` (the hostile file) and a normal template with one
/// finding; asserts exit 2, an error naming the hostile file, and the other finding.
fn hostile(name: &str, write: impl FnOnce(&std::path::Path)) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("normal.yaml"), GOOD_BAD).expect("write");
    write(&dir.path().join(name));
    let start = Instant::now();
    let out = run_in(dir.path(), &["check", "--no-config", "--format", "json"]);
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_secs(30),
        "{name}: took {elapsed:?}"
    );
    assert_eq!(
        code(&out),
        2,
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("json even after an error");
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["file"]
            .as_str()
            .unwrap_or("")
            .contains(name.split('/').next().unwrap_or(name))),
        "{name}: {errors:?}"
    );
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(ids, ["MG001"], "{name}: the other file is still checked");
    report
}

#[test]
fn yaml_alias_bomb() {
    let r = hostile("bomb.yaml", |p| {
        let mut s = String::from(
            "Resources: {}\nx: &a [\"AWS::EC2::TrafficMirrorSession\", a, a, a, a, a, a, a, a, a]\n",
        );
        for (i, c) in ('b'..='p').enumerate() {
            let prev = if i == 0 {
                'a'
            } else {
                char::from(b'a' + u8::try_from(i).unwrap_or(0))
            };
            s.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        std::fs::write(p, s).expect("write");
    });
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("alias")
    );
}

#[test]
fn deep_nesting_in_yaml_json_and_hcl() {
    hostile("deep.yaml", |p| {
        std::fs::write(
            p,
            format!(
                "AWSTemplateFormatVersion: x\nResources: {}TrafficMirror{}",
                "[".repeat(200_000),
                "]".repeat(200_000)
            ),
        )
        .expect("write")
    });
    hostile("deep.json", |p| {
        std::fs::write(
            p,
            format!(
                "{{\"AWSTemplateFormatVersion\": {}\"TrafficMirror\"{}}}",
                "[".repeat(200_000),
                "]".repeat(200_000)
            ),
        )
        .expect("write")
    });
    hostile("deep/main.tf", |p| {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, format!("resource \"aws_ec2_traffic_mirror_session\" \"s\" {{\n  session_number = {}1{}\n}}\n", "(".repeat(200_000), ")".repeat(200_000))).expect("write");
    });
}

#[test]
fn a_100_mb_file_is_refused_without_reading_it_whole() {
    let r = hostile("huge.yaml", |p| {
        let f = std::fs::File::create(p).expect("create");
        f.set_len(100 * 1024 * 1024).expect("sparse 100 MB file");
    });
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("limit")
    );
}

#[test]
fn binary_junk_and_invalid_utf8() {
    hostile("junk.yaml", |p| {
        std::fs::write(
            p,
            (0..4096u32)
                .map(|i| u8::try_from((i * 7919) % 251).unwrap_or(0))
                .collect::<Vec<u8>>(),
        )
        .expect("write")
    });
    let r = hostile("latin1.yaml", |p| {
        let mut bytes = GOOD_BAD
            .replace("SessionNumber: 0", "Description: caf")
            .into_bytes();
        bytes.extend_from_slice(&[0xE9, b'\n']);
        std::fs::write(p, bytes).expect("write");
    });
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("UTF-8")
    );
}

/// Files that name no traffic mirror resource are read without being kept (the shortcut of
/// `read_source_if`): they are still counted, still refused when they are not UTF-8, and
/// a byte-order mark is still dropped before the lines and columns of a finding are counted.
#[test]
fn files_that_name_no_mirror_resource_are_counted_and_still_refused_when_not_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ordinary = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n";
    std::fs::write(dir.path().join("bucket.yaml"), ordinary).expect("write");
    let mut latin1 = ordinary.replace("Bucket\n", "Bucket # caf").into_bytes();
    latin1.extend_from_slice(&[0xE9, b'\n']);
    std::fs::write(dir.path().join("latin1.yaml"), latin1).expect("write");
    std::fs::write(dir.path().join("bom.yaml"), format!("\u{feff}{GOOD_BAD}")).expect("write");
    let out = run_in(dir.path(), &["check", "--no-config", "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["summary"]["files_read"], 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "latin1.yaml");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not valid UTF-8 (first bad byte at offset 47)"),
        "{errors:?}"
    );
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule_id"], "MG001");
    let location = &findings[0]["location"];
    assert_eq!(location["file"], "bom.yaml");
    assert_eq!(location["start"]["line"], 8, "{location}");
    assert_eq!(location["start"]["column"], 22, "{location}");
}

#[test]
fn truncated_files() {
    let r = hostile("cut.json", |p| {
        std::fs::write(p, "{\"Resources\": {\"S\": {\"Type\": \"AWS::EC2::TrafficMirrorSession\", \"Properties\": {\"SessionNumber\": 4").expect("write")
    });
    assert!(r["errors"][0]["line"].as_u64().is_some());
    hostile("cut/main.tf", |p| {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(
            p,
            "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = ",
        )
        .expect("write");
    });
    hostile("cut.yaml", |p| {
        std::fs::write(p, "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties: {SessionNumber: \"4").expect("write")
    });
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_unreadable_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("normal.yaml"), GOOD_BAD).expect("write");
    std::os::unix::fs::symlink("loop.yaml", dir.path().join("loop.yaml")).expect("symlink loop");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).expect("directory loop");
    // A directory named like a template cannot be read as one.
    std::fs::create_dir(dir.path().join("folder.yaml")).expect("mkdir");
    let start = Instant::now();
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--format",
            "json",
            ".",
            "loop.yaml",
            "folder.yaml/",
        ],
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["file"].as_str())
        .collect();
    assert!(errors.contains(&"loop.yaml"), "{errors:?}");
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(ids, ["MG001"]);
}

#[test]
fn a_runaway_user_rule_is_stopped_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.yaml"), GOOD_BAD).expect("write");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    std::fs::write(
        rules.join("slow001_spin.rego"),
        "# METADATA\n# title: Spins\n# description: A rule that never finishes.\n# custom:\n#   id: SLOW001\n#   name: spin\n#   severity: warning\n#   help: none\npackage mirrorguard.rules.slow001\n\ndeny contains v if {\n\tcount(input.sessions) > 0\n\tsome i in numbers.range(1, 5000)\n\tsome j in numbers.range(1, 5000)\n\ti * j == -1\n\tv := {\"msg\": \"never\", \"path\": [\"sessions\", 0]}\n}\n",
    )
    .expect("write");
    let start = Instant::now();
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--format",
            "json",
            "--rules",
            "rules",
            "--rule-time-limit",
            "1",
        ],
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "stopped by the limit"
    );
    assert_eq!(code(&out), 2);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let error = &report["errors"][0];
    assert_eq!(error["subject"], "rule", "{error}");
    assert!(
        error["name"]
            .as_str()
            .unwrap_or("")
            .contains("rule SLOW001"),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap_or("").contains("time"),
        "{error}"
    );
    // The built-in rules still ran on the same file.
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(ids, ["MG001"]);
}

#[test]
fn the_byte_scan_shortcut_never_loses_a_finding() {
    let mixed = super::common::fixture("mixed");
    let fast = stdout(&run_in(
        &mixed,
        &["check", "--no-config", "--format", "json"],
    ));
    let full = stdout(&run_in(
        &mixed,
        &["check", "--no-config", "--format", "json", "--full-parse"],
    ));
    let findings =
        |t: &str| serde_json::from_str::<serde_json::Value>(t).expect("json")["findings"].clone();
    assert_eq!(findings(&fast), findings(&full));
    for dir in ["cfn", "terraform", "broken", "clean"] {
        let d = super::common::fixture(dir);
        let a = stdout(&run_in(&d, &["check", "--no-config", "--format", "json"]));
        let b = stdout(&run_in(
            &d,
            &["check", "--no-config", "--format", "json", "--full-parse"],
        ));
        assert_eq!(findings(&a), findings(&b), "{dir}");
    }
}

/// Found by `scripts/fuzz.sh` (terraform_hcl, a timeout): unclosed braces made hcl-edit's
/// parser backtrack for a minute on 350 bytes. Now refused by a linear bracket scan.
#[test]
fn fuzz_regression_unclosed_hcl_braces_do_not_hang() {
    hostile("fuzzed/main.tf", |p| {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, format!("{}\n# traffic_mirror\n", "toms=saau+l*{sav%aveau+l*{s=saau+l*{sav%aveau+l*{sms=sa*vav%{m*evava%sms=sa*vav%{mms=saau+l*{sav%aveau+l*{s=saau+sav%aveau+l*{s=saau+l*{sav%aveau+l*{sms=sa*vav%{m*evava%sms=sa*vav%{mms=saau+l*{sav%aveau+l*{s=saau+l*{sav%aveau+l*{sms=sa*vav%{m*evava%sms=sa*vav%{m*evava%{une*evaval*{sav%aveau+l*{sms=sa*vav%{m*evava%sms=sa*vav%{m*evava%{une*evava%{une")).expect("write");
    });
}

/// Sessions whose source interfaces are parameters without values may all collide: every
/// pair is examined for notes, up to an explicit bound (a template of 20,000 such sessions
/// took minutes before it). Past the bound, a note says what was not checked.
#[test]
fn sessions_on_unknown_interfaces_are_paired_up_to_a_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text =
        String::from("Parameters:\n  A:\n    Type: String\n  B:\n    Type: String\nResources:\n");
    for i in 0..1500 {
        let eni = if i % 2 == 0 { "A" } else { "B" };
        text.push_str(&format!(
            "  S{i}:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: !Ref {eni}\n      TrafficMirrorTargetId: tmt-0123abcd\n      TrafficMirrorFilterId: tmf-0123abcd\n      SessionNumber: {}\n",
            i + 1
        ));
    }
    std::fs::write(dir.path().join("many.yaml"), text).expect("write");
    let start = Instant::now();
    let out = run_in(dir.path(), &["check", "--no-config", "--format", "json"]);
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let skipped = report["skipped"].as_array().expect("skipped");
    let reasons: Vec<&str> = skipped
        .iter()
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not checked beyond the first 2000000 pairs")
                && r.contains("1500 of the 1500 source interfaces have no value")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(
            |r| r.starts_with("MG006 not checked: B and A have no value")
                || r.starts_with("MG006 not checked: A and B have no value")
        ),
        "{reasons:?}"
    );
}

#[test]
fn shell_scripts_nested_unclosed_or_not_utf8() {
    let r = hostile("deep.sh", |p| {
        let text = format!(
            "aws ec2 create-traffic-mirror-session --session-number {}1\n",
            "$(".repeat(200_000)
        );
        std::fs::write(p, text).expect("write")
    });
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("nested deeper")
    );
    hostile("ifs.sh", |p| {
        let text = format!(
            "{}aws ec2 create-traffic-mirror-session --session-number 1\n",
            "if true; then\n".repeat(200_000)
        );
        std::fs::write(p, text).expect("write")
    });
    let r = hostile("open.sh", |p| {
        std::fs::write(p, "aws ec2 create-traffic-mirror-session --description \"never closed --session-number 0\n").expect("write")
    });
    let e = &r["errors"][0];
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(1), Some(53)),
        "{e}"
    );
    hostile("latin1.sh", |p| {
        std::fs::write(
            p,
            b"# caf\xe9\naws ec2 create-traffic-mirror-session --session-number 1\n",
        )
        .expect("write")
    });
}
