//! Terraform reader: values, count and conditionals.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::{Condition, Unit, Val};
use crate::source::SourceFile;

pub(super) fn module(files: &[(&str, &str)]) -> Unit {
    let parsed: Vec<ParsedFile> = files
        .iter()
        .map(|(name, text)| {
            let source = Arc::new(SourceFile::in_memory(name, text));
            parse_file(&source).expect("parses")
        })
        .collect();
    read_module("m".into(), parsed, Vec::new(), None)
}

/// The identity of each session's source interface (`ref:…` for a symbol).
fn interface_identities(sessions: &[crate::model::Session]) -> Vec<Option<String>> {
    sessions
        .iter()
        .map(|s| {
            s.network_interface_id
                .first()
                .and_then(|a| crate::model::identity(&a.val))
        })
        .collect()
}

#[test]
fn variables_locals_and_arithmetic_resolve_with_origin() {
    let u = module(&[(
        "main.tf",
        "variable \"base\" {\n  default = 40\n}\nlocals {\n  n = var.base * 1000\n}\nresource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = local.n + 1\n  packet_length  = \"1024\"\n  network_interface_id = aws_network_interface.src.id\n}\n",
    )]);
    let s = u.sessions.first().expect("session");
    assert_eq!(
        s.session_number.first().map(|a| a.val.clone()),
        Some(Val::Known(json!(40001)))
    );
    assert_eq!(
        s.packet_length.first().map(|a| a.val.clone()),
        Some(Val::Known(json!(1024)))
    );
    assert!(
        matches!(&s.network_interface_id.first().map(|a| &a.val), Some(Val::Symbol { expr, .. }) if expr == "aws_network_interface.src.id")
    );
    // The reference to an undeclared resource is recorded.
    assert!(
        u.references
            .iter()
            .any(|r| r.name == "aws_network_interface.src" && !r.declared)
    );
}

#[test]
fn count_expands_with_known_index() {
    let u = module(&[(
        "main.tf",
        "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  count = 2\n  session_number = count.index + 1\n  network_interface_id = var.enis[count.index]\n}\n",
    )]);
    assert_eq!(u.sessions.len(), 2);
    let addrs: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(
        addrs,
        [
            "aws_ec2_traffic_mirror_session.s[0]",
            "aws_ec2_traffic_mirror_session.s[1]"
        ]
    );
    assert_eq!(
        interface_identities(&u.sessions),
        [
            Some("ref:var.enis[0]".into()),
            Some("ref:var.enis[1]".into())
        ]
    );
}

