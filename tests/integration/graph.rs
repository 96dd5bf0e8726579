//! `mirrorguard graph`: golden drawings, validated with the real parsers (Graphviz `dot`
//! and the `mermaid` npm package's `parse` under jsdom), findings and unknowns marked,
//! hostile values kept inside their labels, and the markdown summary embedding.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{code, fixture, root, run_in, stdout};

/// The folder `scripts/test.sh` installs the npm packages into.
fn node_modules() -> PathBuf {
    let dir = root().join(".tools/node_modules");
    assert!(
        dir.join("mermaid").is_dir() && dir.join("jsdom").is_dir(),
        "the mermaid and jsdom npm packages are needed: npm install --prefix .tools mermaid jsdom (scripts/test.sh does)"
    );
    dir
}

/// Parses Mermaid files with the mermaid package; panics with its message on a rejection.
fn mermaid_parses(files: &[&Path]) {
    let out = Command::new("node")
        .arg(root().join("tests/scripts/mermaid-parse.mjs"))
        .arg(node_modules())
        .args(files)
        .output()
        .expect("node runs (install Node.js)");
    assert!(
        out.status.success(),
        "mermaid rejected a drawing:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Lays a DOT file out with Graphviz; panics with its message on a rejection.
fn dot_parses(file: &Path) -> String {
    let out = Command::new("dot")
        .args(["-Tjson"])
        .arg(file)
        .output()
        .expect("Graphviz `dot` runs (apt-get install graphviz; scripts/test.sh does)");
    assert!(
        out.status.success(),
        "dot rejected {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn draw(dir: &Path, format: &str) -> String {
    let out = run_in(dir, &["graph", ".", "--no-config", "--format", format]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    stdout(&out)
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run UPDATE_GOLDEN=1 cargo test", path.display()));
    assert_eq!(
        expected,
        actual,
        "{} differs from the output",
        path.display()
    );
}

#[test]
fn graph_drawings_match_their_golden_files_and_parse() {
    let dir = fixture("graph");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mermaid = draw(&dir, "mermaid");
    let dot = draw(&dir, "dot");
    let json = draw(&dir, "json");
    golden("graph-drawing.mmd", &mermaid);
    golden("graph-drawing.dot", &dot);
    golden("graph-drawing.json", &json);
    let m = tmp.path().join("graph.mmd");
    let d = tmp.path().join("graph.dot");
    std::fs::write(&m, &mermaid).expect("write");
    std::fs::write(&d, &dot).expect("write");
    mermaid_parses(&[&m]);
    let laid_out: serde_json::Value = serde_json::from_str(&dot_parses(&d)).expect("dot json");
    // Every node and edge drawn is in the layout: 8 nodes, 6 edges.
    let nodes = laid_out["objects"]
        .as_array()
        .map_or(0, |o| o.iter().filter(|x| x.get("shape").is_some()).count());
    assert_eq!(nodes, 8, "{laid_out}");
    assert_eq!(laid_out["edges"].as_array().map_or(0, Vec::len), 6);
}

#[test]
fn findings_and_unknown_values_are_marked_on_nodes_and_edges() {
    let json: serde_json::Value =
        serde_json::from_str(&draw(&fixture("graph"), "json")).expect("json");
    let unit = &json["units"][0];
    let node = |needle: &str| {
        unit["nodes"]
            .as_array()
            .and_then(|n| {
                n.iter()
                    .find(|x| x["label"][0].as_str().is_some_and(|l| l.contains(needle)))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no node {needle}: {unit}"))
    };
    // The unsupported source instance type is on the edge from Batch's interface.
    let batch = node("Batch.PrimaryNetworkInterfaceId");
    assert_eq!(batch["label"][1], "Batch (m6i.large)");
    let edge = unit["edges"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["from"] == batch["id"]))
        .expect("edge");
    assert_eq!(edge["findings"], serde_json::json!(["MG014"]));
    // A parameter without a value is an unknown interface, drawn as such.
    let legacy = node("Ref(LegacyEni)");
    assert_eq!(legacy["unknown"], true);
    assert!(
        legacy["label"][0]
            .as_str()
            .is_some_and(|l| l.contains("(unknown)"))
    );
    // The filter rule's finding marks each session that uses the filter.
    assert_eq!(node("WebSession")["findings"], serde_json::json!(["MG018"]));
    // The target shows the instance behind its interface.
    assert_eq!(
        node("target SensorTarget")["label"][2],
        "Sensor (c5.xlarge)"
    );
}

#[test]
fn every_fixture_drawing_parses_in_mermaid_and_graphviz() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut mermaid_files = Vec::new();
    for case in [
        "terraform",
        "cfn",
        "mixed",
        "modules/two-sensors",
        "conditions",
        "unknown-inputs",
    ] {
        let dir = fixture(case);
        let out = run_in(&dir, &["graph", ".", "--no-config"]);
        assert!(code(&out) == 0 || code(&out) == 2, "{case}");
        let m = tmp.path().join(format!("{}.mmd", case.replace('/', "-")));
        std::fs::write(&m, stdout(&out)).expect("write");
        mermaid_files.push(m);
        let out = run_in(&dir, &["graph", ".", "--no-config", "--format", "dot"]);
        let d = tmp.path().join(format!("{}.dot", case.replace('/', "-")));
        std::fs::write(&d, stdout(&out)).expect("write");
        dot_parses(&d);
    }
    let refs: Vec<&Path> = mermaid_files.iter().map(PathBuf::as_path).collect();
    mermaid_parses(&refs);
}

#[test]
fn hostile_values_stay_inside_their_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil =
        r#"eni-\"]) --> x; click x href \"javascript:alert(1)\"; %%{init: {}}%% <b>#1</b> `x` \\"#;
    std::fs::write(
        dir.path().join("t.yaml"),
        format!("Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: \"{evil}\"\n      TrafficMirrorTargetId: \"tmt-\\\"}}}} digraph {{ a -> b\"\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 1\n"),
    )
    .expect("write");
    let mermaid = draw(dir.path(), "mermaid");
    let dot = draw(dir.path(), "dot");
    // The text stays in its label: no statement of its own, no markup, no raw quote.
    assert!(
        !mermaid.lines().any(|l| l.trim_start().starts_with("click")),
        "{mermaid}"
    );
    assert!(!mermaid.contains("<b>"), "{mermaid}");
    assert!(mermaid.contains("#quot;]) --#gt; x"), "{mermaid}");
    let m = dir.path().join("evil.mmd");
    let d = dir.path().join("evil.dot");
    std::fs::write(&m, &mermaid).expect("write");
    std::fs::write(&d, &dot).expect("write");
    mermaid_parses(&[&m]);
    let laid_out: serde_json::Value = serde_json::from_str(&dot_parses(&d)).expect("dot json");
    // Still one session, one source and one target: nothing escaped into new nodes.
    let nodes = laid_out["objects"]
        .as_array()
        .map_or(0, |o| o.iter().filter(|x| x.get("shape").is_some()).count());
    assert_eq!(nodes, 3, "{dot}");
}

#[test]
fn the_markdown_summary_embeds_the_drawing_of_units_with_findings_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for case in ["graph", "clean"] {
        let src = fixture(case);
        let dst = tmp.path().join(case);
        std::fs::create_dir_all(&dst).expect("mkdir");
        for entry in std::fs::read_dir(&src).expect("read fixture") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dst.join(entry.file_name())).expect("copy");
        }
    }
    let out = run_in(
        tmp.path(),
        &["check", ".", "--no-config", "--format", "markdown"],
    );
    let md = stdout(&out);
    assert_eq!(md.matches("```mermaid").count(), 1, "{md}");
    assert!(
        md.contains("<summary>graph/template.yaml</summary>"),
        "{md}"
    );
    assert!(!md.contains("<summary>clean/"), "{md}");
    let block = md
        .split("```mermaid\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("block");
    let m = tmp.path().join("summary.mmd");
    std::fs::write(&m, block).expect("write");
    mermaid_parses(&[&m]);
}

/// Each skipped check as ("resource property", its rules).
fn skipped_rules(report: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                format!(
                    "{} {}",
                    s["resource"].as_str().unwrap_or(""),
                    s["property"].as_str().unwrap_or("")
                ),
                s["rules"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_filter_with_a_network_service_mirrors_it_without_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One session per filter, each on its own interface.
    let sessions: String = ["dns", "maybe", "ruled", "none"]
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "resource \"aws_ec2_traffic_mirror_session\" \"{f}\" {{\n  network_interface_id     = \"eni-0123456789abcdef{i}\"\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.{f}.id\n  session_number           = 1\n}}\n\n"
            )
        })
        .collect();
    let filters = r#"variable "services" {
  type = list(string)
}

