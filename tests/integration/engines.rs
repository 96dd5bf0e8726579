//! The compiled rules (regorus' RVM, the default) and the interpreter give the same report,
//! byte for byte, on every fixture, every example, a preflight with live facts and generated
//! corpora in each format. The VM has had silent differences (a keyed `contains` was not
//! grouped, `every` over a literal list held always): this is what catches the next one.

use std::path::Path;
use std::process::Command;

use super::common::{fixture, root};

/// The JSON report of `check ARGS` in `dir` with the given engine.
fn report(dir: &Path, args: &[&str], engine: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .arg("check")
        .args(args)
        .args(["--no-config", "--root", ".", "--format", "json"])
        .current_dir(dir)
        .env("MIRRORGUARD_RULE_ENGINE", engine)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

/// Runs both engines in `dir` and returns the number of findings (they must agree).
fn same_report(dir: &Path, args: &[&str]) -> usize {
    let (code_vm, vm) = report(dir, args, "compiled");
    let (code_interp, interp) = report(dir, args, "interpreter");
    assert_eq!(code_vm, code_interp, "exit status in {}", dir.display());
    assert!(
        vm == interp,
        "the compiled rules and the interpreter differ in {} {args:?}:\n--- compiled\n{vm}\n--- interpreter\n{interp}",
        dir.display()
    );
    let parsed: serde_json::Value = serde_json::from_str(&vm).expect("a JSON report");
    parsed["findings"].as_array().map_or(0, Vec::len)
}

#[test]
fn compiled_rules_match_the_interpreter_on_every_fixture_and_example() {
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
fn compiled_rules_match_the_interpreter_on_generated_corpora() {
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
    for name in ["yaml", "json", "tf", "large"] {
        let found = same_report(&dir.path().join(name), &["."]);
        assert!(found > 20, "{name}: only {found} findings");
    }
}