#[test]
fn unknown_conditional_gives_both_branches() {
    let u = module(&[(
        "main.tf",
        "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = var.prod ? 40000 : 1\n}\n",
    )]);
    let s = u.sessions.first().expect("session");
    assert_eq!(s.session_number.len(), 2);
    assert_eq!(
        s.session_number.first().map(|a| a.when.clone()),
        Some(vec![Condition::is("var.prod", true)])
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let src = Arc::new(SourceFile::in_memory(
        "bad.tf",
        "resource \"a\" \"b\" {\n  x = \n}\n",
    ));
    let err = parse_file(&src).expect_err("error");
    assert_eq!(err.position.map(|p| p.line), Some(2));
}

#[test]
fn try_falls_back_only_on_an_error_never_on_an_unknown_value() {
    let u = module(&[(
        "main.tf",
        r#"
variable "unset" {}
locals {
  cfg     = {}
  nothing = null
}
resource "aws_ec2_traffic_mirror_session" "s" {
  traffic_mirror_filter_id = try(module.vns.filter_id, "")
  session_number           = try(local.cfg.number, 7)
  packet_length            = try(local.nothing.length, 100)
  virtual_network_id       = try(var.unset.vni, 5)
  traffic_mirror_target_id = try(local.cfg.a, local.cfg.b)
}
"#,
    )]);
    let s = u.sessions.first().expect("session");
    let first = crate::parse::first_value;
    // A module output is unknown until apply, not an error: never the fallback "".
    assert!(
        matches!(first(&s.traffic_mirror_filter_id), Some(Val::Symbol { expr, .. }) if expr == "module.vns.filter_id")
    );
    // An attribute a known object lacks, or one read from null, is an error: the fallback.
    assert_eq!(first(&s.session_number), Some(Val::Known(json!(7))));
    assert_eq!(first(&s.packet_length), Some(Val::Known(json!(100))));
    // A variable without a value is unknown, and so is the result, not the fallback.
    assert!(matches!(
        first(&s.virtual_network_id),
        Some(Val::Symbol { .. } | Val::Unknown(_))
    ));
    // Every argument an error: unknown, never a value.
    assert!(matches!(
        first(&s.traffic_mirror_target_id),
        Some(Val::Unknown(_))
    ));
}

#[test]
fn repeated_object_keys_keep_the_last_value_as_terraform_does() {
    let u = module(&[(
        "main.tf",
        r#"
locals {
  numbers = {
    a   = 40000
    "b" = 1
    a   = 2
    "b" = 50000
    A   = 7
    x   = 1
    x   = 2
    x   = 3
    nested = { y = 40000, y = 5 }
  }
}
resource "aws_ec2_traffic_mirror_session" "s" {
  session_number     = local.numbers.a
  packet_length      = local.numbers["b"]
  virtual_network_id = local.numbers.x
  traffic_mirror_target_id = local.numbers.nested.y
  network_interface_id     = local.numbers.A
}
"#,
    )]);
    let s = u
        .sessions
        .first()
        .expect("the file parses and declares its session");
    let first = crate::parse::first_value;
    assert_eq!(first(&s.session_number), Some(Val::Known(json!(2))));
    assert_eq!(first(&s.packet_length), Some(Val::Known(json!(50000))));
    // `x` is renamed to a placeholder of one letter, `A` first: that is a key of the object
    // too, so the next placeholder is taken; the key `A` keeps its own value.
    assert_eq!(first(&s.virtual_network_id), Some(Val::Known(json!(3))));
    assert_eq!(first(&s.network_interface_id), Some(Val::Known(json!(7))));
    assert_eq!(
        first(&s.traffic_mirror_target_id),
        Some(Val::Known(json!(5)))
    );
}

#[test]
fn a_repeated_attribute_of_a_block_stays_an_error_as_in_terraform() {
    let src = Arc::new(SourceFile::in_memory(
        "bad.tf",
        "resource \"a\" \"b\" {\n  x = 1\n  x = 2\n}\n",
    ));
    let err = parse_file(&src).expect_err("error");
    assert_eq!(err.position.map(|p| (p.line, p.column)), Some((3, 3)));
}

#[test]
fn repeating_keys_without_end_is_an_error_after_a_bounded_number_of_parses() {
    let items: String = (0..200)
        .map(|i| format!("    k{i} = 1\n    k{i} = 2\n"))
        .collect();
    let text = format!("locals {{\n  m = {{\n{items}  }}\n}}\n");
    let src = Arc::new(SourceFile::in_memory("many.tf", &text));
    let err = parse_file(&src).expect_err("error");
    assert!(
        err.message.contains("reads up to 64 repeated keys"),
        "{}",
        err.message
    );
    // The 65th repeated key: `k64 = 2`, line 3 + 2 * 64 + 1.
    assert_eq!(err.position.map(|p| p.line), Some(132));
}

#[test]
fn override_files_merge_into_the_declarations_they_name_each_value_in_its_file() {
    let u = module(&[
        // Named so that the override file would sort first: override files are read last.
        (
            "z_main.tf",
            r#"
variable "n" {
  default = 40000
}
resource "aws_ec2_traffic_mirror_filter_rule" "r" {
  traffic_mirror_filter_id = "tmf-0123456789abcdef0"
  rule_number              = 1
  destination_port_range {
    from_port = 90
    to_port   = 80
  }
}
resource "aws_ec2_traffic_mirror_session" "s" {
  count                = 1
  network_interface_id = "eni-0123456789abcdef0"
  session_number       = var.n
  packet_length        = 9000
}
"#,
        ),
        (
            "a_override.tf",
            r#"
variable "n" {
  default = 2
}
resource "aws_ec2_traffic_mirror_filter_rule" "r" {
  destination_port_range {
    from_port = 80
    to_port   = 90
  }
}
resource "aws_ec2_traffic_mirror_session" "s" {
  count         = 2
  packet_length = 8500
}
"#,
        ),
    ]);
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    // The override's count: two sessions, not three.
    assert_eq!(u.sessions.len(), 2);
    let s = u.sessions.first().expect("session");
    let first = |alts: &[crate::model::Alt]| alts.first().map(|a| (a.val.clone(), a.loc.file));
    // An argument: the override's value, in the override file (file 1: the normal file is
    // read first). A variable's default: the override's, written there.
    assert_eq!(first(&s.packet_length), Some((Val::Known(json!(8500)), 1)));
    let number = s.session_number.first().expect("session number");
    assert_eq!(number.val, Val::Known(json!(2)));
    assert_eq!(
        number.origin.as_ref().and_then(|o| o.at).map(|l| l.file),
        Some(1)
    );
    // What the override does not set stays the base block's.
    assert_eq!(
        first(&s.network_interface_id),
        Some((Val::Known(json!("eni-0123456789abcdef0")), 0))
    );
    // A nested block type of the override replaces the base block's.
    let rule = u
        .resources
        .iter()
        .find(|r| r.address == "aws_ec2_traffic_mirror_filter_rule.r")
        .expect("rule");
    let port = |a: crate::model::graph::Attr| {
        rule.fields
            .get(&a)
            .and_then(|f| f.first())
            .map(|x| x.val.clone())
    };
    assert_eq!(
        port(crate::model::graph::Attr::DestinationFromPort),
        Some(Val::Known(json!(80)))
    );
}

#[test]
fn a_name_declared_twice_and_an_override_of_nothing_are_errors_as_in_terraform() {
    let u = module(&[
        (
            "a.tf",
            "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = 1\n}\nlocals {\n  x = 1\n}\n",
        ),
        (
            "b.tf",
            "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = 40000\n}\nlocals {\n  x = 2\n}\n",
        ),
        ("override.tf", "variable \"v\" {\n  default = 1\n}\n"),
    ]);
    let messages: Vec<&str> = u.errors.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains(
        "resource \"aws_ec2_traffic_mirror_session\" \"s\" is declared twice (first at a.tf:1:10)"
    )));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Duplicate local value definition"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Missing base variable declaration to override"))
    );
    // The first declaration stands: one session, number 1, and no duplicate of it.
    assert_eq!(u.sessions.len(), 1);
    assert_eq!(
        u.sessions
            .first()
            .and_then(|s| s.session_number.first())
            .map(|a| a.val.clone()),
        Some(Val::Known(json!(1)))
    );
}

