//! CI that just works: reported paths, fingerprints and baselines do not depend on the
//! folder mirrorguard runs from; GitHub annotations; one run, several reports; usage
//! mistakes stop before checking.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use super::common::{code, keep_sarif, stdout};

const SESSION: &str = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 40000\n";

/// Runs the binary in `dir` exactly as given (no `--root`).
fn raw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs")
}

/// A git repository fixture: `repo/.git`, `repo/infra/stacks/ids.yaml`, and a sibling
/// folder `other/` to run from.
fn repository() -> tempfile::TempDir {
    let top = tempfile::tempdir().expect("tempdir");
    let repo = top.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    std::fs::create_dir_all(repo.join("infra/stacks")).expect("mkdir");
    std::fs::create_dir_all(top.path().join("other")).expect("mkdir");
    std::fs::write(repo.join("infra/stacks/ids.yaml"), SESSION).expect("write");
    top
}

#[test]
fn paths_are_relative_to_the_repository_root_from_any_folder() {
    let top = repository();
    let repo = top.path().join("repo");
    let runs = [
        (repo.clone(), "."),
        (repo.join("infra"), "."),
        (top.path().join("other"), "../repo/infra"),
    ];
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, (dir, path)) in runs.iter().enumerate() {
        let out = raw(dir, &["check", path, "--format", "sarif", "--no-config"]);
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        let text = stdout(&out);
        keep_sarif(&format!("ci-root-{i}"), &text);
        let sarif: Value = serde_json::from_str(&text).expect("sarif");
        let result = &sarif["runs"][0]["results"][0];
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri")
            .to_owned();
        let fingerprint = result["partialFingerprints"]["mirrorguard/v1"]
            .as_str()
            .expect("fingerprint")
            .to_owned();
        seen.push((uri, fingerprint));
    }
    assert_eq!(seen[0].0, "infra/stacks/ids.yaml");
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");

    // A baseline written at the root matches from a subfolder and from a sibling.
    let out = raw(
        &repo,
        &[
            "check",
            "--no-config",
            "--write-baseline",
            "base.json",
            "--quiet",
        ],
    );
    assert_eq!(code(&out), 1);
    let baseline = repo.join("base.json");
    for (dir, path) in &runs[1..] {
        let out = raw(
            dir,
            &[
                "check",
                path,
                "--no-config",
                "--baseline",
                baseline.to_str().expect("utf8"),
                "--format",
                "json",
            ],
        );
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        let r: Value = serde_json::from_str(&stdout(&out)).expect("json");
        assert_eq!(r["summary"]["baselined"], 1);
    }
    // --root overrides the repository root.
    let out = raw(
        &repo,
        &[
            "check",
            "--no-config",
            "--root",
            "infra",
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(r["findings"][0]["location"]["file"], "stacks/ids.yaml");
}

#[test]
fn github_annotations_follow_the_workflow_command_syntax() {
    let top = repository();
    let repo = top.path().join("repo");
    std::fs::write(
        repo.join("infra/odd, name%.yaml"),
        SESSION.replace("  S:", "  Odd:"),
    )
    .expect("write");
    let out = raw(&repo, &["check", "--no-config", "--format", "github"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 2, "{text}");
    for line in commands {
        // ::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message
        let rest = line.strip_prefix("::error ").expect("an error command");
        let (props, message) = rest.split_once("::").expect("properties then message");
        assert!(!message.contains('\n') && !message.contains('\r'));
        let mut keys = Vec::new();
        for prop in props.split(',') {
            let (k, v) = prop.split_once('=').expect("key=value");
            assert!(!v.contains(':') && !v.contains(','), "{v} is escaped");
            keys.push(k);
            if k == "line" || k == "col" || k == "endLine" || k == "endColumn" {
                assert!(v.parse::<u32>().is_ok(), "{k}={v}");
            }
        }
        assert_eq!(
            keys,
            ["file", "line", "col", "endLine", "endColumn", "title"]
        );
        assert!(props.contains("title=MG001 Session number outside 1..32766"));
    }
    assert!(text.contains("file=infra/odd%2C name%25.yaml"), "{text}");
}

#[test]
fn one_run_writes_every_report_and_dash_is_standard_output() {
    let top = repository();
    let repo = top.path().join("repo");
    let out = raw(
        &repo,
        &[
            "check",
            "--no-config",
            "-o",
            "r.sarif",
            "-o",
            "r.json",
            "-o",
            "r.md",
            "-o",
            "-",
            "--format",
            "github",
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).starts_with("::error "), "{}", stdout(&out));
    let sarif = std::fs::read_to_string(repo.join("r.sarif")).expect("sarif");
    keep_sarif("ci-several-outputs", &sarif);
    assert!(sarif.contains("\"version\": \"2.1.0\""));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("r.json")).expect("json"))
            .expect("json");
    assert_eq!(json["schema_version"], 1);
    assert!(
        std::fs::read_to_string(repo.join("r.md"))
            .expect("md")
            .starts_with("### mirrorguard check")
    );
    assert!(!repo.join("-").exists());
}

