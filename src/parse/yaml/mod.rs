//! YAML loader: saphyr-parser events into a [`Node`] tree with byte spans.
//!
//! saphyr keeps CloudFormation short-form tags (`!Ref`, `!If`, ...) and exact marks, but
//! its own tree merges duplicate keys and expands aliases without limit. Building the tree
//! from its event stream here keeps every entry, bounds nesting and alias expansion, and
//! converts saphyr's character marks into byte offsets once.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span as YSpan, Tag};

use super::tree::{Entry, MAX_DEPTH, Node, NodeKind};
use crate::error::FileError;
use crate::source::{SourceFile, Span};

/// Most nodes alias expansion may create in one document (a "billion laughs" guard).
const MAX_ALIAS_NODES: usize = 100_000;
/// Most bytes alias expansion may copy, beyond this many times the file's size.
const ALIAS_BYTES_PER_FILE_BYTE: usize = 8;
/// Alias expansion may always copy this many bytes, however small the file.
const MIN_ALIAS_BYTES: usize = 1 << 20;

mod merge;
mod parts;

/// Parses the first YAML document of `source`. An empty file gives `None`. A large template
/// is parsed in parts, in parallel, when that gives the same tree ([`parts`]).
pub(crate) fn parse(source: &SourceFile) -> Result<Option<Node>, FileError> {
    if let Some(root) = parts::parse_in_parts(source, parts::PART_BYTES) {
        return Ok(Some(root));
    }
    parse_whole(source)
}

/// Whether `source`, parsed in parts of one resource, gives the one-pass tree (compared
/// printed: a NaN is not equal to itself) or is left to one pass. The fuzz targets check it.
pub(crate) fn parts_agree(source: &SourceFile) -> bool {
    parts::parse_in_parts(source, 1).is_none_or(|parts| {
        matches!(parse_whole(source), Ok(Some(whole)) if format!("{whole:?}") == format!("{parts:?}"))
    })
}

/// Parses the first YAML document of `source` in one pass.
fn parse_whole(source: &SourceFile) -> Result<Option<Node>, FileError> {
    let text: &str = &source.text;
    let ascii = text.is_ascii();
    let to_byte = |m: &Marker| -> usize {
        if ascii {
            m.index().min(text.len())
        } else {
            source.offset_of_line_char(m.line(), m.col())
        }
    };
    load(text, text, Builder::new(text.len(), MAX_DEPTH), to_byte)
        .map(|b| b.root)
        .map_err(|(span, message)| FileError::at(source, span, message))
}

/// Runs saphyr over `text` (all of a file, or a part of it) into `builder`: `whole` is the
/// file's text and `to_byte` maps saphyr's marks to byte offsets in it. Errors carry the
/// span (in `whole`) where they are.
fn load(
    text: &str,
    whole: &str,
    mut builder: Builder,
    to_byte: impl Fn(&Marker) -> usize,
) -> Result<Builder, (Span, String)> {
    let span_of = |s: &YSpan| Span::new(to_byte(&s.start), to_byte(&s.end));
    let invalid = |err: &saphyr_parser::ScanError| {
        let at = to_byte(err.marker());
        (Span::new(at, at), format!("invalid YAML: {}", err.info()))
    };
    let mut events = Parser::new_from_str(text);
    for event in events.by_ref() {
        let (event, yspan) = event.map_err(|err| invalid(&err))?;
        let mut span = span_of(&yspan);
        // saphyr ends a quoted scalar's span after what follows it on the line (spaces, a
        // comment): it ends at the closing quote.
        if let Event::Scalar(
            _,
            style @ (ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted),
            ..,
        ) = &event
        {
            span = quoted_span(whole, span, *style);
        }
        match builder.push(event, span) {
            Ok(Step::Continue) => {}
            Ok(Step::Done) => break,
            Err((message, at)) => return Err((at.unwrap_or(span), message)),
        }
    }
    // CloudFormation reads one document: a second one would silently go unchecked.
    for event in events {
        match event {
            Ok((Event::DocumentStart(_), yspan)) => {
                return Err((
                    span_of(&yspan),
                    "a second YAML document starts here: CloudFormation and mirrorguard read one document per file; split the file".to_owned(),
                ));
            }
            Ok(_) => {}
            Err(err) => return Err(invalid(&err)),
        }
    }
    Ok(builder)
}

