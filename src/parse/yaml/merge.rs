//! YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`): the merged mappings' entries join the
//! mapping, its own keys winning, then the first merged mapping's. CloudFormation itself
//! refuses aliases, but `aws cloudformation package`, `sam deploy` and the Serverless
//! Framework resolve them before deploying, so a template is read as they resolve it.

use super::super::tree::{Entry, NodeKind};

/// The entries of a mapping with its merge keys resolved.
pub(super) fn resolve(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for merge in merges {
        let sources = match merge.value.kind {
            NodeKind::Map(entries) => vec![entries],
            NodeKind::Seq(items) => items
                .into_iter()
                .filter_map(|n| match n.kind {
                    NodeKind::Map(entries) => Some(entries),
                    _ => None,
                })
                .collect(),
            _ => continue,
        };
        for source in sources {
            for e in source {
                if !own.iter().any(|o| o.key == e.key) {
                    own.push(e);
                }
            }
        }
    }
    own
}

/// A merge key whose value is a mapping or a list of them; any other `<<` is a plain key.
fn is_merge(e: &Entry) -> bool {
    e.key == "<<"
        && match &e.value.kind {
            NodeKind::Map(_) => true,
            NodeKind::Seq(items) => items.iter().all(|n| matches!(n.kind, NodeKind::Map(_))),
            _ => false,
        }
}
