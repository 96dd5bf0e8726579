//! One span-keeping document tree for YAML and JSON.
//!
//! CloudFormation can be written in either; both loaders produce this tree so the
//! CloudFormation reader is written once. Keys keep their own spans (findings about a
//! missing property point at the resource's key), and mappings keep every entry in
//! source order, duplicates included, so that nothing the user wrote is silently lost.

use crate::source::Span;

/// A node with the byte span of the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) span: Span,
    /// A local YAML tag such as `!Ref` (stored without the `!`), if any.
    pub(crate) tag: Option<String>,
    pub(crate) kind: NodeKind,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Null,
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: Node,
}

impl Node {
    /// The entries of a mapping, or `None`.
    pub(crate) fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence, or `None`.
    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string scalar, or `None`.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value for `key` in a mapping (the last one, as YAML and JSON loaders do).
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key` in a mapping (the last one when duplicated).
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|e| e.key == key)
    }

    /// A scalar rendered as text (numbers and booleans included); `None` for collections.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(f.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Null => None,
            NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    /// The node as plain JSON (tags dropped), for values handed to rules.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            NodeKind::Null => serde_json::Value::Null,
            NodeKind::Bool(b) => serde_json::Value::Bool(*b),
            NodeKind::Int(i) => serde_json::Value::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            NodeKind::Str(s) => serde_json::Value::String(s.clone()),
            NodeKind::Seq(items) => items.iter().map(Node::to_json).collect(),
            NodeKind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The deepest nesting any loader accepts. Real templates stay far below it; hostile
/// input above it is rejected with a clear error instead of exhausting the stack.
pub(crate) const MAX_DEPTH: usize = 256;
