//! A large CloudFormation template parsed in parts, on every core.
//!
//! One file of thousands of resources was parsed on one core while the other waited (about
//! 0.1 s for 5,000 sessions, a fifth of the run). Its `Resources:` block is cut at the lines
//! where a resource's logical id starts (at the block's indentation), into parts of about
//! [`PART_BYTES`]; each part, and the rest of the file without them, is parsed on its own
//! with the file's byte offsets, and the resources are put back in order.
//!
//! The result must be the tree the one-pass parse gives, or nothing: non-ASCII text, a tab
//! or a carriage return alone where lines are cut, a layout this module does not
//! recognise, any error, an anchor or alias (their budgets are the whole file's),
//! a key in two parts or more values than the document may hold, and the file is parsed in
//! one pass, which then gives the error or the tree. A part ends where the next one's key
//! starts, so every span (a resource's mapping ends at the next key, as in one pass) is the
//! same; a test compares both parses on every template of the examples and fixtures and
//! on generated layouts cut into parts of one resource.

use std::collections::HashSet;
use std::ops::Range;

use rayon::prelude::*;
use saphyr_parser::Marker;

use super::{Builder, MAX_NODES, load};
use crate::parse::tree::{MAX_DEPTH, Node, NodeKind};
use crate::source::{SourceFile, Span};

/// The size a part grows to before the next resource starts another; a file under twice
/// this size is parsed in one pass.
pub(super) const PART_BYTES: usize = 128 * 1024;

/// Where a template's resources are: the `Resources:` line, the block's bytes, and the
/// parts it is cut into (each ends where the next one's first key starts, after its
/// indentation).
struct Layout {
    key_line: usize,
    body: Range<usize>,
    parts: Vec<Range<usize>>,
}

/// The lines of `text` with their offsets, without their line break.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = at;
        at += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// Whether a line holds nothing for the parser (blank, or a comment).
fn is_blank(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with('#')
}

impl Layout {
    /// The layout of a block-style `Resources:` mapping at the top level, cut into parts of
    /// at least `part_bytes`; `None` when there are not two parts.
    fn find(text: &str, part_bytes: usize) -> Option<Self> {
        // A carriage return alone breaks a YAML line too: such a file is read in one pass.
        if text
            .match_indices('\r')
            .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
        {
            return None;
        }
        let mut lines = lines(text);
        let key_line = lines.by_ref().find_map(|(start, line)| {
            let rest = line.strip_prefix("Resources:")?;
            let rest = rest.trim_start_matches(' ');
            (rest.is_empty() || rest.starts_with('#')).then_some(start)
        })?;
        let mut lines = lines.filter(|(_, line)| !is_blank(line)).peekable();
        let (body_start, first) = *lines.peek()?;
        let indent = first.len() - first.trim_start_matches(' ').len();
        if indent == 0 || !starts_key(&first[indent..]) {
            return None;
        }
        let mut cuts = vec![body_start];
        let mut body_end = text.len();
        for (start, line) in lines.skip(1) {
            let rest = line.trim_start_matches(' ');
            if rest.starts_with('\t') {
                return None;
            }
            let depth = line.len() - rest.len();
            if depth == 0 {
                body_end = start;
                break;
            }
            let last = cuts.last().copied().unwrap_or(body_start);
            if depth == indent && starts_key(rest) && start - last >= part_bytes {
                cuts.push(start);
            }
        }
        if cuts.len() < 2 {
            return None;
        }
        let ends = cuts.iter().skip(1).map(|&cut| cut + indent);
        let parts = cuts
            .iter()
            .zip(ends.chain([body_end]))
            .map(|(&start, end)| start..end)
            .collect();
        Some(Self {
            key_line,
            body: body_start..body_end,
            parts,
        })
    }
}

/// Whether a line's text (after its indentation) can start a plain or quoted mapping key.
fn starts_key(rest: &str) -> bool {
    rest.bytes().next().is_some_and(|b| {
        !matches!(
            b,
            b'-' | b'?' | b'#' | b'\t' | b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>'
        )
    })
}

/// A parse of one piece: its tree and the values it counted (against [`MAX_NODES`]).
struct Piece {
    root: Option<Node>,
    nodes: usize,
}

