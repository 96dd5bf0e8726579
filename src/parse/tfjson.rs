//! Terraform JSON (`*.tf.json`) into the same HCL body the `.tf` reader evaluates.
//!
//! The JSON is parsed with spans, rewritten as equivalent native syntax (strings become
//! templates, so `"${var.x}"` is the expression `var.x`), and parsed by hcl-edit. A
//! [`Remap`] records, for every generated value, the span of the JSON value it came from, so
//! findings point into the file the user wrote. Terraform's JSON rules are kept: variable
//! defaults are literal (no interpolation), everything else may interpolate.

use std::fmt::Write as _;

use super::tree::{Entry, Node, NodeKind};
use crate::error::FileError;
use crate::source::{SourceFile, Span};

/// Generated-text ranges and the JSON spans they stand for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Remap {
    /// `(generated start, generated end, JSON span)`, in generation order.
    regions: Vec<(usize, usize, Span)>,
}

impl Remap {
    /// The JSON span for a span of the generated text: the innermost generated value that
    /// contains it (a reference inside a template maps to the whole JSON string).
    pub(crate) fn map(&self, span: Span) -> Span {
        let mut best: Option<(usize, Span)> = None;
        for &(start, end, json) in &self.regions {
            if start <= span.start && span.end <= end {
                let width = end - start;
                if best.is_none_or(|(w, _)| width < w) {
                    best = Some((width, json));
                }
            }
        }
        best.map_or_else(
            || {
                // A span crossing values (a whole block): the first region inside it.
                self.regions
                    .iter()
                    .find(|&&(s, _, _)| s >= span.start && s < span.end.max(span.start + 1))
                    .map_or(Span::default(), |&(_, _, j)| j)
            },
            |(_, j)| j,
        )
    }
}

/// The generated native-syntax text and its remap.
pub(crate) struct Generated {
    pub(crate) text: String,
    pub(crate) remap: Remap,
}

/// Rewrites a parsed `.tf.json` document as native syntax.
pub(crate) fn generate(source: &SourceFile, root: &Node) -> Result<Generated, FileError> {
    let Some(top) = root.as_map() else {
        return Err(FileError::at(
            source,
            root.span,
            "a .tf.json file must be a JSON object",
        ));
    };
    let mut g = Gen {
        out: String::new(),
        remap: Remap::default(),
    };
    for entry in top {
        match entry.key.as_str() {
            "resource" | "data" => g.two_label_blocks(&entry.key, &entry.value),
            "variable" | "module" | "output" => g.one_label_blocks(&entry.key, &entry.value),
            "locals" => {
                for locals in each_object(&entry.value) {
                    g.out.push_str("locals {\n");
                    g.attributes(locals, true);
                    g.out.push_str("}\n");
                }
            }
            "provider" => g.one_label_blocks("provider", &entry.value),
            _ => {}
        }
    }
    Ok(Generated {
        text: g.out,
        remap: g.remap,
    })
}

/// Rewrites a `.tfvars.json` document (literal values) as native syntax.
pub(crate) fn generate_tfvars(source: &SourceFile, root: &Node) -> Result<Generated, FileError> {
    let Some(top) = root.as_map() else {
        return Err(FileError::at(
            source,
            root.span,
            "a .tfvars.json file must be a JSON object",
        ));
    };
    let mut g = Gen {
        out: String::new(),
        remap: Remap::default(),
    };
    g.attributes(top, false);
    Ok(Generated {
        text: g.out,
        remap: g.remap,
    })
}

/// A JSON value that is an object, or each object of an array of objects (Terraform JSON
/// allows both for repeated blocks).
fn each_object(node: &Node) -> Vec<&[Entry]> {
    match &node.kind {
        NodeKind::Map(entries) => vec![entries.as_slice()],
        NodeKind::Seq(items) => items.iter().filter_map(Node::as_map).collect(),
        _ => Vec::new(),
    }
}

struct Gen {
    out: String,
    remap: Remap,
}

