//! The shipped rules' metadata, parsed ahead of time.
//!
//! Every run reads the METADATA block of every shipped rule, and parsing their YAML was about
//! 1.5 ms of each run (an eighth of checking one small file). `rules/compiled/metadata.json`
//! keeps each block word for word beside what it parses to; a block found there exactly (same
//! text, same package, same selected key) is not parsed again. Any other block, an edited
//! rule's or a user rule's, is parsed: a stale file costs time, never a wrong answer.
//! `UPDATE_GOLDEN=1 cargo test --lib precompiled` rewrites the file, and a unit test fails
//! while it is stale.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::PRECOMPILED_METADATA;
use super::metadata::{RuleMeta, Scope};
use crate::report::Severity;

/// One parsed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The top-level key the metadata is under (`metadata` in a built-in rule's examples
    /// file), or none (a Rego rule's block).
    select: Option<String>,
    /// The YAML, exactly as read.
    block: String,
    /// The package that follows the block (empty for a built-in rule).
    package: String,
    id: String,
    name: String,
    title: String,
    description: String,
    severity: String,
    help: String,
    related: Vec<String>,
    inputs: Vec<String>,
    scope: String,
}

impl Entry {
    #[cfg(test)]
    fn new(select: Option<&str>, block: &str, meta: &RuleMeta) -> Self {
        Self {
            select: select.map(str::to_owned),
            block: block.to_owned(),
            package: meta.package.clone(),
            id: meta.id.clone(),
            name: meta.name.clone(),
            title: meta.title.clone(),
            description: meta.description.clone(),
            severity: meta.severity.as_str().to_owned(),
            help: meta.help.clone(),
            related: meta.related.clone(),
            inputs: meta.inputs.clone(),
            scope: meta.scope.name().to_owned(),
        }
    }

    /// The metadata; `None` when a name in the file is not one mirrorguard knows (the
    /// block is then parsed).
    fn meta(&self) -> Option<RuleMeta> {
        Some(RuleMeta {
            id: self.id.clone(),
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            severity: Severity::parse(&self.severity)?,
            help: self.help.clone(),
            related: self.related.clone(),
            inputs: self.inputs.clone(),
            package: self.package.clone(),
            scope: Scope::named(&self.scope)?,
        })
    }
}

/// The entries of `rules/compiled/metadata.json` as built into the binary (none when the
/// file is absent or unreadable: every block is then parsed).
static ENTRIES: LazyLock<Vec<Entry>> =
    LazyLock::new(|| serde_json::from_str(PRECOMPILED_METADATA).unwrap_or_default());

/// The metadata parsed ahead of time from exactly this block: the YAML `block` (under the
/// top-level key `select`, if any) followed by `package`.
pub(crate) fn lookup(select: Option<&str>, block: &str, package: &str) -> Option<RuleMeta> {
    ENTRIES
        .iter()
        .find(|e| e.block == block && e.package == package && e.select.as_deref() == select)?
        .meta()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::metadata::{block_of, parse_block_uncached};

    /// Every block of the shipped rules (as the rule loader finds them), parsed now.
    fn parsed_now() -> Vec<Entry> {
        let Ok(rules) = crate::rules::RuleSet::load(&[]) else {
            panic!("the shipped rules load");
        };
        let mut entries = Vec::new();
        for rule in rules.rules().iter().filter(|r| r.shipped) {
            let origin = &rule.origin;
            let parsed = match (&rule.kind, &rule.examples) {
                (crate::rules::RuleKind::Rego, _) => {
                    let Ok((block, package)) = block_of(&rule.source) else {
                        panic!("{origin} has a METADATA block");
                    };
                    parse_block_uncached(origin, &block, None, package)
                        .map(|m| m.map(|m| Entry::new(None, &block, &m)))
                }
                (crate::rules::RuleKind::Builtin, Some((_, text))) => {
                    let Some(block) = super::super::top_level_block(text, "metadata") else {
                        panic!("{origin} has a metadata section");
                    };
                    parse_block_uncached(origin, block, Some("metadata"), String::new())
                        .map(|m| m.map(|m| Entry::new(Some("metadata"), block, &m)))
                }
                (crate::rules::RuleKind::Builtin, None) => panic!("{origin} has examples"),
            };
            match parsed {
                Ok(Some(entry)) => entries.push(entry),
                Ok(None) => panic!("{origin}: no metadata"),
                Err(e) => panic!("{origin}: {e}"),
            }
        }
        entries
    }

    /// `rules/compiled/metadata.json` is the shipped rules' metadata parsed now, and the
    /// binary holds it: a rule edit without regenerating it fails here.
    #[test]
    fn precompiled_metadata_is_the_rules_metadata_parsed() {
        let fresh = parsed_now();
        assert!(fresh.len() > 20, "every shipped rule has an entry");
        let mut text = match serde_json::to_string_pretty(&fresh) {
            Ok(t) => t,
            Err(e) => panic!("serializable: {e}"),
        };
        text.push('\n');
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/compiled/metadata.json");
        if crate::rules::pin_precompiled(&path, text.as_bytes()) {
            return;
        }
        assert_eq!(*ENTRIES, fresh, "the binary embeds {}", path.display());
        for entry in &fresh {
            let found = lookup(entry.select.as_deref(), &entry.block, &entry.package);
            assert_eq!(found, entry.meta(), "{} is found by its block", entry.id);
        }
    }

    /// A block that differs in one byte, or follows another package, or sits under another
    /// key, is not taken from the file.
    #[test]
    fn only_the_exact_block_is_taken_from_the_file() {
        let Some(entry) = ENTRIES.iter().find(|e| e.select.is_none()) else {
            panic!("the binary holds the shipped rules' metadata");
        };
        let block = &entry.block;
        assert!(lookup(None, block, &entry.package).is_some());
        assert!(lookup(None, &format!("{block} "), &entry.package).is_none());
        assert!(lookup(None, &block.replacen("error", "note", 1), &entry.package).is_none());
        assert!(lookup(None, block, "mirrorguard.rules.other").is_none());
        assert!(lookup(Some("metadata"), block, &entry.package).is_none());
    }
}