/// An error and, when it is not at the current event, where it is.
type BuildError = (String, Option<Span>);

enum Step {
    Continue,
    Done,
}

enum Frame {
    Seq {
        start: Span,
        tag: Option<String>,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        tag: Option<String>,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Span)>,
        /// The keys so far, once the mapping is too long to search its entries.
        keys: Option<KeySet>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    alias_bytes: usize,
    alias_byte_budget: usize,
    /// The most collections open at once (fewer for a part, which starts nested).
    depth_limit: usize,
    nodes: usize,
    root: Option<Node>,
}

/// Most nodes one document may hold (memory stays proportional to a sane file).
pub(crate) const MAX_NODES: usize = 4_000_000;

impl Builder {
    /// A builder for a file of `file_bytes` (its alias budget), opening at most
    /// `depth_limit` collections at once.
    fn new(file_bytes: usize, depth_limit: usize) -> Self {
        Self {
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            alias_byte_budget: file_bytes
                .saturating_mul(ALIAS_BYTES_PER_FILE_BYTE)
                .max(MIN_ALIAS_BYTES),
            depth_limit,
            nodes: 0,
            root: None,
        }
    }

    /// Whether the document defined an anchor (an alias needs one: it fails without).
    fn anchored(&self) -> bool {
        !self.anchors.is_empty()
    }

    fn push(&mut self, event: Event<'_>, span: Span) -> Result<Step, BuildError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err((
                format!("more than {MAX_NODES} YAML values in one document"),
                None,
            ));
        }
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => return Ok(Step::Done),
            Event::DocumentStart(_) => {}
            Event::DocumentEnd => return Ok(Step::Done),
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar_node(&value, style, tag.as_deref(), span);
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                return self.add(node);
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| ("alias to an unknown anchor".to_owned(), None))?;
                let (nodes, bytes) = size_of(&node);
                self.alias_nodes += nodes;
                self.alias_bytes += bytes;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err((
                        format!(
                            "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?)"
                        ),
                        None,
                    ));
                }
                if self.alias_bytes > self.alias_byte_budget {
                    return Err((
                        format!(
                            "YAML aliases expand to more than {} bytes, {ALIAS_BYTES_PER_FILE_BYTE} times the file (alias bomb?)",
                            self.alias_byte_budget
                        ),
                        None,
                    ));
                }
                let node = Node { span, ..node };
                return self.add(node);
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(Frame::Seq {
                    start: span,
                    tag: tag_name(tag.as_deref()),
                    anchor,
                    items: Vec::new(),
                })?;
            }
            Event::MappingStart(anchor, tag) => {
                self.open(Frame::Map {
                    start: span,
                    tag: tag_name(tag.as_deref()),
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                    keys: None,
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self
                    .stack
                    .pop()
                    .ok_or_else(|| ("unbalanced YAML collection".to_owned(), None))?;
                let (node, anchor) = match frame {
                    Frame::Seq {
                        start,
                        tag,
                        anchor,
                        items,
                    } => (
                        Node {
                            span: Span::new(start.start, span.end.max(start.end)),
                            tag,
                            kind: NodeKind::Seq(exact(items)),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        start,
                        tag,
                        anchor,
                        entries,
                        ..
                    } => (
                        Node {
                            span: Span::new(start.start, span.end.max(start.end)),
                            tag,
                            kind: NodeKind::Map(exact(merge::resolve(entries))),
                        },
                        anchor,
                    ),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                return self.add(node);
            }
        }
        Ok(Step::Continue)
    }

    fn open(&mut self, frame: Frame) -> Result<(), BuildError> {
        if self.stack.len() >= self.depth_limit {
            return Err((format!("YAML nested deeper than {MAX_DEPTH} levels"), None));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn add(&mut self, node: Node) -> Result<Step, BuildError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(Step::Done)
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(Step::Continue)
            }
            Some(Frame::Map {
                entries,
                pending_key,
                keys,
                ..
            }) => {
                match pending_key.take() {
                    None => {
                        let key = match &node.kind {
                            NodeKind::Null => String::new(),
                            _ => node.scalar_text().ok_or_else(|| {
                                ("mapping keys must be scalars".to_owned(), Some(node.span))
                            })?,
                        };
                        // CloudFormation rejects a template with a key twice; a parser that
                        // kept one would hide the other value.
                        if key != "<<" && is_repeated(&key, entries, keys) {
                            return Err((
                                format!(
                                    "duplicate key {key}: it is already set above in this mapping"
                                ),
                                Some(node.span),
                            ));
                        }
                        *pending_key = Some((key, node.span));
                    }
                    Some((key, key_span)) => entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    }),
                }
                Ok(Step::Continue)
            }
        }
    }
}

