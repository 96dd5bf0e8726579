//! Shell scripts that run the AWS CLI: read as bash reads them, checked like any other input.

use super::common::{code, fixture, run_in, stdout};

/// The JSON report of `check` in `dir`, without a configuration file.
fn report_of(dir: &std::path::Path) -> serde_json::Value {
    let out = run_in(dir, &["check", "--no-config", "--format", "json"]);
    serde_json::from_str(&stdout(&out)).expect("a JSON report")
}

/// Each finding's rule, file, line and resource.
fn findings(report: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                text(&f["rule_id"]),
                text(&f["location"]["file"]),
                f["location"]["start"]["line"].as_u64().unwrap_or(0),
                text(&f["resource"]),
            )
        })
        .collect()
}

/// The rule ids of the findings, in report order.
fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    findings(report).into_iter().map(|f| f.0).collect()
}

/// Each command of the fixture passes one literal `--description` in another quoting form.
/// Real bash runs the script with a function standing in for `aws` that prints each
/// description it is given; mirrorguard must read the same values, in the same order.
#[test]
fn script_words_are_the_ones_bash_passes() {
    let dir = fixture("shell-words");
    let stub = r#"aws() { local prev=""; for a in "$@"; do
  if [ "$prev" = --description ]; then printf '%s\0' "$a" >&2; fi
  case "$a" in --description=*) printf '%s\0' "${a#--description=}" >&2;; esac
  prev="$a"; done; }
. ./words.sh"#;
    let bash = std::process::Command::new("bash")
        .arg("-c")
        .arg(stub)
        .current_dir(&dir)
        .output()
        .expect("bash runs (it is needed to compare with)");
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    let passed: Vec<String> = String::from_utf8(bash.stderr)
        .expect("UTF-8")
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let out = run_in(&dir, &["rules", "input", "words.sh"]);
    assert_eq!(code(&out), 0);
    let input: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let read: Vec<String> = input[0]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            s["description"][0]["known"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no literal description: {s}", s["address"]))
                .to_owned()
        })
        .filter(|d| !d.is_empty())
        .collect();
    assert_eq!(read.len(), 15, "{read:?}");
    assert_eq!(read, passed);
    // The empty description is read as empty (bash passes it too, as an empty word).
    let empty = input[0]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|s| s["description"][0]["known"] == "")
        .count();
    assert_eq!(empty, 1);
}

#[test]
fn script_findings_point_at_the_value_and_its_assignment() {
    let out = run_in(&fixture("scripts"), &["check", "--format", "json"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found: Vec<(String, u64, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["suppression"].is_null())
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_owned(),
                f["location"]["start"]["line"].as_u64().unwrap_or(0),
                f["location"]["start"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("MG001", 18, 20),
        ("MG002", 19, 19),
        ("MG008", 20, 72),
        ("MG003", 27, 45),
        ("MG004", 44, 9),
        ("MG004", 44, 9),
    ];
    let expected: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|(r, l, c)| ((*r).to_owned(), *l, *c))
        .collect();
    assert_eq!(found, expected);
    // MG001's value comes from `SESSION_NUMBER=40000`: the related location is that literal.
    let mg001 = &report["findings"][0];
    assert_eq!(mg001["related"][0]["location"]["start"]["line"], 6);
    assert_eq!(mg001["related"][0]["location"]["start"]["column"], 16);
    // The interface of the loop's session comes from a query: listed, with what it hides.
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s["reason"].as_str().unwrap_or("").contains("$eni")),
        "{skipped:?}"
    );
    // The binary installer names no mirror command and is not UTF-8: not an error.
    assert!(
        report["errors"].as_array().is_some_and(Vec::is_empty),
        "{}",
        report["errors"]
    );
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[test]
fn sessions_in_two_arms_of_one_if_never_collide_but_a_session_after_it_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cmd = |n: u32| {
        format!(
            "aws ec2 create-traffic-mirror-session --network-interface-id eni-0aaaaaaaaaaaaaaaa --traffic-mirror-target-id tmt-0123456789abcdef0 --traffic-mirror-filter-id tmf-0123456789abcdef0 --session-number {n}\n"
        )
    };
    let text = format!(
        "if [ \"$X\" = a ]; then\n  {}else\n  {}fi\n{}",
        cmd(1),
        cmd(1),
        cmd(1)
    );
    std::fs::write(dir.path().join("s.sh"), text).expect("write");
    let report = report_of(dir.path());
    let findings = report["findings"].as_array().expect("findings");
    let lines: Vec<u64> = findings
        .iter()
        .map(|f| f["location"]["start"]["line"].as_u64().unwrap_or(0))
        .collect();
    // The last command collides with each arm (under that arm's condition), the arms never
    // with each other.
    assert!(
        findings.iter().all(|f| f["rule_id"] == "MG005"),
        "{findings:?}"
    );
    assert!(lines.iter().all(|&l| l == 6), "{lines:?}");
    assert!(!lines.is_empty());
}

