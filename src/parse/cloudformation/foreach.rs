//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform): a loop in `Resources` that
//! declares one copy of its fragment per item of a collection.
//!
//! `Fn::ForEach::Name: [Identifier, Collection, {OutputKey: Resource}]`: in each copy the
//! output key's `${Identifier}` is the item (`&{Identifier}` the item without its
//! non-alphanumeric characters), and so are `Ref: Identifier` and `${Identifier}` in `Fn::Sub`
//! inside the fragment. Loops nest (up to five deep). A collection that is a list, a list
//! parameter or a known list value expands item by item; any other collection stands for one
//! copy whose item is unknown, under the condition that the collection is not empty.
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-foreach.html>)

use super::intrinsics::text_of;
use super::{Context, loc};
use crate::model::{Condition, Loc};
use crate::parse::tree::{Entry, Node, NodeKind};
use crate::source::Span;

/// The key prefix of a loop.
pub(crate) const PREFIX: &str = "Fn::ForEach::";

/// CloudFormation's limit on nested loops.
const MAX_NESTING: usize = 5;

/// A resource declaration of `Resources`, with the loop items it is read with.
pub(crate) struct Decl<'a> {
    /// The logical id (a loop's output key with its items in).
    pub(crate) id: String,
    pub(crate) key_span: Span,
    pub(crate) value: &'a Node,
    pub(crate) bindings: Vec<Binding>,
    /// Conditions the copy exists under (a collection that is not known is not empty).
    pub(crate) conditions: Vec<Condition>,
}

/// The value a loop's identifier takes in one copy.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) name: String,
    pub(crate) loop_name: String,
    /// The item and where it is written; `None` when the collection is not known.
    pub(crate) item: Option<(String, Span)>,
}

/// Whether an entry of `Resources` is a loop that (possibly nested) declares a resource.
pub(crate) fn is_resource_loop(e: &Entry) -> bool {
    e.key.starts_with(PREFIX) && fragment(&e.value).is_some()
}

fn fragment(value: &Node) -> Option<&[Entry]> {
    match &value.kind {
        NodeKind::Seq(parts) if parts.len() == 3 => parts.get(2)?.as_map(),
        _ => None,
    }
}

/// The resource declarations of `Resources`, loops expanded; malformed loops are errors.
pub(crate) fn declarations<'a>(
    cx: &mut Context<'a>,
    entries: &'a [Entry],
    errors: &mut Vec<(Loc, String)>,
) -> Vec<Decl<'a>> {
    let mut out = Vec::new();
    expand(cx, entries, &[], &[], &mut out, errors);
    out
}

fn expand<'a>(
    cx: &mut Context<'a>,
    entries: &'a [Entry],
    bindings: &[Binding],
    conditions: &[Condition],
    out: &mut Vec<Decl<'a>>,
    errors: &mut Vec<(Loc, String)>,
) {
    for e in entries {
        let Some(loop_name) = e.key.strip_prefix(PREFIX) else {
            out.push(Decl {
                id: output_key(&e.key, bindings),
                key_span: e.key_span,
                value: &e.value,
                bindings: bindings.to_vec(),
                conditions: conditions.to_vec(),
            });
            continue;
        };
        let (ident, collection, body) = match &e.value.kind {
            NodeKind::Seq(parts) => match parts.as_slice() {
                [i, c, f] => (i.as_str(), c, f.as_map()),
                _ => (None, &e.value, None),
            },
            _ => (None, &e.value, None),
        };
        let (Some(ident), Some(body)) = (ident, body) else {
            errors.push((
                loc(e.key_span),
                format!(
                    "{} needs a list of an identifier, a collection and a map of resources: CloudFormation rejects the template",
                    e.key
                ),
            ));
            continue;
        };
        if bindings.len() >= MAX_NESTING {
            errors.push((
                loc(e.key_span),
                format!(
                    "{} nests loops more than {MAX_NESTING} deep: CloudFormation rejects the template",
                    e.key
                ),
            ));
            continue;
        }
        let binding = |item| Binding {
            name: ident.to_owned(),
            loop_name: loop_name.to_owned(),
            item,
        };
        match items(cx, collection, bindings) {
            Some(items) if cx.budget.take_instances(items.len()) => {
                for item in items {
                    let mut inner = bindings.to_vec();
                    inner.push(binding(Some(item)));
                    expand(cx, body, &inner, conditions, out, errors);
                }
            }
            // Over the instance budget: the budget reports it; nothing more is expanded.
            Some(_) => {}
            None => {
                let mut inner = bindings.to_vec();
                inner.push(binding(None));
                let mut conds = conditions.to_vec();
                conds.push(Condition::is(
                    format!("the collection of {} is not empty", e.key),
                    true,
                ));
                expand(cx, body, &inner, &conds, out, errors);
            }
        }
    }
}

/// The items of a collection with where each is written, when they are known: a list, a
/// list parameter or a value that resolves to a list (`Context::list_items`), read with
/// the items of the enclosing loops bound.
fn items<'a>(
    cx: &mut Context<'a>,
    collection: &'a Node,
    bindings: &[Binding],
) -> Option<Vec<(String, Span)>> {
    let saved = std::mem::replace(&mut cx.bindings, bindings.to_vec());
    let alts = cx.list_items(collection, false, 0);
    cx.bindings = saved;
    alts?
        .iter()
        .map(|a| {
            let written = a.origin.as_ref().and_then(|o| o.at).unwrap_or(a.loc);
            Some((text_of(a)?, written.span))
        })
        .collect()
}

/// An output key with each bound identifier's item in: `${Id}` as it is, `&{Id}` without
/// its non-alphanumeric characters. An unknown item stays as written.
fn output_key(key: &str, bindings: &[Binding]) -> String {
    let mut out = key.to_owned();
    for b in bindings {
        if let Some((item, _)) = &b.item {
            let plain: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
            out = out
                .replace(&format!("${{{}}}", b.name), item)
                .replace(&format!("&{{{}}}", b.name), &plain);
        }
    }
    out
}
