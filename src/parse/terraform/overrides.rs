//! Override files (`override.tf`, `*_override.tf`, and their `.tf.json` forms).
//!
//! Terraform reads a module's override files after its other files, in name order, and merges
//! each of their blocks into the block of the same kind and name: an argument replaces the
//! argument, and a nested block type replaces every nested block of that type
//! (<https://developer.hashicorp.com/terraform/language/files/override>). The merged block is
//! read part by part, each value in the file that writes it, so that findings point at the
//! override when it wins. A block of a normal file that repeats a declaration, and an override
//! with nothing to override, are errors in Terraform, and so here.

use hcl_edit::structure::{Attribute, Block, Body};

use crate::model::FileId;
use crate::source::Span;

/// Whether a file of a module is an override file, by its name.
pub(crate) fn is_override_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".tf")
        .or_else(|| name.strip_suffix(".tf.json"));
    stem.is_some_and(|s| s == "override" || s.ends_with("_override"))
}

/// A block of a module's normal files with the override blocks merged into it, in order.
#[derive(Clone, Copy)]
pub(crate) struct Merged<'b> {
    pub(crate) file: FileId,
    pub(crate) block: &'b Block,
    pub(crate) overrides: &'b [(FileId, &'b Block)],
}

impl<'b> Merged<'b> {
    /// The parts, the last override first and the base block last.
    fn latest_first(&self) -> impl Iterator<Item = (FileId, &'b Block)> + '_ {
        self.overrides
            .iter()
            .rev()
            .copied()
            .chain(std::iter::once((self.file, self.block)))
    }

    /// An argument: from the last part that sets it, with that part's file.
    pub(crate) fn attribute(&self, key: &str) -> Option<(FileId, &'b Attribute)> {
        self.latest_first()
            .find_map(|(f, b)| b.body.get_attribute(key).map(|a| (f, a)))
    }

    /// The part whose nested values named `name` count (blocks, or an attribute holding
    /// objects): the last one that has any.
    pub(crate) fn nested(&self, name: &str) -> (FileId, &'b Body) {
        self.latest_first()
            .find(|(_, b)| {
                b.body.get_attribute(name).is_some()
                    || b.body.blocks().any(|n| {
                        n.ident.as_str() == name
                            || (n.ident.as_str() == "dynamic"
                                && n.labels.first().is_some_and(|l| l.as_str() == name))
                    })
            })
            .map_or((self.file, &self.block.body), |(f, b)| (f, &b.body))
    }

    /// Every argument of the merged block, each from the last part that sets it: the base
    /// block's in its order, then those only overrides set.
    pub(crate) fn attributes(&self) -> Vec<(FileId, &'b Attribute)> {
        let mut out: Vec<(FileId, &'b Attribute)> = Vec::new();
        for (f, b) in std::iter::once((self.file, self.block)).chain(self.overrides.iter().copied())
        {
            for a in b.body.attributes() {
                match out
                    .iter_mut()
                    .find(|(_, x)| x.key.as_str() == a.key.as_str())
                {
                    Some(slot) => *slot = (f, a),
                    None => out.push((f, a)),
                }
            }
        }
        out
    }
}

/// A declaration Terraform refuses: a name declared twice by normal files, or an override
/// block with no declaration to override.
#[derive(Debug, Clone)]
pub(crate) struct Conflict {
    pub(crate) file: FileId,
    pub(crate) span: Span,
    /// `resource "aws_instance"`, `variable`, `local value`…
    pub(crate) kind: String,
    pub(crate) name: String,
    /// Where the name is declared first; `None` for an override with no base.
    pub(crate) first: Option<(FileId, Span)>,
}
