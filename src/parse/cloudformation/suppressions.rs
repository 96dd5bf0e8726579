//! `Metadata: {mirrorguard: {ignore: [...]}}` on a resource: suppressions that work in JSON.

use std::sync::Arc;

use super::super::tree::Node;
use crate::model::suppression::{Scope, Suppression};
use crate::source::SourceFile;

/// `Metadata: {mirrorguard: {ignore: [{id: MG002, reason: "..."}]}}` on a resource.
pub(crate) fn from_metadata(
    source: &Arc<SourceFile>,
    logical_id: &str,
    resource: &Node,
) -> Vec<Suppression> {
    let Some(list) = resource
        .get("Metadata")
        .and_then(|m| m.get("mirrorguard"))
        .and_then(|m| m.get("ignore"))
        .and_then(Node::as_seq)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|item| {
            let (ids, reason) = match item.as_str() {
                Some(id) => (vec![id.to_ascii_uppercase()], None),
                None => (
                    item.get("id")
                        .and_then(Node::scalar_text)
                        .map(|s| vec![s.to_ascii_uppercase()])
                        .unwrap_or_default(),
                    item.get("reason")
                        .and_then(Node::scalar_text)
                        .filter(|r| !r.trim().is_empty()),
                ),
            };
            Suppression {
                rule_ids: ids,
                reason,
                scope: Scope::Resource(logical_id.to_owned()),
                source: source.clone(),
                span: item.span,
            }
        })
        .collect()
}