#[test]
fn a_script_on_standard_input_is_read_by_its_name() {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .args([
            "check",
            "-",
            "--stdin-filename",
            "deploy.sh",
            "--no-config",
            "--format",
            "json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"aws ec2 create-traffic-mirror-session --network-interface-id eni-0aaaaaaaaaaaaaaaa --traffic-mirror-target-id tmt-0123456789abcdef0 --traffic-mirror-filter-id tmf-0123456789abcdef0 --session-number 0\n")
        .expect("write");
    let out = child.wait_with_output().expect("finishes");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["findings"][0]["rule_id"], "MG001");
    assert_eq!(report["findings"][0]["location"]["file"], "deploy.sh");
}

/// Targets, filters and rules the script creates, named by the ids it captures
/// (`TARGET=$(aws ec2 create-traffic-mirror-target … --output text)`), are the mirror graph.
#[test]
fn what_a_script_creates_is_the_mirror_graph_its_sessions_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = r#"#!/usr/bin/env bash
SOURCE_ENI=eni-0a1b2c3d4e5f60718
SENSOR_ENI=eni-0fedcba9876543210
TARGET_ID=$(aws ec2 create-traffic-mirror-target --network-interface-id "$SENSOR_ENI" \
  --network-load-balancer-arn arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/ids/0123456789abcdef \
  --query TrafficMirrorTarget.TrafficMirrorTargetId --output text)
FILTER_ID=$(aws ec2 create-traffic-mirror-filter --query TrafficMirrorFilter.TrafficMirrorFilterId --output text)
EMPTY=`aws ec2 create-traffic-mirror-filter --query TrafficMirrorFilter.TrafficMirrorFilterId --output text`
DNS="$(aws ec2 create-traffic-mirror-filter --query TrafficMirrorFilter.TrafficMirrorFilterId --output text)"
aws ec2 modify-traffic-mirror-filter-network-services --traffic-mirror-filter-id "$DNS" --add-network-services amazon-dns
aws ec2 create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$FILTER_ID" --traffic-direction ingress \
  --rule-number 100 --rule-action accept --protocol 6 --destination-port-range FromPort=443,ToPort=80 \
  --source-cidr-block 0.0.0.0/0 --destination-cidr-block 10.0.0.0/8
aws ec2 create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$FILTER_ID" --traffic-direction ingress \
  --rule-number 100 --rule-action accept --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0
aws ec2 create-traffic-mirror-session --network-interface-id "$SOURCE_ENI" --traffic-mirror-target-id "$TARGET_ID" \
  --traffic-mirror-filter-id "$FILTER_ID" --session-number 1
aws ec2 create-traffic-mirror-session --network-interface-id "$SENSOR_ENI" --traffic-mirror-target-id "$TARGET_ID" \
  --traffic-mirror-filter-id "$EMPTY" --session-number 1
aws ec2 create-traffic-mirror-session --network-interface-id eni-0123456789abcdef0 --traffic-mirror-target-id "$TARGET_ID" \
  --traffic-mirror-filter-id "$DNS" --session-number 1
"#;
    std::fs::write(dir.path().join("mirror.sh"), script).expect("write");
    let report = report_of(dir.path());
    let found: Vec<(String, u64, String)> = findings(&report)
        .into_iter()
        .map(|(rule, _, line, resource)| (rule, line, resource))
        .collect();
    let expected = [
        ("MG015", 5, "create-traffic-mirror-target #1"),
        ("MG017", 12, "create-traffic-mirror-filter-rule #1"),
        ("MG016", 15, "create-traffic-mirror-filter-rule #2"),
        ("MG007", 18, "create-traffic-mirror-session #2"),
        ("MG021", 19, "create-traffic-mirror-session #2"),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(r, l, a)| ((*r).to_owned(), *l, (*a).to_owned()))
        .collect();
    assert_eq!(found, expected, "{report:#}");
    // A filter whose network services a command changes through an id that is not known may
    // have any: no filter of the script is then said to be empty.
    let unsure = script.replace(
        "--traffic-mirror-filter-id \"$DNS\" --add",
        "--traffic-mirror-filter-id \"$OTHER\" --add",
    );
    std::fs::write(dir.path().join("mirror.sh"), unsure).expect("write");
    let report = report_of(dir.path());
    let ids = rule_ids(&report);
    assert!(!ids.iter().any(|i| i == "MG021"), "{ids:?}");
    assert!(
        report["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["rules"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == "MG021"))),
        "{report:#}"
    );
    // A filter whose id the script hands on (printed, saved, written by a here-document) may
    // get its rules elsewhere: MG021 is listed as skipped, not claimed.
    for leaves in [
        "echo \"filter: $EMPTY\"\n",
        "cat > ids.env <<END\nfilter=${EMPTY}\nEND\n",
    ] {
        std::fs::write(dir.path().join("mirror.sh"), format!("{script}{leaves}")).expect("write");
        let report = report_of(dir.path());
        let ids = rule_ids(&report);
        assert_eq!(ids, ["MG015", "MG017", "MG016", "MG007"], "{leaves}");
        let skipped = report["skipped"].as_array().expect("skipped");
        assert!(
            skipped.iter().any(|s| s["reason"]
                .as_str()
                .unwrap_or("")
                .contains("leaves the script")),
            "{skipped:?}"
        );
    }
}

/// AWS CLI commands a CI pipeline runs (`run:`, `script:`, `package.json` scripts) are read
/// where they are written, in the pipeline folders discovery walks (`.github`,
/// `.gitlab-ci.yml`); other hidden folders (tool caches, build output) are not walked, and a
/// step's name that mentions a command is not one.
#[test]
fn commands_in_ci_pipelines_are_checked_where_they_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let cmd = |eni: u32, extra: &str| {
        format!(
            "aws ec2 create-traffic-mirror-session --network-interface-id eni-0123456789abcdef{eni} --traffic-mirror-target-id tmt-0123456789abcdef0 --traffic-mirror-filter-id tmf-0123456789abcdef0 {extra}"
        )
    };
    std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
    std::fs::write(
        root.join(".github/workflows/mirror.yml"),
        format!(
            "on: [workflow_dispatch]\njobs:\n  mirror:\n    runs-on: ubuntu-latest\n    steps:\n      - name: Run {}\n        run: |\n          N=40000\n          {} \\\n            --session-number \"$N\"\n      - run: {}\n",
            cmd(0, "--session-number 0"),
            cmd(1, ""),
            cmd(2, "--session-number 1 --packet-length 9000"),
        ),
    )
    .expect("write");
    std::fs::write(
        root.join(".gitlab-ci.yml"),
        format!(
            "mirror:\n  script:\n    - {}\n",
            cmd(3, "--session-number 0")
        ),
    )
    .expect("write");
    std::fs::write(
        root.join("package.json"),
        format!(
            "{{\"name\": \"x\", \"scripts\": {{\"mirror\": \"{}\"}}}}\n",
            cmd(4, "--session-number 1 --virtual-network-id 16777216")
        ),
    )
    .expect("write");
    for cache in [".terraform/modules/m", ".aws-sam/build"] {
        std::fs::create_dir_all(root.join(cache)).expect("mkdir");
        std::fs::write(
            root.join(cache).join("run.sh"),
            format!("{}\n", cmd(5, "--session-number 0")),
        )
        .expect("write");
    }
    let report = report_of(root);
    let found: Vec<(String, String, u64)> = findings(&report)
        .into_iter()
        .map(|(rule, file, line, _)| (rule, file, line))
        .collect();
    let expected = [
        ("MG001", ".github/workflows/mirror.yml", 10),
        ("MG002", ".github/workflows/mirror.yml", 11),
        ("MG001", ".gitlab-ci.yml", 3),
        ("MG003", "package.json", 1),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(r, f, l)| ((*r).to_owned(), (*f).to_owned(), *l))
        .collect();
    assert_eq!(found, expected, "{report:#}");
    // The value in the workflow comes from `N=40000` in the same `run:` block.
    assert_eq!(
        report["findings"][0]["related"][0]["location"]["start"]["line"],
        8
    );
}