resource "aws_ec2_traffic_mirror_filter" "dns" {
  network_services = ["amazon-dns"]
}

resource "aws_ec2_traffic_mirror_filter" "maybe" {
  network_services = var.services
}

resource "aws_ec2_traffic_mirror_filter" "ruled" {
  network_services = var.services
}

resource "aws_ec2_traffic_mirror_filter_rule" "in" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.ruled.id
  traffic_direction        = "ingress"
  rule_number              = 100
  rule_action              = "accept"
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "0.0.0.0/0"
}

resource "aws_ec2_traffic_mirror_filter" "none" {
  network_services = []
}

"#;
    std::fs::write(dir.path().join("main.tf"), format!("{filters}{sessions}")).expect("write");
    let out = run_in(
        dir.path(),
        &["check", ".", "--no-config", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    // Only the filter known to have neither rules nor a network service mirrors nothing.
    let mg021: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "MG021")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(mg021.len(), 1, "{report:#}");
    assert!(
        mg021[0].contains("aws_ec2_traffic_mirror_filter.none has no rules"),
        "{mg021:?}"
    );
    // An unknown network service hides MG021 where the filter has no rules, not elsewhere.
    let skipped = skipped_rules(&report);
    let hides = |what: &str, rule: &str| {
        skipped
            .iter()
            .any(|(w, rules)| w == what && rules.iter().any(|r| r == rule))
    };
    assert!(
        hides(
            "aws_ec2_traffic_mirror_filter.maybe network_services",
            "MG021"
        ),
        "{skipped:#?}"
    );
    assert!(
        !hides(
            "aws_ec2_traffic_mirror_filter.ruled network_services",
            "MG021"
        ),
        "{skipped:#?}"
    );
    assert!(
        hides(
            "aws_ec2_traffic_mirror_filter.ruled network_services",
            "MG025"
        ),
        "{skipped:#?}"
    );
}