#[test]
fn for_expressions_over_known_collections_are_evaluated() {
    let u = module(&[(
        "main.tf",
        r#"
variable "objs" {
  default = [
    { name = "b", n = 40001 },
    { name = "a", n = 1 },
    { name = "c", n = 7, skip = true },
  ]
}
variable "later" {}
locals {
  numbers = [for o in var.objs : o.n * 2 if !try(o.skip, false)]
  grouped = { for o in var.objs : (o.n > 5 ? "big" : "small") => o.name... }
  twice   = { for o in var.objs : "same" => o.n }
  unknown = [for x in var.later : x]
}
resource "aws_instance" "web" {
  count = 2
}
resource "aws_ec2_traffic_mirror_session" "objs" {
  for_each             = { for o in var.objs : o.name => o if !try(o.skip, false) }
  session_number       = each.value.n
  packet_length        = local.numbers[0]
  description          = local.grouped.big[1]
  virtual_network_id   = local.twice.same
  traffic_mirror_target_id = local.unknown[0]
}
resource "aws_ec2_traffic_mirror_session" "inst" {
  for_each             = { for i, inst in aws_instance.web[*] : i => inst.primary_network_interface_id }
  network_interface_id = each.value
}
"#,
    )]);
    let addrs: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
    // A map is iterated in key order; `c` is filtered out.
    assert_eq!(
        addrs,
        [
            "aws_ec2_traffic_mirror_session.objs[\"a\"]",
            "aws_ec2_traffic_mirror_session.objs[\"b\"]",
            "aws_ec2_traffic_mirror_session.inst[\"0\"]",
            "aws_ec2_traffic_mirror_session.inst[\"1\"]"
        ]
    );
    let first = crate::parse::first_value;
    let b = &u.sessions[1];
    assert_eq!(first(&b.session_number), Some(Val::Known(json!(40001))));
    assert_eq!(first(&b.packet_length), Some(Val::Known(json!(80002))));
    // Grouping (`...`): the names of the big ones, in order.
    assert_eq!(first(&b.description), Some(Val::Known(json!("c"))));
    // One key twice without grouping is an error in Terraform: unknown here.
    assert!(matches!(
        first(&b.virtual_network_id),
        Some(Val::Unknown(_))
    ));
    // A collection that is not known: unknown.
    assert!(matches!(
        first(&b.traffic_mirror_target_id),
        Some(Val::Unknown(_))
    ));
    // Items of a splat keep their own identities, which the module creates: two
    // different interfaces.
    assert_eq!(
        interface_identities(&u.sessions[2..]),
        [
            Some("ref:aws_instance.web[0].primary_network_interface_id".into()),
            Some("ref:aws_instance.web[1].primary_network_interface_id".into())
        ]
    );
    assert!(
        u.created
            .contains("aws_instance.web[1].primary_network_interface_id")
    );
}

