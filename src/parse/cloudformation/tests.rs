//! CloudFormation reader: intrinsics, conditions, parameters.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::Val;
use crate::parse::yaml;

fn unit(text: &str, overrides: &ParameterValues) -> Unit {
    let src = Arc::new(SourceFile::in_memory("t.yaml", text));
    let root = yaml::parse(&src).ok().flatten().expect("yaml");
    let sh = shape(&root);
    let options = crate::parse::ReadOptions {
        parameters: overrides.clone(),
        ..Default::default()
    };
    read(src, &root, sh, &options)
}

const TEMPLATE: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Num:
    Type: Number
    Default: 7
  Eni:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Condition: IsDev
    Properties:
      NetworkInterfaceId: !Ref Eni
      TrafficMirrorTargetId: !Ref T
      TrafficMirrorFilterId: tmf-0123456789abcdef0
      SessionNumber: !If [IsProd, 40000, !Ref Num]
      PacketLength: !If [IsProd, !Ref AWS::NoValue, '100']
  T:
    Type: AWS::EC2::TrafficMirrorTarget
    Properties:
      NetworkInterfaceId: eni-0123456789abcdef0
";

#[test]
fn if_branches_become_alternatives_with_conditions() {
    let u = unit(TEMPLATE, &ParameterValues::new());
    let s = u.sessions.first().expect("session");
    assert_eq!(s.session_number.len(), 2);
    let first = s.session_number.first().expect("alt");
    assert_eq!(first.val, Val::Known(json!(40000)));
    assert_eq!(
        first
            .when
            .first()
            .map(|c| (c.name.as_str(), c.value.clone())),
        Some(("IsProd", crate::model::CondValue::Bool(true)))
    );
    let second = s.session_number.get(1).expect("alt");
    assert_eq!(second.val, Val::Known(json!(7)));
    assert!(second.origin.is_some());
    assert_eq!(
        s.packet_length.first().map(|a| a.val.clone()),
        Some(Val::Absent)
    );
    assert_eq!(
        s.packet_length.get(1).map(|a| a.val.clone()),
        Some(Val::Known(json!(100)))
    );
    // IsDev is a negation of IsProd: the resource condition is recorded as "not IsProd".
    assert_eq!(
        s.conditions
            .first()
            .map(|c| (c.name.as_str(), c.value.clone())),
        Some(("IsProd", crate::model::CondValue::Bool(false)))
    );
}

#[test]
fn parameter_without_default_is_a_reference_and_overrides_win() {
    let u = unit(TEMPLATE, &ParameterValues::new());
    let s = u.sessions.first().expect("session");
    assert!(
        matches!(&s.network_interface_id.first().map(|a| &a.val), Some(Val::Symbol { expr, .. }) if expr == "Ref(Eni)")
    );
    let mut o = ParameterValues::new();
    o.insert("Eni".into(), "eni-0123456789abcdef0".into());
    o.insert("Num".into(), "0".into());
    let u = unit(TEMPLATE, &o);
    let s = u.sessions.first().expect("session");
    assert_eq!(
        s.network_interface_id.first().map(|a| a.val.clone()),
        Some(Val::Known(json!("eni-0123456789abcdef0")))
    );
    assert_eq!(
        s.session_number.get(1).map(|a| a.val.clone()),
        Some(Val::Known(json!(0)))
    );
}

#[test]
fn target_eni_is_linked_through_ref() {
    let u = unit(TEMPLATE, &ParameterValues::new());
    let s = u.sessions.first().expect("session");
    let links = u.links();
    let enis = u.target_enis(s, &links.session_target[0]);
    assert_eq!(
        enis.first().map(|a| a.val.clone()),
        Some(Val::Known(json!("eni-0123456789abcdef0")))
    );
}

#[test]
fn sub_resolves_parameter_defaults() {
    let text = "Parameters:\n  P: {Type: String, Default: abc}\nResources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      Description: !Sub 'x-${P}-${AWS::Region}'\n      SessionNumber: !Sub '${P}'\n";
    let u = unit(text, &ParameterValues::new());
    let s = u.sessions.first().expect("session");
    assert!(matches!(
        &s.description.first().map(|a| &a.val),
        Some(Val::Symbol { .. })
    ));
    assert_eq!(
        s.session_number.first().map(|a| a.val.clone()),
        Some(Val::Known(json!("abc")))
    );
}

