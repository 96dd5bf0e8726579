//! A template's `Transform`s, and what they declare that the template does not.
//!
//! * `AWS::LanguageExtensions` is read (`Fn::ForEach`, `Fn::Length`, …).
//! * `AWS::Serverless-2016-10-31` (SAM) adds resources named after the serverless resource
//!   they serve (`HandlerRole` for a function `Handler` without a role, `Handler.Alias`,
//!   `ServerlessRestApi` for an implicit API): a reference to such a name is declared, by SAM.
//! * Any other transform (a macro, `AWS::Include`, `AWS::SecretsManager-…`) rewrites the
//!   template before deployment in ways mirrorguard cannot see: the template is checked as
//!   written, every check is listed as skipped for what the transform may add, and no
//!   reference is said to be undeclared.

use super::Context;
use crate::parse::tree::Node;
use crate::source::Span;

/// The SAM transform.
const SAM: &str = "AWS::Serverless-2016-10-31";

/// Transforms mirrorguard reads itself.
const READ: &[&str] = &["AWS::LanguageExtensions", SAM];

/// The transforms a template names.
#[derive(Debug, Default)]
pub(crate) struct Transforms {
    /// Whether the SAM transform is one of them.
    pub(crate) sam: bool,
    /// The others mirrorguard cannot apply: where each is named, and its name.
    pub(crate) opaque: Vec<(Span, String)>,
}

impl Transforms {
    /// Whether a transform mirrorguard cannot apply rewrites the template: it may declare
    /// any resource, condition or mapping.
    pub(crate) fn rewrite(&self) -> bool {
        !self.opaque.is_empty()
    }
}

/// The transforms of a template: `Transform: Name`, a list of names, or a list of
/// `{Name: …, Parameters: …}` (as `AWS::Include` is written).
pub(crate) fn of(root: &Node) -> Transforms {
    let mut out = Transforms::default();
    let Some(node) = root.get("Transform") else {
        return out;
    };
    let items: Vec<&Node> = match node.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    };
    for item in items {
        let named = item.get("Name").unwrap_or(item);
        let name = named.scalar_text().unwrap_or_default();
        if name == SAM {
            out.sam = true;
        } else if !READ.contains(&name.as_str()) {
            let shown = if name.is_empty() {
                "(a transform without a name)".to_owned()
            } else {
                name
            };
            out.opaque.push((named.span, shown));
        }
    }
    out
}

impl Context<'_> {
    /// Whether `name` is a resource the template or one of its transforms declares.
    pub(crate) fn declares(&self, name: &str) -> bool {
        self.resources.contains_key(name) || self.generated(name)
    }

    /// Whether a transform of the template declares `name`, which the template does not.
    pub(crate) fn generated(&self, name: &str) -> bool {
        if self.transforms.rewrite() {
            return true;
        }
        self.transforms.sam
            && (name.starts_with("ServerlessRestApi")
                || name.starts_with("ServerlessHttpApi")
                || self.resources.iter().any(|(id, ty)| {
                    ty.starts_with("AWS::Serverless::")
                        && name.len() > id.len()
                        && name.starts_with(id.as_str())
                }))
    }

    /// Why the value of `name`, which the template does not declare, is not known.
    pub(crate) fn undeclared_why(&self, name: &str) -> String {
        match self.transforms.opaque.first() {
            Some((_, t)) => format!("{name} is not declared here (transform {t} may declare it)"),
            None if self.generated(name) => {
                format!(
                    "{name} is declared by the SAM transform; its id is known only after deployment"
                )
            }
            None => format!("{name} is not declared in this template"),
        }
    }
}
