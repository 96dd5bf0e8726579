//! The mirror graph of each unit as Mermaid, Graphviz DOT or JSON (`mirrorguard graph`).
//! Nodes with findings are drawn red and name the rules; unknown values are dashed.

use std::fmt::Write as _;

use serde_json::json;

use crate::report::topology::{NodeKind, Topology};

/// Text safe inside a Mermaid `["…"]` label: quotes and markup as entity codes.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn node_lines(label: &[String], findings: &[String], esc: fn(&str) -> String, br: &str) -> String {
    let mut lines: Vec<String> = label.iter().map(|l| esc(l)).collect();
    if !findings.is_empty() {
        lines.push(esc(&format!("⚠ {}", findings.join(", "))));
    }
    lines.join(br)
}

/// One Mermaid flowchart per unit, each in its own subgraph.
pub(crate) fn mermaid(topologies: &[Topology]) -> String {
    let mut s = String::from("flowchart LR\n");
    for (u, t) in topologies.iter().enumerate() {
        mermaid_unit(&mut s, u, t);
    }
    s.push_str("  classDef finding stroke:#d1242f,stroke-width:3px,color:#d1242f\n");
    s.push_str("  classDef unknown stroke-dasharray: 5 5\n");
    s
}

/// The Mermaid drawing of one unit (a whole `flowchart`, for embedding).
pub(crate) fn mermaid_one(t: &Topology) -> String {
    mermaid(std::slice::from_ref(t))
}

fn mermaid_unit(s: &mut String, u: usize, t: &Topology) {
    let _ = writeln!(s, "  subgraph u{u}[\"{}\"]", mermaid_text(&t.unit));
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    for n in &t.nodes {
        let id = format!("u{u}{}", n.id);
        let text = node_lines(&n.label, &n.findings, mermaid_text, "<br/>");
        let (open, close) = match n.kind {
            NodeKind::Source => ("([\"", "\"])"),
            NodeKind::Session => ("[\"", "\"]"),
            NodeKind::Target => ("[(\"", "\")]"),
            NodeKind::Filter => ("{{\"", "\"}}"),
        };
        let _ = writeln!(s, "    {id}{open}{text}{close}");
        if !n.findings.is_empty() {
            findings.push(id);
        } else if n.unknown {
            unknown.push(id);
        }
    }
    for e in &t.edges {
        let mut label: Vec<String> = e.label.iter().cloned().collect();
        if !e.findings.is_empty() {
            label.push(format!("⚠ {}", e.findings.join(", ")));
        }
        let arrow = if label.is_empty() {
            "-->".to_owned()
        } else {
            format!("-->|\"{}\"|", mermaid_text(&label.join(" · ")))
        };
        let _ = writeln!(s, "    u{u}{} {arrow} u{u}{}", e.from, e.to);
    }
    s.push_str("  end\n");
    if !findings.is_empty() {
        let _ = writeln!(s, "  class {} finding", findings.join(","));
    }
    if !unknown.is_empty() {
        let _ = writeln!(s, "  class {} unknown", unknown.join(","));
    }
}

/// Text safe inside a DOT double-quoted string.
fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One Graphviz digraph, one cluster per unit.
pub(crate) fn dot(topologies: &[Topology]) -> String {
    let mut s = String::from(
        "digraph mirrorguard {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (u, t) in topologies.iter().enumerate() {
        let _ = writeln!(
            s,
            "  subgraph cluster_{u} {{\n    label=\"{}\";",
            dot_text(&t.unit)
        );
        for n in &t.nodes {
            let shape = match n.kind {
                NodeKind::Source => "ellipse",
                NodeKind::Session => "box",
                NodeKind::Target => "cylinder",
                NodeKind::Filter => "hexagon",
            };
            let mut attrs = vec![
                format!(
                    "label=\"{}\"",
                    node_lines(&n.label, &n.findings, dot_text, "\\n")
                ),
                format!("shape={shape}"),
            ];
            if !n.findings.is_empty() {
                attrs.push("color=\"#d1242f\"".into());
                attrs.push("fontcolor=\"#d1242f\"".into());
                attrs.push("penwidth=2".into());
            }
            if n.unknown {
                attrs.push("style=dashed".into());
            }
            let _ = writeln!(s, "    u{u}{} [{}];", n.id, attrs.join(", "));
        }
        for e in &t.edges {
            let mut label: Vec<String> = e.label.iter().cloned().collect();
            let mut attrs = Vec::new();
            if !e.findings.is_empty() {
                label.push(format!("⚠ {}", e.findings.join(", ")));
                attrs.push("color=\"#d1242f\"".to_owned());
                attrs.push("fontcolor=\"#d1242f\"".to_owned());
            }
            if !label.is_empty() {
                attrs.insert(0, format!("label=\"{}\"", dot_text(&label.join(" · "))));
            }
            let attrs = if attrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attrs.join(", "))
            };
            let _ = writeln!(s, "    u{u}{} -> u{u}{}{attrs};", e.from, e.to);
        }
        s.push_str("  }\n");
    }
    s.push_str("}\n");
    s
}

/// The drawings as JSON (`schema_version` 1).
pub(crate) fn json(topologies: &[Topology]) -> String {
    let mut text = serde_json::to_string_pretty(&json!({
        "schema_version": 1,
        "units": topologies,
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}