/// Parses `text` (a piece of `whole`, ASCII) with `to_byte` mapping its offsets into the
/// file; `None` on an error, an anchor or an alias.
fn piece(
    text: &str,
    whole: &str,
    depth_limit: usize,
    to_byte: impl Fn(usize) -> usize,
) -> Option<Piece> {
    let builder = load(
        text,
        whole,
        Builder::new(whole.len(), depth_limit),
        |m: &Marker| to_byte(m.index().min(text.len())),
    )
    .ok()?;
    (!builder.anchored()).then_some(Piece {
        root: builder.root,
        nodes: builder.nodes,
    })
}

/// The tree of `source` parsed in parts of about `part_bytes`, or `None` when it must be
/// parsed in one pass (see the module's documentation).
pub(super) fn parse_in_parts(source: &SourceFile, part_bytes: usize) -> Option<Node> {
    let text: &str = &source.text;
    if text.len() < part_bytes.saturating_mul(2) || !text.is_ascii() {
        return None;
    }
    let layout = Layout::find(text, part_bytes)?;
    let body = &layout.body;
    let gap = body.end - body.start;
    let skeleton = [&text[..body.start], &text[body.end..]].concat();
    // The rest of the file and the parts, each on any core.
    let (rest, parts) = rayon::join(
        || {
            piece(&skeleton, text, MAX_DEPTH, |i| {
                if i < body.start { i } else { i + gap }
            })
        },
        || {
            layout
                .parts
                .par_iter()
                // A part's mapping is two levels down (the document's, then `Resources`).
                .map(|r| piece(text.get(r.clone())?, text, MAX_DEPTH - 1, |i| r.start + i))
                .collect::<Option<Vec<Piece>>>()
        },
    );
    let (mut rest, parts) = (rest?, parts?);
    // More values than a document may hold: one pass reports it.
    if rest.nodes + parts.iter().map(|p| p.nodes).sum::<usize>() > MAX_NODES {
        return None;
    }

    let mut entries = Vec::new();
    let mut keys = HashSet::new();
    let mut span: Option<Span> = None;
    for part in parts {
        let Some(Node {
            span: part_span,
            tag: None,
            kind: NodeKind::Map(part_entries),
        }) = part.root
        else {
            return None;
        };
        span = Some(span.map_or(part_span, |s| Span::new(s.start, part_span.end)));
        for entry in part_entries {
            // A key in two parts is the one-pass parse's error to report.
            if !keys.insert(entry.key.clone()) {
                return None;
            }
            entries.push(entry);
        }
    }
    let resources = Node {
        span: span?,
        tag: None,
        kind: NodeKind::Map(super::exact(entries)),
    };
    let NodeKind::Map(top) = &mut rest.root.as_mut()?.kind else {
        return None;
    };
    let slot = top
        .iter_mut()
        .find(|e| e.key == "Resources" && e.key_span.start == layout.key_line)?;
    if slot.value.kind != NodeKind::Null || slot.value.tag.is_some() {
        return None;
    }
    slot.value = resources;
    rest.root
}

#[cfg(test)]
mod tests {
    use super::{PART_BYTES, parse_in_parts};
    use crate::parse::yaml::{parse_whole, parts_agree};
    use crate::source::SourceFile;

    /// Parsed in parts of one resource, the one-pass tree (or no parse in parts at all):
    /// whether it was parsed in parts.
    fn same_as_one_pass(name: &str, text: &str) -> bool {
        let source = SourceFile::in_memory(name, text);
        assert!(
            parts_agree(&source),
            "{name}: parsed in parts, a different tree from one pass:\n{:?}\n{:?}",
            parse_whole(&source),
            parse_in_parts(&source, 1)
        );
        parse_in_parts(&source, 1).is_some()
    }

    fn template(resources: &str, after: &str) -> String {
        format!(
            "AWSTemplateFormatVersion: '2010-09-09'\n# comment\nParameters:\n  P: {{Type: String}}\nResources:  # here\n{resources}{after}"
        )
    }