/// Fixes edit the words of a command line in place, keeping their quotes: the next free
/// session number, a swapped port range in the CLI's shorthand.
#[test]
fn fixes_edit_command_line_words_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = "--network-interface-id eni-0aaaaaaaaaaaaaaaa --traffic-mirror-target-id tmt-0123456789abcdef0 --traffic-mirror-filter-id tmf-0123456789abcdef0";
    std::fs::write(
        dir.path().join("s.sh"),
        format!("aws ec2 create-traffic-mirror-session {ids} --session-number 1\naws ec2 create-traffic-mirror-session {ids} --session-number \"1\"\naws ec2 create-traffic-mirror-filter-rule --traffic-mirror-filter-id tmf-0123456789abcdef0 --traffic-direction ingress --rule-number 1 --rule-action accept --destination-port-range FromPort=443,ToPort=80 --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0\n"),
    )
    .expect("write");
    let out = run_in(
        dir.path(),
        &["check", "--no-config", "--diff", "--unsafe-fixes"],
    );
    let diff = stdout(&out);
    assert!(
        diff.contains(&format!(
            "+aws ec2 create-traffic-mirror-session {ids} --session-number \"2\"\n"
        )),
        "{diff}"
    );
    assert!(
        diff.contains("--destination-port-range FromPort=80,ToPort=443 "),
        "{diff}"
    );
    // The fixed script reads without those findings, and bash still parses it.
    let out = run_in(
        dir.path(),
        &["check", "--no-config", "--fix", "--unsafe-fixes"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let bash = std::process::Command::new("bash")
        .args(["-n", "s.sh"])
        .current_dir(dir.path())
        .status()
        .expect("bash runs");
    assert!(bash.success());
}