#[test]
fn for_each_declares_one_copy_per_item_and_an_unknown_collection_one_conditional_copy() {
    let u = unit(
        r#"
Transform: AWS::LanguageExtensions
Parameters:
  Numbers:
    Type: CommaDelimitedList
    Default: "3, 4"
  Later:
    Type: CommaDelimitedList
Resources:
  Fn::ForEach::Outer:
    - Eni
    - [eni-0123456789abcdef0, eni-0123456789abcdef1]
    - Fn::ForEach::Inner:
        - N
        - !Ref Numbers
        - S&{Eni}x${N}:
            Type: AWS::EC2::TrafficMirrorSession
            Properties:
              NetworkInterfaceId: !Ref Eni
              SessionNumber: !Ref N
              Description: !Sub "session ${N} of ${Eni}"
  Fn::ForEach::Unknown:
    - X
    - !Ref Later
    - T${X}:
        Type: AWS::EC2::TrafficMirrorSession
        Properties:
          SessionNumber: !Ref X
"#,
        &ParameterValues::new(),
    );
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    let ids: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Seni0123456789abcdef0x3",
            "Seni0123456789abcdef0x4",
            "Seni0123456789abcdef1x3",
            "Seni0123456789abcdef1x4",
            "T${X}"
        ]
    );
    let first = |s: &crate::model::Session| crate::parse::first_value(&s.session_number);
    assert_eq!(first(&u.sessions[1]), Some(Val::Known(json!(4))));
    assert_eq!(
        u.sessions[2].description.first().map(|a| a.val.clone()),
        Some(Val::Known(json!("session 3 of eni-0123456789abcdef1")))
    );
    // An item written in the template: the value points at the item.
    let eni = u.sessions[2].network_interface_id.first().expect("eni");
    assert_eq!(eni.val, Val::Known(json!("eni-0123456789abcdef1")));
    assert!(
        eni.origin
            .as_ref()
            .is_some_and(|o| o.how == "item of Fn::ForEach::Outer")
    );
    // The collection of the last loop is not known: one copy, its item unknown.
    let last = &u.sessions[4];
    assert!(matches!(first(last), Some(Val::Symbol { .. })));
    assert_eq!(last.conditions.len(), 1);
}

#[test]
fn a_template_of_loops_only_is_a_template() {
    let src = "Resources:\n  Fn::ForEach::L:\n    - X\n    - [a]\n    - S${X}:\n        Type: AWS::EC2::TrafficMirrorSession\n";
    let u = unit(src, &ParameterValues::new());
    assert_eq!(u.sessions.len(), 1);
}

#[test]
fn find_in_map_default_select_over_list_parameters_and_length_resolve() {
    let u = unit(
        r#"
Transform: AWS::LanguageExtensions
Parameters:
  Env:
    Type: String
    Default: staging
  Numbers:
    Type: List<Number>
    Default: "7, 40000"
Mappings:
  Numbers:
    prod:
      Session: 1
Resources:
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Properties:
      SessionNumber: !FindInMap [Numbers, !Ref Env, Session, {DefaultValue: 50000}]
      PacketLength: !Select [1, !Ref Numbers]
      VirtualNetworkId: !Length [1, 2, 3]
      Description: !Select [1, !Split [",", "a,b"]]
      TrafficMirrorTargetId: !FindInMap [Numbers, !Ref Env, Session]
      TrafficMirrorFilterId: !Join ["-", !Split [",", "a,b"]]
"#,
        &ParameterValues::new(),
    );
    let s = u.sessions.first().expect("session");
    let first = crate::parse::first_value;
    assert_eq!(first(&s.session_number), Some(Val::Known(json!(50000))));
    assert_eq!(first(&s.packet_length), Some(Val::Known(json!(40000))));
    assert_eq!(first(&s.virtual_network_id), Some(Val::Known(json!(3))));
    assert_eq!(first(&s.description), Some(Val::Known(json!("b"))));
    // The list a function gives, never that function's arguments.
    assert_eq!(
        first(&s.traffic_mirror_filter_id),
        Some(Val::Known(json!("a-b")))
    );
    // A key the map lacks, without a default: unknown, and saying why.
    assert!(matches!(
        first(&s.traffic_mirror_target_id),
        Some(Val::Symbol { why, .. }) if why.contains("has no staging.Session")
    ));
}

/// The names a transform declares are not undeclared references: SAM's generated
/// resources (`HandlerRole`, `Handler.Alias`, `ServerlessRestApi`) are declared by SAM,
/// a misspelt name still is not; a macro or `AWS::Include` may declare anything, so no
/// reference is undeclared and the template is opaque (every check listed as skipped).
#[test]
fn names_a_transform_declares_are_not_undeclared() {
    let template = |transform: &str| {
        format!(
            "Transform: {transform}
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, Handler: app.handler, CodeUri: src/}}
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Properties:
      NetworkInterfaceId: eni-0123456789abcdef0
      TrafficMirrorTargetId: !GetAtt HandlerRole.Arn
      TrafficMirrorFilterId: !Ref ServerlessRestApi
      SessionNumber: 1
      Description: !Sub '${{Handler.Alias}} ${{Misspelt}}'
"
        )
    };
    let undeclared = |u: &Unit| -> Vec<String> {
        u.references
            .iter()
            .filter(|r| !r.declared)
            .map(|r| r.name.clone())
            .collect()
    };
    let sam = unit(
        &template("AWS::Serverless-2016-10-31"),
        &ParameterValues::new(),
    );
    assert_eq!(undeclared(&sam), ["Misspelt"]);
    assert!(sam.opaque.is_empty());

    let macros = unit(
        &template(
            "[AWS::Serverless-2016-10-31, {Name: AWS::Include, Parameters: {Location: s3://b/k}}, MyMacro]",
        ),
        &ParameterValues::new(),
    );
    assert!(undeclared(&macros).is_empty());
    let opaque: Vec<(&str, usize)> = macros
        .opaque
        .iter()
        .map(|o| (o.address.as_str(), o.loc.span.start))
        .collect();
    let text = template(
        "[AWS::Serverless-2016-10-31, {Name: AWS::Include, Parameters: {Location: s3://b/k}}, MyMacro]",
    );
    assert_eq!(
        opaque,
        [
            ("AWS::Include", text.find("AWS::Include").unwrap_or(0)),
            ("MyMacro", text.find("MyMacro").unwrap_or(0))
        ]
    );

    let plain = unit(
        &template("AWS::LanguageExtensions"),
        &ParameterValues::new(),
    );
    assert_eq!(
        undeclared(&plain),
        ["HandlerRole", "ServerlessRestApi", "Misspelt"]
    );
}

