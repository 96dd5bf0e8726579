//! Terraform reader: values, count and conditionals.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::{Condition, Unit, Val};
use crate::source::SourceFile;

fn module(files: &[(&str, &str)]) -> Unit {
    let parsed: Vec<ParsedFile> = files
        .iter()
        .map(|(name, text)| {
            let source = Arc::new(SourceFile::in_memory(name, text));
            parse_file(&source).expect("parses")
        })
        .collect();
    read_module("m".into(), parsed, Vec::new(), None)
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
    let enis: Vec<Option<String>> = u
        .sessions
        .iter()
        .map(|s| {
            s.network_interface_id
                .first()
                .and_then(|a| crate::model::identity(&a.val))
        })
        .collect();
    assert_eq!(
        enis,
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
