//! Helpers: run the real binary, keep every SARIF a test produces for schema validation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder under `tests/fixtures`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Runs `mirrorguard` with `args` in `dir`. Fixtures live inside this repository, so a
/// `check` or `drift` is given `--root .` (unless the test gives a root itself): reported
/// paths are then relative to the fixture folder, as the golden files expect. The default
/// root is tested on its own (`cli::paths_are_relative_to_the_repository_root`).
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut args: Vec<&str> = args.to_vec();
    if matches!(args.first(), Some(&"check" | &"drift")) && !args.contains(&"--root") {
        args.push("--root");
        args.push(".");
    }
    Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .args(&args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// Exit code of a finished run.
pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Writes a SARIF log a test produced to `target/test-sarif/<name>.sarif`, where
/// `scripts/validate-sarif.py` checks every one against the SARIF 2.1.0 schema and with
/// Microsoft's SARIF Multitool after the test run.
pub(crate) fn keep_sarif(name: &str, text: &str) {
    let dir = root().join("target/test-sarif");
    std::fs::create_dir_all(&dir).expect("create target/test-sarif");
    std::fs::write(dir.join(format!("{name}.sarif")), text).expect("write SARIF");
}

/// Runs `check --format sarif` in `dir`, keeps the SARIF and parses it.
pub(crate) fn sarif_of(dir: &Path, name: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["check", "--format", "sarif"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    let text = stdout(&out);
    keep_sarif(name, &text);
    let json = serde_json::from_str(&text).expect("SARIF output is JSON");
    (code(&out), json, text)
}