/// The keys of a long mapping (foldhash, seeded per process: a hostile file cannot choose
/// keys that collide).
type KeySet = std::collections::HashSet<String, foldhash::fast::RandomState>;

/// Mappings up to this many entries are searched for a repeated key; longer ones keep a set.
const SEARCHED_KEYS: usize = 16;

/// Whether `key` is already a key of the mapping, and notes it. Every earlier key is in
/// `entries` (a key is pending only until its value comes). Most mappings are short: a
/// search of their entries costs no allocation, where a set per mapping cost a set and a
/// copy of every key (its hashing alone was about 6% of the YAML reading of 1,000
/// templates).
fn is_repeated(key: &str, entries: &[Entry], keys: &mut Option<KeySet>) -> bool {
    if let Some(set) = keys {
        return !set.insert(key.to_owned());
    }
    if entries.iter().any(|e| e.key == key) {
        return true;
    }
    if entries.len() >= SEARCHED_KEYS {
        let mut set = KeySet::default();
        set.extend(
            entries
                .iter()
                .filter(|e| e.key != "<<")
                .map(|e| e.key.clone()),
        );
        set.insert(key.to_owned());
        *keys = Some(set);
    }
    false
}

/// A collection's list without spare room: pushed one by one, a list of two entries holds
/// room for four, and on a template of 50,000 sessions that spare room was a third of the
/// tree (117 -> 80 MB).
fn exact<T>(mut list: Vec<T>) -> Vec<T> {
    list.shrink_to_fit();
    list
}

/// The nodes and bytes (of scalars and keys) a node holds.
fn size_of(node: &Node) -> (usize, usize) {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().fold((1, 0), |(n, b), i| {
            let (n2, b2) = size_of(i);
            (n + n2, b + b2)
        }),
        NodeKind::Map(entries) => entries.iter().fold((1, 0), |(n, b), e| {
            let (n2, b2) = size_of(&e.value);
            (n + 1 + n2, b + e.key.len() + b2)
        }),
        NodeKind::Str(s) => (1, s.len()),
        _ => (1, 8),
    }
}

/// The local tag's name (`!Ref` gives `Ref`); core `!!` tags give `None`.
fn tag_name(tag: Option<&Tag>) -> Option<String> {
    let tag = tag?;
    if tag.handle == "!" {
        Some(tag.suffix.clone())
    } else {
        None
    }
}

fn is_core_str_tag(tag: Option<&Tag>) -> bool {
    tag.is_some_and(|t| {
        (t.handle == "!!" && t.suffix == "str") || t.suffix == "tag:yaml.org,2002:str"
    })
}

/// The span of a quoted scalar up to its closing quote (escapes skipped).
fn quoted_span(text: &str, span: Span, style: ScalarStyle) -> Span {
    let quote = if style == ScalarStyle::DoubleQuoted {
        b'"'
    } else {
        b'\''
    };
    let bytes = text.as_bytes();
    if bytes.get(span.start) != Some(&quote) {
        return span;
    }
    let mut i = span.start + 1;
    while i < bytes.len() && i < span.end.max(span.start + 1) {
        match bytes.get(i) {
            Some(b'\\') if quote == b'"' => i += 2,
            Some(&b) if b == quote => {
                // '' inside single quotes is an escaped quote.
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Span::new(span.start, i + 1);
            }
            _ => i += 1,
        }
    }
    span
}