/// `!GetAtt Eni.Id` is the value `!Ref Eni` returns: one identity, so two sessions on the
/// two spellings share their source interface (before, they were two created things, and
/// neither the duplicate session number nor the source's instance type was found).
#[test]
fn get_att_id_is_the_ref_of_the_resource() {
    let text = "Resources:
  Eni:
    Type: AWS::EC2::NetworkInterface
    Properties: {SubnetId: subnet-0123456789abcdef0}
  Box:
    Type: AWS::EC2::Instance
    Properties: {InstanceType: c5.large}
  A:
    Type: AWS::EC2::TrafficMirrorSession
    Properties: {NetworkInterfaceId: !GetAtt Eni.Id, Description: !GetAtt Box.InstanceId}
  B:
    Type: AWS::EC2::TrafficMirrorSession
    Properties: {NetworkInterfaceId: !Ref Eni, Description: !GetAtt Eni.PrimaryPrivateIpAddress}
";
    let u = unit(text, &ParameterValues::new());
    let ids = |f: fn(&crate::model::Session) -> &Vec<crate::model::Alt>| -> Vec<Option<String>> {
        u.sessions
            .iter()
            .map(|s| f(s).first().and_then(|a| crate::model::identity(&a.val)))
            .collect()
    };
    assert_eq!(
        ids(|s| &s.network_interface_id),
        [Some("ref:Ref(Eni)".into()), Some("ref:Ref(Eni)".into())]
    );
    assert_eq!(
        ids(|s| &s.description),
        [
            Some("ref:Ref(Box)".into()),
            Some("ref:GetAtt(Eni.PrimaryPrivateIpAddress)".into())
        ]
    );
}

/// A dynamic reference is resolved by CloudFormation at deployment: the values that hold
/// one, directly or through Fn::Sub, are unknown (they were malformed ids and a session
/// number that was not a number).
#[test]
fn dynamic_references_are_unknown_values() {
    let text = "Resources:
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Properties:
      NetworkInterfaceId: '{{resolve:ssm:/mirror/eni}}'
      TrafficMirrorFilterId: !Sub '{{resolve:ssm:/mirror/${AWS::Region}/filter}}'
      SessionNumber: '{{resolve:ssm:/mirror/number:2}}'
";
    let u = unit(text, &ParameterValues::new());
    let s = u.sessions.first().expect("session");
    for alts in [
        &s.network_interface_id,
        &s.traffic_mirror_filter_id,
        &s.session_number,
    ] {
        assert!(
            matches!(alts.first().map(|a| &a.val), Some(Val::Symbol { .. })),
            "{alts:?}"
        );
    }
}

/// A parameter of an SSM type holds the name of a Systems Manager parameter: `Ref`,
/// `${Param}` and conditions read its value at deployment, never the name written as its
/// default or given with --parameters (the names were malformed ids and session numbers).
#[test]
fn ssm_typed_parameters_are_read_at_deployment() {
    let text = "Parameters:
  Eni:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /mirror/eni
  Number:
    Type: AWS::SSM::Parameter::Value<String>
Conditions:
  Mirrored: !Equals [!Ref Number, '/mirror/number']
Resources:
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Condition: Mirrored
    Properties:
      NetworkInterfaceId: !Ref Eni
      Description: !Sub 'from ${Eni}'
      SessionNumber: !Ref Number
";
    let given = ParameterValues::from([("Number".to_owned(), "/mirror/number".to_owned())]);
    let u = unit(text, &given);
    let s = u
        .sessions
        .first()
        .expect("the condition is not decided by the name");
    assert!(!s.conditions.is_empty());
    for alts in [&s.network_interface_id, &s.description, &s.session_number] {
        assert!(
            matches!(alts.first().map(|a| &a.val), Some(Val::Symbol { .. })),
            "{alts:?}"
        );
    }
}
