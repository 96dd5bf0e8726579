//! The compiled rules (regorus' RVM, the default) and the interpreter give the same report,
//! byte for byte, on every fixture, every example, a preflight with live facts and generated
//! corpora in each format. The VM has had silent differences (a keyed `contains` was not
//! grouped, `every` over a literal list held always): this is what catches the next one.
//! Likewise, evaluating a large unit in parts (the session rules on chunks of sessions, the
//! group rules on chunks of groups, the rules that read no session without sessions) gives
//! the report of evaluating it whole, in parts of every size: this also pins every rule's
//! `custom.scope` to what the rule reads.

use std::path::Path;
use std::process::Command;

use super::common::{fixture, root};

/// The JSON report of `check ARGS` in `dir` with these environment variables.
fn report(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .arg("check")
        .args(args)
        .args(["--no-config", "--root", ".", "--format", "json"])
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

/// Runs both engines in `dir` and returns the number of findings (they must agree).
fn same_report(dir: &Path, args: &[&str]) -> usize {
    same_report_with(
        dir,
        args,
        &[("MIRRORGUARD_RULE_ENGINE", "compiled")],
        &[&[("MIRRORGUARD_RULE_ENGINE", "interpreter")]],
    )
}

/// Runs `check` with the `baseline` environment and with each of `others`, requires the same
/// exit status and report from all, and returns the number of findings.
fn same_report_with(
    dir: &Path,
    args: &[&str],
    baseline: &[(&str, &str)],
    others: &[&[(&str, &str)]],
) -> usize {
    let (code, expected) = report(dir, args, baseline);
    for env in others {
        let (other_code, other) = report(dir, args, env);
        assert_eq!(
            code,
            other_code,
            "exit status in {} with {env:?}",
            dir.display()
        );
        assert!(
            expected == other,
            "{} {args:?}: {baseline:?} and {env:?} differ:\n--- {baseline:?}\n{expected}\n--- {env:?}\n{other}",
            dir.display()
        );
    }
    let parsed: serde_json::Value = serde_json::from_str(&expected).expect("a JSON report");
    parsed["findings"].as_array().map_or(0, Vec::len)
}

const CHUNK: &str = "MIRRORGUARD_SESSION_CHUNK";

/// Whole units against chunks of 1 and 7 sessions (every unit) and the default chunking.
fn same_chunked_report(dir: &Path) -> usize {
    same_report_with(
        dir,
        &["."],
        &[(CHUNK, "0")],
        &[&[(CHUNK, "1")], &[(CHUNK, "7")], &[]],
    )
}

/// Every fixture and example folder.
fn fixture_and_example_folders() -> Vec<std::path::PathBuf> {
    let mut folders: Vec<_> = Vec::new();
    for parent in [root().join("tests/fixtures"), root().join("examples")] {
        for entry in std::fs::read_dir(&parent).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            }
        }
    }
    folders.sort();
    assert!(folders.len() > 20, "fixtures and examples found");
    folders
}

#[test]
fn compiled_rules_match_the_interpreter_on_every_fixture_and_example() {
    let folders = fixture_and_example_folders();
    let findings: usize = folders.iter().map(|d| same_report(d, &["."])).sum();
    // Both could agree on nothing at all: the fixtures hold findings of most rules.
    assert!(findings > 80, "only {findings} findings in the fixtures");
}

#[test]
fn compiled_rules_match_the_interpreter_with_live_facts() {
    let live = super::preflight::live_file_args(&super::preflight::LIVE);
    let mut args = vec!["template.yaml"];
    args.extend(live.iter().map(String::as_str));
    assert!(same_report(&fixture("preflight"), &args) > 0);
}

#[test]
fn chunked_sessions_match_whole_units_on_every_fixture_and_example() {
    let findings: usize = fixture_and_example_folders()
        .iter()
        .map(|d| same_chunked_report(d))
        .sum();
    assert!(findings > 80, "only {findings} findings in the fixtures");
}