#[test]
fn dynamic_nested_blocks_are_read_per_item_or_as_unknown() {
    let u = module(&[(
        "main.tf",
        r#"
variable "ports" {
  default = [{ from = 90, to = 80 }]
}
variable "later" {}
resource "aws_ec2_traffic_mirror_filter_rule" "known" {
  dynamic "destination_port_range" {
    for_each = var.ports
    iterator = p
    content {
      from_port = p.value.from
      to_port   = p.value.to
    }
  }
}
resource "aws_ec2_traffic_mirror_filter_rule" "unknown" {
  dynamic "destination_port_range" {
    for_each = var.later
    content {
      from_port = destination_port_range.value.from
    }
  }
}
"#,
    )]);
    let port = |address: &str| {
        u.resources
            .iter()
            .find(|r| r.address == address)
            .and_then(|r| {
                r.fields
                    .get(&crate::model::graph::Attr::DestinationFromPort)
            })
            .and_then(|f| f.first())
            .map(|a| a.val.clone())
    };
    assert_eq!(
        port("aws_ec2_traffic_mirror_filter_rule.known"),
        Some(Val::Known(json!(90)))
    );
    assert!(matches!(
        port("aws_ec2_traffic_mirror_filter_rule.unknown"),
        Some(Val::Symbol { .. })
    ));
}

#[test]
fn collection_and_string_functions_evaluate_as_in_terraform() {
    let u = module(&[(
        "main.tf",
        r#"
locals {
  m      = { b = 2, a = 1 }
  enis   = toset(["eni-b", "eni-a", "eni-b"])
  nested = flatten([[1, 2], [3, [4]]])
  cfg    = {}
}
resource "aws_ec2_traffic_mirror_session" "set" {
  for_each       = local.enis
  session_number = 1
}
resource "aws_ec2_traffic_mirror_session" "s" {
  session_number           = keys(local.m)[0] == "a" ? values(local.m)[1] : 0
  packet_length            = sum(local.nested) + length(distinct([1, 1, 2]))
  virtual_network_id       = one([7])
  description              = "${substr("session-web", 8, -1)}-${replace("a.b", ".", "-")}"
  traffic_mirror_filter_id = can(local.cfg.missing) ? "yes" : "no"
  traffic_mirror_target_id = element(slice(reverse(sort(["c", "a", "b"])), 0, 2), 1)
}
"#,
    )]);
    let addrs: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
    // A set holds each value once, in order.
    assert_eq!(
        addrs,
        [
            "aws_ec2_traffic_mirror_session.set[\"eni-a\"]",
            "aws_ec2_traffic_mirror_session.set[\"eni-b\"]",
            "aws_ec2_traffic_mirror_session.s"
        ]
    );
    let s = &u.sessions[2];
    let first = crate::parse::first_value;
    assert_eq!(first(&s.session_number), Some(Val::Known(json!(2))));
    assert_eq!(first(&s.packet_length), Some(Val::Known(json!(12))));
    assert_eq!(first(&s.virtual_network_id), Some(Val::Known(json!(7))));
    assert_eq!(first(&s.description), Some(Val::Known(json!("web-a-b"))));
    assert_eq!(
        first(&s.traffic_mirror_filter_id),
        Some(Val::Known(json!("no")))
    );
    assert_eq!(
        first(&s.traffic_mirror_target_id),
        Some(Val::Known(json!("b")))
    );
}