    const RESOURCES: &str = "  A:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      SessionNumber: 1\n      Description: \"two\n        lines\"\n\n# a comment at the margin\n  'B':\n    Type: AWS::EC2::TrafficMirrorSession  # c\n    Properties: {SessionNumber: !Ref P, Tags: [{Key: k, Value: v}]}\n  C:\n    Type: AWS::SNS::Topic\n    Properties:\n      Policy: |\n        line one\n\n        line two\n      N: 0x1F\n";

    #[test]
    fn parts_give_the_one_pass_tree_wherever_resources_are() {
        for after in [
            "",
            "Outputs:\n  O: {Value: !Ref A}\n",
            "\n# end\nOutputs:\n  O: 1",
        ] {
            assert!(same_as_one_pass("t.yaml", &template(RESOURCES, after)));
            let crlf = template(RESOURCES, after).replace('\n', "\r\n");
            assert!(same_as_one_pass("crlf.yaml", &crlf));
        }
        // Four-space indentation.
        let four = RESOURCES
            .replace("\n  ", "\n    ")
            .replacen("  A:", "    A:", 1);
        assert!(same_as_one_pass(
            "four.yaml",
            &template(&four, "Outputs: {}\n")
        ));
    }

    #[test]
    fn what_one_pass_must_judge_is_not_parsed_in_parts() {
        let cases = [
            // A key twice, in two parts: one pass reports it.
            template("  A: {Type: X}\n  B: {Type: Y}\n  A: {Type: Z}\n", ""),
            // Anchors and aliases have budgets over the whole file.
            template("  A: &a {Type: X}\n  B: *a\n", ""),
            // A quoted scalar running over a cut.
            template("  A: {Type: \"x\n  B: y\"}\n  C: {Type: Z}\n", ""),
            // Not a block mapping.
            "Resources: {A: {Type: X}, B: {Type: Y}}\n".to_owned(),
            "Resources:\n  - A\n  - B\n".to_owned(),
            // Invalid YAML.
            template("  A: {Type: X}\n  B: [\n  C: {Type: Z}\n", ""),
            // A carriage return alone ends a line (found by fuzzing: `\rA:` is a key at the
            // margin, not in the block).
            "Resources:\r\n  \rA:\n    Type: X\r\n  B:\r\n    Type: Y\r\n".to_owned(),
        ];
        for text in cases {
            assert!(
                !same_as_one_pass("t.yaml", &text),
                "parsed in parts:\n{text}"
            );
        }
    }

    #[test]
    fn every_template_of_the_examples_and_fixtures_parses_the_same_in_parts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = 0;
        let mut stack = vec![root.join("examples"), root.join("tests/fixtures")];
        while let Some(dir) = stack.pop() {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in read.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "template")
                    && let Ok(text) = std::fs::read_to_string(&path)
                    && same_as_one_pass(&path.to_string_lossy(), &text)
                {
                    found += 1;
                }
            }
        }
        assert!(found >= 10, "only {found} templates parsed in parts");
    }

    #[test]
    fn a_small_file_is_parsed_in_one_pass() {
        let text = template(RESOURCES, "");
        let source = SourceFile::in_memory("t.yaml", &text);
        assert!(parse_in_parts(&source, PART_BYTES).is_none());
    }

    /// Neither parse leaves spare room in a collection's list (the tree of a large
    /// template is the larger part of its memory while its model is read).
    #[test]
    fn collections_hold_no_spare_room_in_one_pass_or_in_parts() {
        fn spare(node: &crate::parse::tree::Node) -> usize {
            use crate::parse::tree::NodeKind;
            match &node.kind {
                NodeKind::Seq(items) => {
                    items.capacity() - items.len() + items.iter().map(spare).sum::<usize>()
                }
                NodeKind::Map(entries) => {
                    entries.capacity() - entries.len()
                        + entries.iter().map(|e| spare(&e.value)).sum::<usize>()
                }
                _ => 0,
            }
        }
        let source = SourceFile::in_memory("t.yaml", &template(RESOURCES, ""));
        let whole = parse_whole(&source).ok().flatten();
        let parts = parse_in_parts(&source, 1);
        for (how, tree) in [("one pass", whole), ("in parts", parts)] {
            let Some(tree) = tree else {
                panic!("{how}: no tree");
            };
            assert_eq!(spare(&tree), 0, "{how}");
        }
    }
}