#[test]
fn unknown_graph_values_are_skipped_checks_never_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        r#"variable "workload_type" {}
variable "port" {}
variable "peer_cidr" {}
variable "extra_rules" {}

resource "aws_instance" "workload" {
  ami           = "ami-0123456789abcdef0"
  instance_type = var.workload_type
}

resource "aws_instance" "new_family" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "zz9.large"
}

resource "aws_ec2_traffic_mirror_filter" "f" {}

resource "aws_ec2_traffic_mirror_filter_rule" "in" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  traffic_direction        = "ingress"
  rule_number              = 100
  rule_action              = "accept"
  protocol                 = 6
  source_cidr_block        = var.peer_cidr
  destination_cidr_block   = "0.0.0.0/0"
  destination_port_range {
    from_port = var.port
    to_port   = var.port
  }
}

resource "aws_ec2_traffic_mirror_filter_rule" "more" {
  count                    = var.extra_rules
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  traffic_direction        = "egress"
  rule_number              = 200 + count.index
  rule_action              = "accept"
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "0.0.0.0/0"
}

resource "aws_ec2_traffic_mirror_session" "a" {
  network_interface_id     = aws_instance.workload.primary_network_interface_id
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  session_number           = 1
}

resource "aws_ec2_traffic_mirror_session" "b" {
  network_interface_id     = aws_instance.new_family.primary_network_interface_id
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.f.id
  session_number           = 1
}
"#,
    )
    .expect("write");
    let out = run_in(
        dir.path(),
        &["check", ".", "--no-config", "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        report["findings"].as_array().is_some_and(Vec::is_empty),
        "{report}"
    );
    let skipped = skipped_rules(&report);
    let has = |what: &str, rule: &str| {
        skipped
            .iter()
            .any(|(w, rules)| w == what && rules.iter().any(|r| r == rule))
    };
    assert!(
        has("aws_instance.workload instance_type", "MG014"),
        "{skipped:#?}"
    );
    assert!(
        has("aws_instance.new_family instance_type", "MG014"),
        "{skipped:#?}"
    );
    assert!(
        has(
            "aws_ec2_traffic_mirror_filter_rule.in source_cidr_block",
            "MG018"
        ),
        "{skipped:#?}"
    );
    assert!(
        has(
            "aws_ec2_traffic_mirror_filter_rule.in destination_port_range.from_port",
            "MG017"
        ),
        "{skipped:#?}"
    );
    assert!(
        has(
            "aws_ec2_traffic_mirror_filter_rule.more[count.index] traffic_mirror_filter_id",
            "MG019"
        ),
        "{skipped:#?}"
    );
    // The table names why a type it does not know is skipped, with its date.
    let reason = report["skipped"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|x| x["resource"] == "aws_instance.new_family")
        })
        .and_then(|x| x["reason"].as_str())
        .unwrap_or("");
    assert!(
        reason.contains("zz9.large is not in mirrorguard's instance type table"),
        "{reason}"
    );
}