impl Gen {
    fn label(&mut self, text: &str, span: Span) {
        let start = self.out.len();
        self.out.push('"');
        push_escaped(&mut self.out, text, false);
        self.out.push('"');
        self.remap.regions.push((start, self.out.len(), span));
    }

    fn two_label_blocks(&mut self, kind: &str, node: &Node) {
        for types in each_object(node) {
            for ty in types {
                for names in each_object(&ty.value) {
                    for name in names {
                        for body in each_object(&name.value) {
                            self.out.push_str(kind);
                            self.out.push(' ');
                            self.label(&ty.key, ty.key_span);
                            self.out.push(' ');
                            self.label(&name.key, name.key_span);
                            self.out.push_str(" {\n");
                            self.attributes(body, true);
                            self.out.push_str("}\n");
                        }
                    }
                }
            }
        }
    }

    fn one_label_blocks(&mut self, kind: &str, node: &Node) {
        for names in each_object(node) {
            for name in names {
                for body in each_object(&name.value) {
                    self.out.push_str(kind);
                    self.out.push(' ');
                    self.label(&name.key, name.key_span);
                    self.out.push_str(" {\n");
                    // Variable defaults are literal values in Terraform JSON.
                    self.attributes(body, kind != "variable");
                    self.out.push_str("}\n");
                }
            }
        }
    }

    fn attributes(&mut self, entries: &[Entry], interpolate: bool) {
        for e in entries {
            if !is_identifier(&e.key) {
                continue;
            }
            self.out.push_str("  ");
            self.out.push_str(&e.key);
            self.out.push_str(" = ");
            self.value(&e.value, interpolate);
            self.out.push('\n');
        }
    }

    fn value(&mut self, node: &Node, interpolate: bool) {
        let start = self.out.len();
        match &node.kind {
            NodeKind::Null => self.out.push_str("null"),
            NodeKind::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            NodeKind::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            NodeKind::Float(f) if f.is_finite() => {
                let _ = write!(self.out, "{f}");
            }
            NodeKind::Float(_) => self.out.push_str("null"),
            NodeKind::Str(s) => {
                self.out.push('"');
                push_escaped(&mut self.out, s, interpolate);
                self.out.push('"');
            }
            NodeKind::Seq(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.value(item, interpolate);
                }
                self.out.push(']');
            }
            NodeKind::Map(entries) => {
                self.out.push_str("{\n");
                for e in entries {
                    let key_start = self.out.len();
                    self.out.push('"');
                    push_escaped(&mut self.out, &e.key, false);
                    self.out.push('"');
                    self.remap
                        .regions
                        .push((key_start, self.out.len(), e.key_span));
                    self.out.push_str(" = ");
                    self.value(&e.value, interpolate);
                    self.out.push('\n');
                }
                self.out.push('}');
            }
        }
        self.remap.regions.push((start, self.out.len(), node.span));
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Writes `s` as the inside of an HCL quoted string. With `interpolate`, `${` and `%{`
/// stay template syntax; without, they are escaped to literal text.
fn push_escaped(out: &mut String, s: &str, interpolate: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if !interpolate && chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    #[test]
    fn strings_become_templates_and_spans_map_back() {
        let text = r#"{"resource": {"aws_ec2_traffic_mirror_session": {"s": {"session_number": "${var.n + 1}", "description": "a \"b\""}}},
 "variable": {"n": {"default": "${not_interpolated}"}}}"#;
        let src = SourceFile::in_memory("m.tf.json", text);
        let root = json::parse(&src).ok().flatten().expect("json");
        let g = generate(&src, &root).expect("generated");
        assert!(
            g.text.contains("session_number = \"${var.n + 1}\""),
            "{}",
            g.text
        );
        assert!(
            g.text.contains("default = \"$${not_interpolated}\""),
            "{}",
            g.text
        );
        let body = hcl_edit::parser::parse_body(&g.text).expect("valid HCL");
        assert_eq!(body.blocks().count(), 2);
        let at = g.text.find("var.n").expect("present");
        let mapped = g.remap.map(Span::new(at, at + 5));
        assert_eq!(&text[mapped.start..mapped.end], "\"${var.n + 1}\"");
    }
}
