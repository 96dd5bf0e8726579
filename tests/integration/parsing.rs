//! Positions and semantics pinned through the public library API.

use mirrorguard::pipeline::{CheckOptions, check_sources};
use mirrorguard::rules::RuleSet;
use mirrorguard::source::SourceFile;

fn check(files: &[(&str, &str)]) -> mirrorguard::report::Report {
    let rules = RuleSet::load(&[]).expect("built-in rules load");
    let sources = files
        .iter()
        .map(|(n, t)| SourceFile::in_memory(n, t))
        .collect();
    check_sources(sources, &CheckOptions::default(), &rules)
}

fn at(f: &mirrorguard::report::Finding) -> &mirrorguard::report::Location {
    f.location.as_ref().expect("a located finding")
}

fn ids(r: &mirrorguard::report::Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule_id.as_str()).collect()
}

const SESSION: &str = "      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n";

#[test]
fn columns_count_characters_and_utf16_units_after_non_ascii_text() {
    let text = format!(
        "Conditions:\n  C: !Equals [a, b]\nResources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n{SESSION}      Tags: [{{Key: \"é✓😀\", Value: x}}]\n      SessionNumber: 1\n      PacketLength: {{Fn::If: [C, 1, 9000]}}\n"
    );
    let r = check(&[("t.yaml", &text)]);
    assert_eq!(ids(&r), ["MG002"]);
    let f = &r.findings[0];
    assert_eq!(&at(f).source.text[at(f).span.start..at(f).span.end], "9000");
    assert_eq!((at(f).start.line, at(f).start.column), (12, 37));
    // Same line in a flow mapping after non-ASCII text: character and UTF-16 columns differ.
    let text2 = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties: {Description: \"é😀\", NetworkInterfaceId: eni-0123456789abcdef0, TrafficMirrorTargetId: tmt-0123456789abcdef0, TrafficMirrorFilterId: tmf-0123456789abcdef0, SessionNumber: 0}\n".to_owned();
    let r = check(&[("u.yaml", &text2)]);
    let f = &r.findings[0];
    let line = text2.lines().nth(3).expect("line 4");
    let byte_col = line.find("SessionNumber: 0").expect("present") + "SessionNumber: ".len();
    let char_col = line[..byte_col].chars().count() + 1;
    let utf16_col = line[..byte_col].chars().map(char::len_utf16).sum::<usize>() + 1;
    assert_eq!(at(f).start.column, char_col);
    assert_eq!(at(f).start.utf16_column, utf16_col);
    assert_ne!(char_col, utf16_col);
}

#[test]
fn json_and_yaml_templates_give_the_same_findings() {
    let yaml = format!(
        "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n{SESSION}      SessionNumber: 40000\n      VirtualNetworkId: -1\n"
    );
    let json = r#"{"Resources": {"S": {"Type": "AWS::EC2::TrafficMirrorSession", "Properties": {
  "NetworkInterfaceId": "eni-0123456789abcdef0", "TrafficMirrorTargetId": "tmt-0123456789abcdef0",
  "TrafficMirrorFilterId": "tmf-0123456789abcdef0", "SessionNumber": 40000, "VirtualNetworkId": -1}}}}"#;
    let a = check(&[("t.yaml", &yaml)]);
    let b = check(&[("t.json", json)]);
    assert_eq!(ids(&a), ["MG001", "MG003"]);
    assert_eq!(ids(&b), ["MG001", "MG003"]);
    let f = &b.findings[0];
    assert_eq!(&json[at(f).span.start..at(f).span.end], "40000");
}

