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

use super::is_dynamic;
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
                    || b.body
                        .blocks()
                        .any(|n| n.ident.as_str() == name || is_dynamic(n, name))
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

/// What kind of name a module declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Declared {
    /// A resource of a type.
    Resource(String),
    /// A data source of a type.
    Data(String),
    Variable,
    Local,
    Provider,
    Module,
    Output,
}

impl std::fmt::Display for Declared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Resource(ty) => write!(f, "resource \"{ty}\""),
            Self::Data(ty) => write!(f, "data \"{ty}\""),
            Self::Variable => f.write_str("variable"),
            Self::Local => f.write_str("local value"),
            Self::Provider => f.write_str("provider"),
            Self::Module => f.write_str("module"),
            Self::Output => f.write_str("output"),
        }
    }
}

/// A declaration Terraform refuses: a name declared twice by normal files, or an override
/// block with no declaration to override.
#[derive(Debug, Clone)]
pub(crate) struct Conflict {
    pub(crate) file: FileId,
    pub(crate) span: Span,
    pub(crate) kind: Declared,
    pub(crate) name: String,
    /// Where the name is declared first; `None` for an override with no base.
    pub(crate) first: Option<(FileId, Span)>,
}

impl Conflict {
    /// What Terraform says of it, with Terraform's own summary; `first_at` is where the
    /// name is declared first (`main.tf:3:10`), when known.
    pub(crate) fn message(&self, first_at: Option<&str>) -> String {
        let (kind, name) = (&self.kind, &self.name);
        if self.first.is_some() {
            let summary = match kind {
                Declared::Variable => "Duplicate variable declaration".to_owned(),
                Declared::Local => "Duplicate local value definition".to_owned(),
                Declared::Module => "Duplicate module call".to_owned(),
                Declared::Output => "Duplicate output definition".to_owned(),
                _ => format!("Duplicate {kind} configuration"),
            };
            let place = first_at.map_or_else(String::new, |at| format!(" at {at}"));
            format!(
                "{kind} {name:?} is declared twice (first{place}): Terraform fails with \"{summary}\""
            )
        } else {
            let summary = match kind {
                Declared::Resource(_) => "Missing resource to override",
                Declared::Data(_) => "Missing data resource to override",
                Declared::Variable => "Missing base variable declaration to override",
                Declared::Local => "Missing base local value definition to override",
                Declared::Provider => "Missing base provider configuration for override",
                Declared::Module => "Missing module call to override",
                Declared::Output => "Missing base output definition to override",
            };
            format!(
                "{kind} {name:?} of an override file is not declared by the module's other files: Terraform fails with \"{summary}\""
            )
        }
    }
}