#[test]
fn a_for_expression_that_repeats_a_large_value_stops_at_its_size_limit() {
    let u = module(&[(
        "main.tf",
        r#"
locals {
  big  = join("", [for i in range(1000) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
  many = [for i in range(1000) : [for j in range(1000) : local.big]]
}
resource "aws_ec2_traffic_mirror_session" "s" {
  session_number = length(local.many)
}
"#,
    )]);
    let s = u.sessions.first().expect("session");
    assert!(matches!(
        s.session_number.first().map(|a| &a.val),
        Some(Val::Unknown(why) | Val::Symbol { why, .. }) if why.contains("builds more than")
    ));
    assert!(!u.errors.is_empty(), "the oversized value is reported");
}

#[test]
fn an_instance_primary_network_interface_block_names_its_primary_interface() {
    let u = module(&[(
        "main.tf",
        r#"
resource "aws_network_interface" "a" {}
resource "aws_instance" "x" {
  primary_network_interface {
    network_interface_id = aws_network_interface.a.id
  }
}
resource "aws_ec2_traffic_mirror_session" "s" {
  network_interface_id = aws_instance.x.primary_network_interface_id
}
"#,
    )]);
    assert_eq!(
        interface_identities(&u.sessions),
        [Some("ref:aws_network_interface.a.id".into())]
    );
}

/// `each` of a block whose `for_each` is not known stands for an item of that collection:
/// two blocks over different collections read different values (found on a repository that
/// mirrors the instances of three subnets, each through `for_each = data.aws_instance.x`,
/// where MG005 took the three `each.value.network_interface_id` for one interface), while
/// blocks over the same collection read the same item for the same key.
#[test]
fn each_of_an_unknown_for_each_names_its_collection() {
    let session = |name: &str, over: &str, eni: &str| {
        format!(
            "resource \"aws_ec2_traffic_mirror_session\" \"{name}\" {{\n  for_each = {over}\n  network_interface_id = {eni}\n  description = \"${{each.key}} of var.each\"\n}}\n"
        )
    };
    let text = [
        session(
            "a",
            "data.aws_instance.a",
            "each.value.network_interface_id",
        ),
        session(
            "b",
            "data.aws_instance.b",
            "each.value.network_interface_id",
        ),
        session(
            "c",
            "data.aws_instance.a",
            "each.value.network_interface_id",
        ),
        session("d", "toset(var.enis)", "\"${each.value}\""),
    ]
    .concat();
    let u = module(&[("main.tf", &text)]);
    assert_eq!(
        interface_identities(&u.sessions),
        [
            Some("ref:each.value.network_interface_id (for_each = data.aws_instance.a)".into()),
            Some("ref:each.value.network_interface_id (for_each = data.aws_instance.b)".into()),
            Some("ref:each.value.network_interface_id (for_each = data.aws_instance.a)".into()),
            Some("ref:each.value (for_each = toset(var.enis))".into()),
        ]
    );
    // A name that only ends in `each` is not `each`.
    assert!(super::eval::reads_each("\"${each.key} of var.each\""));
    assert!(!super::eval::reads_each("var.each.x"));
    assert!(!super::eval::reads_each("reach.x"));
}