#[test]
fn every_short_form_intrinsic_parses() {
    let text = format!(
        "Parameters:\n  P: {{Type: String, Default: '5'}}\nMappings:\n  M: {{a: {{b: 9000}}}}\nConditions:\n  C: !And [!Equals [!Ref P, '5'], !Not [!Or [!Condition D, !Equals [a, b]]]]\n  D: !Equals [x, y]\nResources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n{SESSION}      SessionNumber: !Select [0, !Split [',', '1,2']]\n      PacketLength: !FindInMap [M, a, b]\n      Description: !Join ['', [!Base64 x, !ImportValue y, !Select [0, !GetAZs ''], !Select [0, !Cidr [10.0.0.0/16, 2, 8]], !Sub '${{P}}', !GetAtt S.Id, !If [C, a, b]]]\n"
    );
    let r = check(&[("t.yaml", &text)]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // FindInMap resolves to 9000: MG002, pointing at the FindInMap, with the mapping value related.
    assert_eq!(ids(&r), ["MG002"]);
    assert_eq!(r.findings[0].related.len(), 1);
}

#[test]
fn no_value_removes_a_property_and_unknowns_never_violate() {
    let text = format!(
        "Parameters:\n  N: {{Type: Number}}\nResources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n{SESSION}      SessionNumber: !Ref N\n      PacketLength: !Ref AWS::NoValue\n      VirtualNetworkId: !GetAtt X.Vni\n"
    );
    let r = check(&[("t.yaml", &text)]);
    assert_eq!(ids(&r), ["MG009"], "GetAtt of an undeclared resource only");
    let skipped: Vec<&str> = r.skipped.iter().map(|s| s.property.as_str()).collect();
    assert_eq!(skipped, ["session_number", "virtual_network_id"]);
    assert!(r.skipped[0].reason.contains("parameter N has no Default"));
}

#[test]
fn terraform_count_and_for_each_instances_and_symbolic_identity() {
    let tf = r#"
variable "enis" {
  default = { web = "eni-0123456789abcdef0", db = "eni-0123456789abcdef1" }
}
resource "aws_ec2_traffic_mirror_session" "a" {
  for_each                 = var.enis
  network_interface_id     = each.value
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = each.key == "db" ? 2 : 1
}
resource "aws_ec2_traffic_mirror_session" "b" {
  network_interface_id     = var.enis["db"]
  traffic_mirror_target_id = "tmt-0123456789abcdef0"
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  session_number           = 1 + 1
}
"#;
    let r = check(&[("m/main.tf", tf)]);
    assert_eq!(ids(&r), ["MG005"]);
    assert!(
        r.findings[0]
            .message
            .contains("aws_ec2_traffic_mirror_session.a[\"db\"]"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.sessions, 3);
}

#[test]
fn terraform_files_of_one_folder_form_one_module_and_others_do_not() {
    let a = "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  network_interface_id = aws_network_interface.x.id\n  traffic_mirror_target_id = \"tmt-0123456789abcdef0\"\n  traffic_mirror_filter_id = \"tmf-0123456789abcdef0\"\n  session_number = var.n\n}\n";
    let vars = "variable \"n\" {\n  default = 0\n}\nresource \"aws_network_interface\" \"x\" {\n  subnet_id = \"subnet-1\"\n}\n";
    let r = check(&[("m/main.tf", a), ("m/variables.tf", vars)]);
    assert_eq!(ids(&r), ["MG001"]);
    assert_eq!(r.findings[0].related[0].location.file(), "m/variables.tf");
    // Without the variables file the value is unknown and the resource undeclared.
    let r = check(&[("m/main.tf", a), ("other/variables.tf", vars)]);
    assert_eq!(ids(&r), ["MG009"]);
}

#[test]
fn hostile_yaml_is_an_error_not_a_crash() {
    let deep = format!(
        "Resources: {}AWS::EC2::TrafficMirrorSession{}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let r = check(&[("deep.yaml", &deep)]);
    assert_eq!(r.errors.len(), 1);
    let mut bomb =
        String::from("a: &a [\"AWS::EC2::TrafficMirrorSession\", x, x, x, x, x, x, x, x, x]\n");
    for (i, c) in ('b'..='j').enumerate() {
        let prev = char::from(b'a' + u8::try_from(i).expect("small"));
        bomb.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let r = check(&[("bomb.yaml", &bomb)]);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(r.errors[0].message().contains("alias"));
}