/// Generated corpora: small units in each format and one unit large enough to take the
/// parallel, chunked path.
fn generated_corpora() -> (tempfile::TempDir, [&'static str; 4]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let generate = |name: &str, format: &str, files: &str, sessions: &str| {
        let status = Command::new("python3")
            .arg(root().join("bench/generate.py"))
            .arg(dir.path().join(name))
            .args(["--format", format, "--files", files, "--sessions", sessions])
            .args(["--seed", "11", "--defect-rate", "0.3"])
            .output()
            .expect("python3 runs bench/generate.py");
        assert!(status.status.success(), "{status:?}");
    };
    generate("yaml", "cfn-yaml", "40", "12");
    generate("json", "cfn-json", "40", "12");
    generate("tf", "tf", "40", "12");
    // One unit large enough to take the parallel per-rule path.
    generate("large", "cfn-yaml", "1", "600");
    (dir, ["yaml", "json", "tf", "large"])
}

#[test]
fn compiled_rules_match_the_interpreter_on_generated_corpora() {
    let (dir, names) = generated_corpora();
    for name in names {
        let found = same_report(&dir.path().join(name), &["."]);
        assert!(found > 20, "{name}: only {found} findings");
    }
}

#[test]
fn chunked_sessions_match_whole_units_on_generated_corpora() {
    let (dir, names) = generated_corpora();
    for name in names {
        let found = same_chunked_report(&dir.path().join(name));
        assert!(found > 20, "{name}: only {found} findings");
    }
}

/// One template of 700 sessions that every rule a large unit is cut for finds something in:
/// five sessions on an interface (MG006), session numbers used twice on an interface
/// (MG005), targets shared under one VNI (MG011), references to an undeclared parameter
/// (MG009, owned by sessions of every part), malformed ids (MG010), values out of range
/// (MG001-MG003) and conditions on some sessions. Its groups and their members cross the
/// parts' boundaries.
fn crossing_template() -> String {
    let mut t = String::from(
        "Parameters:\n  Env:\n    Type: String\n    Default: dev\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n",
    );
    for i in 0..700u32 {
        let eni = if i % 41 == 5 {
            "eni-xyz".to_owned()
        } else {
            format!("eni-{:017x}", i / 5)
        };
        let filter = if i % 50 == 3 {
            "!Ref MissingFilter".to_owned()
        } else {
            "tmf-0123456789abcdef0".to_owned()
        };
        let number = if i % 37 == 1 { 1 } else { i % 5 + 1 };
        let condition = if i % 9 == 0 {
            "    Condition: IsProd\n"
        } else {
            ""
        };
        let packet = if i % 97 == 0 { 9001 } else { 8000 };
        t.push_str(&format!(
            "  S{i}:\n    Type: AWS::EC2::TrafficMirrorSession\n{condition}    Properties:\n      NetworkInterfaceId: {eni}\n      TrafficMirrorTargetId: tmt-{:017x}\n      TrafficMirrorFilterId: {filter}\n      SessionNumber: {number}\n      VirtualNetworkId: {}\n      PacketLength: {packet}\n",
            i / 10,
            i % 3 + 1,
        ));
    }
    t
}

#[test]
fn a_large_unit_in_parts_matches_it_whole_where_groups_cross_the_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.yaml"), crossing_template()).expect("written");
    let found = same_report_with(
        dir.path(),
        &["."],
        &[(CHUNK, "0")],
        &[&[(CHUNK, "1")], &[(CHUNK, "7")], &[(CHUNK, "128")], &[]],
    );
    let (_, text) = report(dir.path(), &["."], &[]);
    for rule in ["MG002", "MG005", "MG006", "MG009", "MG010", "MG011"] {
        assert!(
            text.contains(&format!("\"rule_id\": \"{rule}\"")),
            "{rule} finds something in the template"
        );
    }
    assert!(found > 300, "only {found} findings");
}
