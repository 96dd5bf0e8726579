//! Shell commands written inside YAML and JSON: CI pipelines and build specifications that
//! run the AWS CLI from `run:` (GitHub Actions, CircleCI), `script:`, `before_script:`,
//! `after_script:` (GitLab CI, Travis, Azure Pipelines), `commands:` (AWS CodeBuild), `bash:`
//! and `sh:`, and the `scripts` of a `package.json`.
//!
//! The script is read in place: the file's text with everything but those values blanked
//! (line breaks kept), so every span is the file's own and a finding points into the YAML.

use std::sync::Arc;

use super::super::Read;
use super::super::tree::{Node, NodeKind};
use crate::source::SourceFile;

/// The keys whose string values (or lists of strings) are shell commands.
const KEYS: &[&str] = &[
    "run",
    "script",
    "before_script",
    "after_script",
    "commands",
    "command",
    "bash",
    "sh",
];

/// Most values walked in one document looking for commands.
const MAX_NODES: usize = 1_000_000;

/// The sessions and mirror graph of the commands a document holds, when one of them names a
/// traffic mirror command (`None` otherwise).
pub(crate) fn read(source: &Arc<SourceFile>, root: &Node) -> Option<Read> {
    let mut found = Vec::new();
    let mut budget = MAX_NODES;
    commands(root, false, &mut found, &mut budget);
    found.retain(|n| matches!(&n.kind, NodeKind::Str(s) if super::could_declare(s.as_bytes())));
    if found.is_empty() {
        return None;
    }
    let text: &str = &source.text;
    let mut masked: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    for node in found {
        let (start, end) = (node.span.start, node.span.end.min(text.len()));
        let Some(written) = text.get(start..end) else {
            continue;
        };
        // A block scalar's text starts on the line after its `|` or `>` header; a quoted
        // one inside its quotes (a double-quoted one with escapes is not read as written).
        let (from, to) = match written.as_bytes().first() {
            Some(b'|' | b'>') => (written.find('\n').map_or(end, |i| start + i + 1), end),
            Some(b'"') if written.contains('\\') => continue,
            Some(b'"' | b'\'') => (start + 1, end.saturating_sub(1).max(start + 1)),
            _ => (start, end),
        };
        if let (Some(dst), Some(src)) = (masked.get_mut(from..to), text.as_bytes().get(from..to)) {
            dst.copy_from_slice(src);
        }
    }
    let masked = String::from_utf8(masked).ok()?;
    let read = super::read_text(source, &masked);
    read.unit.is_some().then_some(read)
}

/// The string values that are commands, under `KEYS` (or any `scripts` map), at any depth.
fn commands<'a>(node: &'a Node, shell: bool, out: &mut Vec<&'a Node>, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match &node.kind {
        NodeKind::Str(_) if shell => out.push(node),
        NodeKind::Seq(items) => {
            for item in items {
                let shell = shell && !matches!(item.kind, NodeKind::Map(_));
                commands(item, shell, out, budget);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                match (&e.value.kind, e.key.as_str()) {
                    // `package.json`: every script is a command line.
                    (NodeKind::Map(scripts), "scripts") => {
                        for script in scripts {
                            commands(&script.value, true, out, budget);
                        }
                    }
                    // A map under a command key (`run: {name: …, command: …}`) is not itself
                    // a command: only its own command keys are.
                    (NodeKind::Map(_), _) => commands(&e.value, false, out, budget),
                    (_, key) => commands(&e.value, KEYS.contains(&key), out, budget),
                }
            }
        }
        _ => {}
    }
}