#[test]
fn usage_mistakes_stop_before_checking() {
    let top = repository();
    let repo = top.path().join("repo");
    for args in [
        vec!["check", "--var-file", "missing.tfvars"],
        vec!["check", "--parameter-file", "missing.json"],
        vec!["check", "--plan", "missing.json"],
        vec!["check", "--deploy-policy", "missing.json"],
        vec![
            "check",
            "--deploy-policy",
            "infra/stacks/ids.yaml",
            "--boundary",
            "missing.json",
        ],
        vec!["check", "--baseline", "missing.json"],
        vec!["check", "--operations", "create"],
        vec!["drift", "--live-file", "missing.json"],
        vec!["check", "-"],
    ] {
        let out = raw(&repo, &[args.as_slice(), &["--no-config"]].concat());
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stdout(&out).is_empty(),
            "{args:?}: no findings, {}",
            stdout(&out)
        );
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty(), "{args:?}");
    }
    // A --stack-env naming no environment lists the ones there are.
    std::fs::create_dir_all(repo.join("stack/resources")).expect("mkdir");
    std::fs::write(
        repo.join("stack/stackql_manifest.yml"),
        "version: 1\nname: s\nresources:\n  - name: web\n    props:\n      - name: n\n        values:\n          dev: {value: 1}\n          prd: {value: 2}\n",
    )
    .expect("write");
    std::fs::write(
        repo.join("stack/resources/web.iql"),
        "/*+ create */\nINSERT INTO awscc.ec2.traffic_mirror_sessions (SessionNumber)\nSELECT {{ n }};\n",
    )
    .expect("write");
    let out = raw(&repo, &["check", "--no-config", "--stack-env", "prod"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--stack-env prod") && err.contains("dev, prd"),
        "{err}"
    );
    // A --parameters key no template declares is a warning, not an error.
    let out = raw(
        &repo,
        &["check", "--no-config", "infra", "--parameters", "Unknown=1"],
    );
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: --parameters Unknown"));
    // Nothing to check says so.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = raw(empty.path(), &["check", "--no-config"]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to check"));
    // A file that cannot be parsed is named on stderr whatever the outputs are.
    std::fs::write(
        repo.join("infra/broken.yaml"),
        "Resources:\n  S: {Type: AWS::EC2::TrafficMirrorSession\n",
    )
    .expect("write");
    let out = raw(&repo, &["check", "--no-config", "-o", "x.sarif", "--quiet"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("infra/broken.yaml"));
}

#[test]
fn drift_never_reports_another_accounts_session_as_unmanaged() {
    let top = repository();
    let repo = top.path().join("repo");
    std::fs::write(
        repo.join("live.json"),
        r#"{"TrafficMirrorSessions": [
  {"TrafficMirrorSessionId": "tms-0aaaaaaaaaaaaaaa0", "OwnerId": "111111111111", "NetworkInterfaceId": "eni-0123456789abcdef0", "TrafficMirrorTargetId": "tmt-0123456789abcdef0", "TrafficMirrorFilterId": "tmf-0123456789abcdef0", "SessionNumber": 40000, "Tags": []},
  {"TrafficMirrorSessionId": "tms-0bbbbbbbbbbbbbbb0", "OwnerId": "111111111111", "NetworkInterfaceId": "eni-0bbbbbbbbbbbbbbb0", "SessionNumber": 1, "Tags": []},
  {"TrafficMirrorSessionId": "tms-0ccccccccccccccc0", "OwnerId": "222222222222", "NetworkInterfaceId": "eni-0ccccccccccccccc0", "SessionNumber": 1, "Tags": []}
]}"#,
    )
    .expect("write");
    let out = raw(
        &repo,
        &[
            "drift",
            "infra",
            "--no-config",
            "--live-file",
            "eu-west-1=live.json",
            "--format",
            "sarif",
        ],
    );
    let text = stdout(&out);
    keep_sarif("ci-drift-accounts", &text);
    let sarif: Value = serde_json::from_str(&text).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let unmanaged: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "MG102").collect();
    assert_eq!(unmanaged.len(), 1, "{text}");
    let message = unmanaged[0]["message"]["text"].as_str().unwrap_or("");
    assert!(
        message.contains("tms-0bbbbbbbbbbbbbbb0") && message.contains("eu-west-1"),
        "{message}"
    );
    // Every result has a physical location (GitHub refuses an upload otherwise).
    for r in results {
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string(),
            "{r}"
        );
    }
    assert_eq!(
        unmanaged[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "live.json"
    );
    assert_eq!(
        unmanaged[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

#[test]
fn shell_completions_and_a_manual_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish"] {
        let out = raw(dir.path(), &["completions", shell]);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("mirrorguard"));
    }
    let out = raw(dir.path(), &["man"]);
    assert!(stdout(&out).contains(".TH mirrorguard 1"));
}