fn scalar_node(value: &str, style: ScalarStyle, tag: Option<&Tag>, span: Span) -> Node {
    // An empty block scalar (`key: >` and nothing under it) is where its content would
    // start: saphyr marks it from its indicator at the end of a text and from the next token
    // otherwise, so a template parsed in parts would differ from one pass (found by fuzzing).
    let span = if value.is_empty() && matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
        Span::new(span.end, span.end)
    } else {
        span
    };
    let kind = if style != ScalarStyle::Plain || is_core_str_tag(tag) || tag_name(tag).is_some() {
        NodeKind::Str(value.to_owned())
    } else {
        resolve_plain(value)
    };
    Node {
        span,
        tag: tag_name(tag),
        kind,
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(value: &str) -> NodeKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(value) {
        return NodeKind::Int(i);
    }
    let first = value.as_bytes().first().copied().unwrap_or(b' ');
    if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && value.bytes().any(|b| b.is_ascii_digit())
        && let Ok(f) = value.parse::<f64>()
    {
        return NodeKind::Float(f);
    }
    match value {
        ".inf" | ".Inf" | ".INF" | "+.inf" => NodeKind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => NodeKind::Float(f64::NAN),
        _ => NodeKind::Str(value.to_owned()),
    }
}

fn parse_int(value: &str) -> Option<i64> {
    let (neg, digits) = match value.as_bytes().first()? {
        b'-' => (true, value.get(1..)?),
        b'+' => (false, value.get(1..)?),
        _ => (false, value),
    };
    let parsed = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -parsed } else { parsed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Node {
        let f = SourceFile::in_memory("t.yaml", text);
        match parse(&f) {
            Ok(Some(n)) => n,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Found by fuzzing: an empty folded scalar that ends a resource had one span when the
    /// template was parsed in parts and another in one pass.
    #[test]
    fn an_empty_block_scalar_ending_a_part_has_the_span_of_one_pass() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      Description: >\n  B:\n    Type: AWS::EC2::TrafficMirrorSession\n";
        let src = SourceFile::in_memory("t.yaml", text);
        assert!(parts_agree(&src));
        let root = load(text);
        let d = root
            .get("Resources")
            .and_then(|r| r.get("A"))
            .and_then(|a| a.get("Properties"))
            .and_then(|p| p.get("Description"))
            .expect("description");
        assert!(d.span.is_empty());
    }

    #[test]
    fn merge_keys_join_the_mapping_its_own_keys_and_the_first_merged_winning() {
        let text = "a: &a\n  x: 1\n  y: 1\nb: &b\n  y: 2\n  z: 2\nc:\n  <<: [*a, *b]\n  x: 3\nd:\n  <<: 5\n";
        let root = load(text);
        let c = root.get("c").expect("c");
        let value = |k: &str| c.get(k).and_then(Node::scalar_text);
        assert_eq!(value("x").as_deref(), Some("3"));
        assert_eq!(value("y").as_deref(), Some("1"));
        assert_eq!(value("z").as_deref(), Some("2"));
        assert!(c.get("<<").is_none());
        // A merged value keeps the place it is written.
        let z = c.get("z").expect("z");
        assert_eq!(&text[z.span.start..z.span.end], "2");
        assert_eq!(text[..z.span.start].lines().count(), 6);
        // A `<<` whose value is no mapping is a plain key.
        assert!(root.get("d").and_then(|d| d.get("<<")).is_some());
    }

    #[test]
    fn short_form_tags_keep_name_and_span() {
        let text = "a: !Ref X\nb: !If [C, 1, !Ref Y]\n";
        let root = load(text);
        let a = root.get("a").expect("a");
        assert_eq!(a.tag.as_deref(), Some("Ref"));
        assert_eq!(&text[a.span.start..a.span.end], "!Ref X");
        let b = root.get("b").expect("b");
        assert_eq!(b.tag.as_deref(), Some("If"));
        let third = &b.as_seq().expect("seq")[2];
        assert_eq!(&text[third.span.start..third.span.end], "!Ref Y");
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        let text = "a: \"1\"   # comment\nb: 'it''s'  # c\nc: \"x\\\"y\"\n";
        let src = SourceFile::in_memory("t.yaml", text);
        let root = parse(&src).expect("parses").expect("doc");
        for (key, want) in [("a", "\"1\""), ("b", "'it''s'"), ("c", "\"x\\\"y\"")] {
            let n = root.get(key).expect("key");
            assert_eq!(&text[n.span.start..n.span.end], want);
        }
    }

    #[test]
    fn non_ascii_text_gives_byte_spans() {
        let text = "d: é✓\nn: 40000\n";
        let root = load(text);
        let n = root.get("n").expect("n");
        assert_eq!(&text[n.span.start..n.span.end], "40000");
        assert_eq!(n.kind, NodeKind::Int(40000));
    }

    #[test]
    fn a_duplicate_key_is_an_error_at_the_second_key() {
        let f = SourceFile::in_memory("t.yaml", "a: 1\nb:\n  c: 2\na: 3\n");
        let err = parse(&f).expect_err("duplicate");
        assert!(err.message.contains("duplicate key a"), "{}", err.message);
        assert_eq!(err.position.map(|p| (p.line, p.column)), Some((4, 1)));
        // The same key in two mappings is fine.
        assert!(parse(&SourceFile::in_memory("t.yaml", "a: {k: 1}\nb: {k: 2}\n")).is_ok());
    }

    /// Short mappings are searched, long ones keep a set from their seventeenth key on: a
    /// repeated key is found on either side of that switch, and merge keys may repeat.
    #[test]
    fn a_duplicate_key_is_found_in_short_and_long_mappings() {
        let mapping = |n: usize, repeat: Option<(usize, usize)>| {
            let mut text = String::from("<<: {z: 0}\n");
            for i in 0..n {
                let k = match repeat {
                    Some((at, of)) if at == i => of,
                    _ => i,
                };
                text.push_str(&format!("k{k}: {i}\n<<: {{z: {i}}}\n"));
            }
            parse(&SourceFile::in_memory("t.yaml", &text))
        };
        for n in [3, 15, 16, 17, 40] {
            assert!(mapping(n, None).is_ok(), "{n} distinct keys");
        }
        for (n, at, of) in [
            (3, 2, 0),
            (16, 15, 14),
            (17, 16, 0),
            (40, 39, 38),
            (40, 20, 2),
        ] {
            let err = mapping(n, Some((at, of))).expect_err("a repeated key");
            assert!(
                err.message.contains(&format!("duplicate key k{of}")),
                "{n} keys, k{of} again at {at}: {}",
                err.message
            );
        }
    }

    #[test]
    fn a_second_document_is_an_error() {
        let f = SourceFile::in_memory("t.yaml", "a: 1\n---\nb: 2\n");
        let err = parse(&f).expect_err("two documents");
        assert_eq!(err.position.map(|p| p.line), Some(2));
        assert!(parse(&SourceFile::in_memory("t.yaml", "---\na: 1\n...\n")).is_ok());
    }

    #[test]
    fn a_large_string_aliased_many_times_is_refused() {
        let big = "x".repeat(100_000);
        let mut text = format!("a: &a \"{big}\"\nl:\n");
        for _ in 0..200 {
            text.push_str("  - *a\n");
        }
        let err = parse(&SourceFile::in_memory("t.yaml", &text)).expect_err("bytes");
        assert!(err.message.contains("bytes"), "{}", err.message);
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            text.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        let f = SourceFile::in_memory("bomb.yaml", &text);
        let err = parse(&f).expect_err("bomb");
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        let f = SourceFile::in_memory("deep.yaml", &text);
        assert!(parse(&f).is_err());
    }

    #[test]
    fn quoted_numbers_stay_strings() {
        let root = load("a: '5'\nb: 5\nc: 2010-09-09\n");
        assert_eq!(
            root.get("a").map(|n| n.kind.clone()),
            Some(NodeKind::Str("5".into()))
        );
        assert_eq!(
            root.get("b").map(|n| n.kind.clone()),
            Some(NodeKind::Int(5))
        );
        assert!(matches!(
            root.get("c").map(|n| &n.kind),
            Some(NodeKind::Str(_))
        ));
    }
}
