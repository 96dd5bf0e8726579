//! `check --fix`, `--unsafe-fixes` and `--diff` on fixtures in every format: every fixable
//! finding is fixed, nothing else in the files changes (golden files), `--diff` prints
//! exactly what `--fix` writes, and SARIF carries the fixes for review suggestions.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{code, fixture, keep_sarif, root, run_in, stdout};

/// A copy of a fixture folder in a fresh temporary folder.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else if let Ok(rel) = e.path().strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", ".", "--no-config", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    (
        code(&out),
        serde_json::from_str(&stdout(&out)).expect("json"),
    )
}

fn rules_of(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap_or("").to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn fix_with_unsafe_fixes_leaves_no_fixable_finding_and_nothing_else_changed() {
    let dir = copy_of("fix");
    let (status, report) = json(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(status, 0, "{report}");
    assert!(rules_of(&report).is_empty(), "{report}");
    // Byte for byte what the golden files hold: the fixed values, and nothing else changed
    // (comments, quotes, indentation, CRLF line endings).
    for rel in files(dir.path()) {
        let actual = std::fs::read(dir.path().join(&rel)).expect("read");
        let golden = root().join("tests/golden/fix").join(&rel);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().expect("parent")).expect("mkdir");
            std::fs::write(&golden, &actual).expect("write golden");
            continue;
        }
        let expected = std::fs::read(&golden).unwrap_or_else(|e| {
            panic!("{}: {e}; run UPDATE_GOLDEN=1 cargo test", golden.display())
        });
        assert!(
            expected == actual,
            "{} differs from its golden file",
            rel.display()
        );
    }
    let crlf = std::fs::read_to_string(dir.path().join("crlf.yaml")).expect("crlf");
    assert!(crlf.lines().count() > 1 && crlf.matches("\r\n").count() == crlf.lines().count());
}

#[test]
fn fix_alone_applies_only_the_safe_fixes() {
    let dir = copy_of("fix");
    let (status, report) = json(dir.path(), &["--fix"]);
    assert_eq!(status, 1, "{report}");
    // What is left is what only --unsafe-fixes changes: removed out-of-range values and a
    // swapped port range.
    assert_eq!(
        rules_of(&report),
        ["MG002", "MG002", "MG002", "MG003", "MG017"],
        "{report}"
    );
    for f in report["findings"].as_array().expect("findings") {
        assert_eq!(f["fix"]["applicability"], "unsafe", "{f}");
    }
}

#[test]
fn diff_prints_exactly_what_fix_writes_and_changes_nothing() {
    let dir = copy_of("fix");
    let before: Vec<Vec<u8>> = files(dir.path())
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();
    let out = run_in(
        dir.path(),
        &["check", ".", "--no-config", "--diff", "--unsafe-fixes"],
    );
    assert_eq!(code(&out), 1);
    let diff = stdout(&out);
    let after: Vec<Vec<u8>> = files(dir.path())
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();
    assert!(before == after, "--diff changed a file");
    // The diff, applied with patch(1), gives what --fix writes.
    let patched = copy_of("fix");
    let mut child = Command::new("patch")
        .args(["-p1", "--binary", "--no-backup-if-mismatch", "-s"])
        .current_dir(patched.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("patch(1) runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(diff.as_bytes())
        .expect("diff written");
    assert!(child.wait().expect("patch ends").success(), "{diff}");
    let fixed = copy_of("fix");
    let (_, _) = json(fixed.path(), &["--fix", "--unsafe-fixes"]);
    for rel in files(fixed.path()) {
        let a = std::fs::read(patched.path().join(&rel)).expect("patched");
        let b = std::fs::read(fixed.path().join(&rel)).expect("fixed");
        assert!(a == b, "{}: --diff and --fix differ\n{diff}", rel.display());
    }
    // Nothing to fix: an empty diff and exit 0.
    let out = run_in(fixed.path(), &["check", ".", "--no-config", "--diff"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_value_shared_through_a_variable_gets_a_display_only_fix_never_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = r#"variable "number" {
  default = 1
}

resource "aws_ec2_traffic_mirror_session" "a" {
  network_interface_id     = "eni-0123456789abcdef0"
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = 1
}

resource "aws_ec2_traffic_mirror_session" "b" {
  network_interface_id     = "eni-0123456789abcdef0"
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = var.number
}
"#;
    std::fs::write(dir.path().join("main.tf"), text).expect("write");
    let (status, report) = json(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(status, 1);
    let fix = &report["findings"][0]["fix"];
    assert_eq!(fix["applicability"], "display-only", "{report}");
    // Shown where the value is written: the variable's default.
    assert_eq!(fix["edits"][0]["location"]["start"]["line"], 2, "{report}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).expect("read"),
        text
    );
}

#[test]
fn sarif_results_carry_their_fixes_for_review_suggestions() {
    let out = run_in(
        &fixture("fix"),
        &["check", ".", "--no-config", "--format", "sarif"],
    );
    let text = stdout(&out);
    keep_sarif("fixes", &text);
    let golden = root().join("tests/golden/fix.sarif");
    let normalized = text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &normalized).expect("write golden");
    } else {
        let expected = std::fs::read_to_string(&golden).expect("golden fix.sarif");
        assert_eq!(expected, normalized, "tests/golden/fix.sarif differs");
    }
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let with_fix: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("fixes").is_some())
        .collect();
    assert!(with_fix.len() >= 10, "{}", with_fix.len());
    for r in with_fix {
        let change = &r["fixes"][0]["artifactChanges"][0];
        // The same URI as the result's location, every replacement complete.
        assert_eq!(
            change["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        );
        for rep in change["replacements"].as_array().expect("replacements") {
            let region = &rep["deletedRegion"];
            for key in [
                "startLine",
                "startColumn",
                "endLine",
                "endColumn",
                "charOffset",
                "charLength",
            ] {
                assert!(region.get(key).is_some(), "{key} missing in {rep}");
            }
            assert!(rep["insertedContent"]["text"].is_string(), "{rep}");
        }
        assert!(r["fixes"][0]["properties"]["applicability"].is_string());
    }
}
