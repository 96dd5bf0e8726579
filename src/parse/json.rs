//! JSON loader: jsonc-parser's AST (byte ranges on every node) into a [`Node`] tree.
//!
//! jsonc-parser is lenient by default (comments, trailing commas, single quotes); every
//! extension is switched off here because CloudFormation and Terraform reject them.
//! Its parser is recursive, so nesting depth is checked with a byte scan first.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::tree::{Entry, MAX_DEPTH, Node, NodeKind};
use super::yaml::MAX_NODES;
use crate::error::FileError;
use crate::source::{SourceFile, Span};

/// Strict JSON: none of jsonc-parser's extensions.
fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parses a JSON document. An empty document gives `None`.
pub(crate) fn parse(source: &SourceFile) -> Result<Option<Node>, FileError> {
    if let Some(at) = nesting_exceeds(source.text.as_bytes(), MAX_DEPTH) {
        return Err(FileError::at(
            source,
            Span::new(at, at + 1),
            format!("JSON nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    // The parser's tree costs far more than the text: bound it before building it.
    if let Some(at) = values_exceed(source.text.as_bytes(), MAX_NODES) {
        return Err(FileError::at(
            source,
            Span::new(at, at + 1),
            format!("more than {MAX_NODES} JSON values in one document"),
        ));
    }
    let parsed =
        parse_to_ast(&source.text, &CollectOptions::default(), &strict()).map_err(|e| {
            let r = e.range();
            FileError::at(
                source,
                Span::new(r.start, r.end),
                format!("invalid JSON: {}", e.kind()),
            )
        })?;
    parsed
        .value
        .map(|v| convert(&v))
        .transpose()
        .map_err(|(message, span)| FileError::at(source, span, message))
}

fn convert(value: &Value<'_>) -> Result<Node, (String, Span)> {
    let (start, end, kind) = match value {
        Value::StringLit(s) => (
            s.range.start,
            s.range.end,
            NodeKind::Str(s.value.to_string()),
        ),
        Value::NumberLit(n) => (n.range.start, n.range.end, number(n.value)),
        Value::BooleanLit(b) => (b.range.start, b.range.end, NodeKind::Bool(b.value)),
        Value::NullKeyword(n) => (n.range.start, n.range.end, NodeKind::Null),
        Value::Array(a) => (
            a.range.start,
            a.range.end,
            NodeKind::Seq(a.elements.iter().map(convert).collect::<Result<_, _>>()?),
        ),
        Value::Object(o) => {
            let mut seen = std::collections::HashSet::new();
            let mut entries = Vec::with_capacity(o.properties.len());
            for p in &o.properties {
                let (key, range) = match &p.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ObjectPropName::Word(w) => (w.value.to_owned(), w.range),
                };
                let key_span = Span::new(range.start, range.end);
                // CloudFormation rejects a key given twice; keeping one would hide the other.
                if !seen.insert(key.clone()) {
                    return Err((
                        format!("duplicate key {key}: it is already set above in this object"),
                        key_span,
                    ));
                }
                entries.push(Entry {
                    key,
                    key_span,
                    value: convert(&p.value)?,
                });
            }
            (o.range.start, o.range.end, NodeKind::Map(entries))
        }
    };
    Ok(Node {
        span: Span::new(start, end),
        tag: None,
        kind,
    })
}

/// Byte offset where the count of values (separators and openers outside strings) first
/// exceeds `max`, if it does.
fn values_exceed(bytes: &[u8], max: usize) -> Option<usize> {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' | b':' => {
                count += 1;
                if count > max {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn number(text: &str) -> NodeKind {
    if let Ok(i) = text.parse::<i64>() {
        return NodeKind::Int(i);
    }
    match text.parse::<f64>() {
        Ok(f) => NodeKind::Float(f),
        Err(_) => NodeKind::Str(text.to_owned()),
    }
}

/// Byte offset where bracket nesting (outside strings) first exceeds `max`, if it does.
/// Used before any recursive parser (JSON, HCL) sees hostile input.
pub(crate) fn nesting_exceeds(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b'(' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_json_rejects_trailing_commas_with_position() {
        let f = SourceFile::in_memory("t.json", "{\n  \"a\": 1,\n}\n");
        let err = parse(&f).expect_err("trailing comma");
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }

    #[test]
    fn spans_point_at_values() {
        let text = "{\"Resources\": {\"S\": {\"SessionNumber\": 40000}}}";
        let f = SourceFile::in_memory("t.json", text);
        let root = parse(&f).ok().flatten().expect("root");
        let n = root
            .get("Resources")
            .and_then(|r| r.get("S"))
            .and_then(|s| s.get("SessionNumber"))
            .expect("value");
        assert_eq!(&text[n.span.start..n.span.end], "40000");
    }

    #[test]
    fn a_duplicate_key_is_an_error_at_the_second_key() {
        let f = SourceFile::in_memory("t.json", "{\"a\": 1,\n \"b\": {\"a\": 2},\n \"a\": 3}");
        let err = parse(&f).expect_err("duplicate");
        assert!(err.message.contains("duplicate key a"), "{}", err.message);
        assert_eq!(err.position.map(|p| (p.line, p.column)), Some((3, 2)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(200_000);
        let f = SourceFile::in_memory("deep.json", &text);
        assert!(parse(&f).is_err());
    }
}