#[test]
fn standard_input_is_checked_under_the_name_it_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .args([
            "check",
            "-",
            "--stdin-filename",
            "stacks/ids.yaml",
            "--no-config",
            "--format",
            "json",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), SESSION.as_bytes())
        .expect("write");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("output");
    assert_eq!(code(&out), 1);
    let r: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(r["findings"][0]["location"]["file"], "stacks/ids.yaml");
}

/// The pre-commit hook passes exactly the files mirrorguard reads: every extension its
/// `files` pattern names is read, and every kind of file mirrorguard reads is named (a new
/// format the hook does not pass would never be checked on commit).
#[test]
fn the_pre_commit_hook_passes_every_file_kind_mirrorguard_reads() {
    let hooks = std::fs::read_to_string(super::common::root().join(".pre-commit-hooks.yaml"))
        .expect("hooks file");
    let pattern = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: (\\.("))
        .and_then(|l| l.strip_suffix(")$)"))
        .expect("a files pattern of extensions");
    let named: std::collections::BTreeSet<String> = pattern
        .split('|')
        .flat_map(|e| match e {
            "ya?ml" => vec!["yaml".to_owned(), "yml".to_owned()],
            other => vec![other.to_owned()],
        })
        .collect();
    let read = [
        "yaml", "yml", "json", "template", "tf", "tfvars", "iql", "sh", "bash", "zsh", "ksh",
    ];
    for ext in &named {
        let path = std::path::PathBuf::from(format!("x.{ext}"));
        let kind = mirrorguard::parse::kind_of(&path).or_else(|| {
            mirrorguard::parse::kind_of(std::path::Path::new("terraform.tfvars"))
                .filter(|_| ext == "tfvars")
        });
        assert!(
            kind.is_some(),
            "the hook passes .{ext} files, which mirrorguard does not read"
        );
    }
    for ext in read {
        assert!(
            mirrorguard::parse::kind_of(std::path::Path::new(&format!("x.{ext}"))).is_some()
                || ext == "tfvars"
        );
        assert!(
            named.contains(ext),
            "mirrorguard reads .{ext} files, which the hook never passes"
        );
    }
}
