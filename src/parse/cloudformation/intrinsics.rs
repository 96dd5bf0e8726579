//! Intrinsic functions: recognition (short and long form) and evaluation into alternatives.

use serde_json::{Value as Json, json};

use super::super::tree::{Node, NodeKind};
use super::conditions::Branch;
use super::{Context, MAX_ALTERNATIVES, PSEUDO_PARAMETERS, loc};
use crate::model::{Alt, Loc, Origin, RefKind, Val};

/// Recognises an intrinsic function: a short-form tag or a one-key `Fn::*`/`Ref` mapping.
/// Returns the long-form name and the argument node.
pub(crate) fn intrinsic(node: &Node) -> Option<(&'static str, &Node)> {
    if let Some(tag) = &node.tag {
        let name = long_name(tag)?;
        return Some((name, node));
    }
    let entries = node.as_map()?;
    if entries.len() != 1 {
        return None;
    }
    let e = entries.first()?;
    let name = long_name(&e.key)?;
    Some((name, &e.value))
}

pub(crate) fn long_name(name: &str) -> Option<&'static str> {
    let short = name.strip_prefix("Fn::").unwrap_or(name);
    Some(match short {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "Sub" => "Fn::Sub",
        "GetAtt" => "Fn::GetAtt",
        "If" => "Fn::If",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "Join" => "Fn::Join",
        "ImportValue" => "Fn::ImportValue",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        _ => return None,
    })
}

impl<'a> Context<'a> {
    /// Evaluates a value node into its alternatives.
    pub(crate) fn eval(&mut self, node: &'a Node) -> Vec<Alt> {
        let mut alts = self.eval_inner(node, 0);
        alts.truncate(MAX_ALTERNATIVES);
        alts.iter_mut().for_each(super::dynamic::resolve_later);
        alts
    }

    pub(crate) fn eval_inner(&mut self, node: &'a Node, depth: usize) -> Vec<Alt> {
        let here = loc(node.span);
        if depth > 32 {
            self.budget.too_deep();
            return vec![Alt::unknown(here, "intrinsic functions nested too deeply")];
        }
        if !self.budget.step() {
            return vec![Alt::unknown(here, "evaluation budget spent")];
        }
        let Some((name, arg)) = intrinsic(node) else {
            if let super::Dialect::Serverless(service) = self.dialect
                && let NodeKind::Str(text) = &node.kind
                && text.contains("${")
            {
                return vec![serverless_variable(service, here, text)];
            }
            return vec![Alt::known(here, plain_json(node))];
        };
        match name {
            "Ref" => vec![self.eval_ref(node, arg)],
            "Fn::If" => {
                let items = arg.as_seq().unwrap_or(&[]);
                let (Some(cond), Some(yes), Some(no)) = (
                    items.first().and_then(Node::as_str),
                    items.get(1),
                    items.get(2),
                ) else {
                    return vec![Alt::unknown(here, "malformed Fn::If")];
                };
                if let Some(c) = items.first() {
                    self.note_condition(cond, c.span);
                }
                let mut out = Vec::new();
                for (branch, value) in [(yes, true), (no, false)] {
                    let c = match self.branch(cond, value) {
                        Branch::Never => continue,
                        Branch::Always => None,
                        Branch::When(c) => Some(c),
                    };
                    for mut alt in self.eval_inner(branch, depth + 1) {
                        if let Some(c) = &c {
                            alt.when.insert(0, c.clone());
                        }
                        out.push(alt);
                        if out.len() >= MAX_ALTERNATIVES {
                            return out;
                        }
                    }
                }
                out
            }
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.kind {
                    NodeKind::Str(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_owned(), a.to_owned()),
                        None => (s.clone(), String::new()),
                    },
                    NodeKind::Seq(items) => (
                        items
                            .first()
                            .and_then(Node::scalar_text)
                            .unwrap_or_default(),
                        items.get(1).and_then(Node::scalar_text).unwrap_or_default(),
                    ),
                    _ => (String::new(), String::new()),
                };
                self.reference(node.span, RefKind::Resource, &res, self.declares(&res));
                let declared = self.resources.contains_key(&res);
                let expr = match self.resources.get(&res) {
                    Some(ty) if super::graph::attribute_is_ref(ty, &attr) => format!("Ref({res})"),
                    _ => format!("GetAtt({res}.{attr})"),
                };
                if declared {
                    self.created.insert(expr.clone());
                }
                let why = format!("Fn::GetAtt {res}.{attr} is known only after deployment");
                vec![Alt::symbol(here, expr, why)]
            }
            "Fn::Sub" => vec![self.eval_sub(node, arg, depth)],
            "Fn::FindInMap" => vec![self.eval_find_in_map(node, arg, depth)],
            "Fn::Length" => match self.list_items(arg, std::ptr::eq(arg, node), depth) {
                Some(items) => vec![Alt::known(here, json!(items.len()))],
                None => vec![Alt::symbol(
                    here,
                    canonical(node),
                    "Fn::Length of a list known only at deployment",
                )],
            },
            "Fn::Select" => self.eval_select(node, arg, depth),
            "Fn::Split" => {
                let items = arg.as_seq().unwrap_or(&[]);
                let delimiter = items.first().and_then(Node::as_str);
                let text = items.get(1).and_then(|t| self.resolve_text(t, depth));
                match (delimiter, text) {
                    (Some(d), Some(t)) if !d.is_empty() => {
                        vec![Alt::known(here, json!(t.split(d).collect::<Vec<_>>()))]
                    }
                    _ => vec![Alt::symbol(
                        here,
                        canonical(node),
                        "Fn::Split of a value known only at deployment",
                    )],
                }
            }
            "Fn::Join" => vec![self.eval_join(node, arg, depth)],
            _ => vec![Alt::symbol(
                here,
                canonical(node),
                format!("{name} is evaluated by CloudFormation at deployment"),
            )],
        }
    }

    pub(crate) fn eval_ref(&mut self, node: &'a Node, arg: &'a Node) -> Alt {
        let here = loc(node.span);
        let Some(name) = arg.as_str() else {
            return Alt::unknown(here, "Ref needs a name");
        };
        if name == "AWS::NoValue" {
            return Alt {
                val: Val::Absent,
                ..Alt::unknown(here, "")
            };
        }
        if PSEUDO_PARAMETERS.contains(&name) {
            return Alt::symbol(
                here,
                format!("Ref({name})"),
                format!("{name} is set at deployment"),
            );
        }
        if let Some(alt) = self.loop_item(here, name) {
            return alt;
        }
        if let Some(param) = self.params.get(name).copied() {
            self.reference(node.span, RefKind::Parameter, name, true);
            if super::dynamic::is_ssm_parameter(param) {
                let held = self.overrides.get(name).map(String::as_str);
                let held = held.or_else(|| param.get("Default").and_then(Node::as_str));
                return super::dynamic::ssm_parameter_value(here, name, held);
            }
            if let Some(v) = self.overrides.get(name) {
                let mut alt = Alt::known(here, json!(v));
                alt.origin = Some(Origin::outside(format!(
                    "parameter {name} given on the command line"
                )));
                return alt;
            }
            if let Some(default) = param.get("Default") {
                let mut alt = Alt::known(here, plain_json(default));
                alt.origin = Some(Origin::at(
                    loc(default.span),
                    format!("default of parameter {name}"),
                ));
                if matches!(alt.val, Val::Known(Json::String(ref s)) if s.is_empty()) {
                    alt.val = Val::Symbol {
                        expr: format!("Ref({name})"),
                        why: format!("parameter {name} defaults to an empty string"),
                    };
                }
                return alt;
            }
            return Alt::symbol(
                here,
                format!("Ref({name})"),
                format!("parameter {name} has no Default and no value was given with --parameters"),
            );
        }
        let declared = self.reference_resource_or_undeclared(node.span, name);
        if declared {
            self.created.insert(format!("Ref({name})"));
        }
        Alt::symbol(
            here,
            format!("Ref({name})"),
            if declared {
                format!("the id of resource {name} is known only after deployment")
            } else {
                self.undeclared_why(name)
            },
        )
    }

    /// The innermost enclosing `Fn::ForEach` whose identifier is `name`.
    pub(super) fn binding(&self, name: &str) -> Option<&super::foreach::Binding> {
        self.bindings.iter().rev().find(|b| b.name == name)
    }

    /// `Ref` to the identifier of an enclosing `Fn::ForEach`: the item of this copy.
    fn loop_item(&self, here: Loc, name: &str) -> Option<Alt> {
        let b = self.binding(name)?;
        Some(match &b.item {
            Some((item, span)) => {
                let mut alt = Alt::known(here, json!(item));
                alt.origin = Some(Origin::at(
                    loc(*span),
                    format!("item of Fn::ForEach::{}", b.loop_name),
                ));
                alt
            }
            None => Alt::symbol(
                here,
                format!("Fn::ForEach::{}.{name}", b.loop_name),
                format!(
                    "{name} is an item of Fn::ForEach::{}, whose collection is not known",
                    b.loop_name
                ),
            ),
        })
    }

    /// A string value of a sub-expression, if it resolves to exactly one known string.
    pub(crate) fn resolve_text(&mut self, node: &'a Node, depth: usize) -> Option<String> {
        match self.eval_inner(node, depth + 1).as_slice() {
            [one] => text_of(one),
            _ => None,
        }
    }

    pub(crate) fn eval_find_in_map(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Alt {
        let here = loc(node.span);
        let items = arg.as_seq().unwrap_or(&[]);
        let keys: Vec<Option<String>> = items
            .iter()
            .take(3)
            .map(|k| self.resolve_text(k, depth))
            .collect();
        if let (Some(Some(map)), Some(Some(k1)), Some(Some(k2))) =
            (keys.first(), keys.get(1), keys.get(2))
        {
            let declared =
                self.mappings.and_then(|m| m.get(map)).is_some() || self.transforms.rewrite();
            self.reference(node.span, RefKind::Mapping, map, declared);
            if let Some(v) = self
                .mappings
                .and_then(|m| m.get(map))
                .and_then(|m| m.get(k1))
                .and_then(|m| m.get(k2))
            {
                let mut alt = Alt::known(here, plain_json(v));
                alt.origin = Some(Origin::at(loc(v.span), format!("mapping {map}.{k1}.{k2}")));
                return alt;
            }
            // `AWS::LanguageExtensions`: `{DefaultValue: …}` when the keys are not in the map.
            if let Some(default) = items.get(3).and_then(|d| d.get("DefaultValue")) {
                let mut alts = self.eval_inner(default, depth + 1);
                if let [one] = alts.as_mut_slice() {
                    one.loc = here;
                    one.origin = Some(Origin::at(
                        loc(default.span),
                        format!("DefaultValue: mapping {map} has no {k1}.{k2}"),
                    ));
                    return one.clone();
                }
            }
            return Alt::symbol(
                here,
                canonical(node),
                format!("mapping {map} has no {k1}.{k2} (CloudFormation fails at deployment)"),
            );
        }
        Alt::symbol(
            here,
            canonical(node),
            "Fn::FindInMap keys are not known before deployment",
        )
    }

    /// The items of a list: written as a list, a list parameter (`CommaDelimitedList`,
    /// `List<…>`), or a value that resolves to a list. Each item with where it is written.
    /// `literal`: the node is written as a list (a short-form tag's own argument).
    pub(crate) fn list_items(
        &mut self,
        list: &'a Node,
        literal: bool,
        depth: usize,
    ) -> Option<Vec<Alt>> {
        if literal || intrinsic(list).is_none() {
            let items = list.as_seq()?;
            let mut out = Vec::new();
            for item in items {
                let mut alts = self.eval_inner(item, depth + 1);
                if alts.len() != 1 {
                    return None;
                }
                out.push(alts.pop()?);
            }
            return Some(out);
        }
        if let Some(("Ref", arg)) = intrinsic(list)
            && let Some(name) = arg.as_str()
            && let Some(param) = self.params.get(name).copied()
            && param
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"))
        {
            self.reference(list.span, RefKind::Parameter, name, true);
            let (text, origin) = match self.overrides.get(name) {
                Some(v) => (
                    v.clone(),
                    Origin::outside(format!("parameter {name} given on the command line")),
                ),
                None => {
                    let d = param.get("Default")?;
                    (
                        d.scalar_text()?,
                        Origin::at(loc(d.span), format!("default of parameter {name}")),
                    )
                }
            };
            return Some(
                text.split(',')
                    .map(|item| {
                        let mut alt = Alt::known(loc(list.span), json!(item.trim()));
                        alt.origin = Some(origin.clone());
                        alt
                    })
                    .collect(),
            );
        }
        match self.eval_inner(list, depth + 1).as_slice() {
            [one] => match &one.val {
                Val::Known(Json::Array(items)) => Some(
                    items
                        .iter()
                        .map(|v| {
                            let mut alt = Alt::known(one.loc, v.clone());
                            alt.origin.clone_from(&one.origin);
                            alt
                        })
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn eval_select(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Vec<Alt> {
        let here = loc(node.span);
        let items = arg.as_seq().unwrap_or(&[]);
        let index = items
            .first()
            .and_then(|i| self.resolve_text(i, depth))
            .and_then(|s| s.parse::<usize>().ok());
        if let (Some(i), Some(list)) = (index, items.get(1)) {
            if intrinsic(list).is_none()
                && let Some(chosen) = list.as_seq().and_then(|l| l.get(i))
            {
                return self.eval_inner(chosen, depth + 1);
            }
            if let Some(mut chosen) = self
                .list_items(list, false, depth)
                .and_then(|mut l| (i < l.len()).then(|| l.swap_remove(i)))
            {
                chosen.loc = here;
                return vec![chosen];
            }
        }
        vec![Alt::symbol(
            here,
            canonical(node),
            "Fn::Select over values known only at deployment",
        )]
    }

    pub(crate) fn eval_join(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Alt {
        let here = loc(node.span);
        let items = arg.as_seq().unwrap_or(&[]);
        // The list is written as one (`[a, !Ref B]`), or is a value that resolves to one
        // (`!Split`, a list parameter): never the arguments of a function in its place.
        if let (Some(delim), Some(list)) = (items.first().and_then(Node::as_str), items.get(1)) {
            let resolved: Option<Vec<String>> = if intrinsic(list).is_none() {
                list.as_seq()
                    .and_then(|parts| parts.iter().map(|p| self.resolve_text(p, depth)).collect())
            } else {
                self.list_items(list, false, depth)
                    .and_then(|alts| alts.iter().map(text_of).collect())
            };
            if let Some(parts) = resolved {
                return Alt::known(here, json!(parts.join(delim)));
            }
        }
        Alt::symbol(
            here,
            canonical(node),
            "Fn::Join over values known only at deployment",
        )
    }
}

/// A value's text when it is one known string, number or boolean.
pub(crate) fn text_of(alt: &Alt) -> Option<String> {
    match &alt.val {
        Val::Known(Json::String(s)) => Some(s.clone()),
        Val::Known(Json::Number(n)) => Some(n.to_string()),
        Val::Known(Json::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// A node as JSON, with short-form tags rewritten to their long form.
pub(crate) fn plain_json(node: &Node) -> Json {
    match (&node.tag, &node.kind) {
        (Some(tag), _) => {
            let name = long_name(tag).map_or_else(|| format!("!{tag}"), str::to_owned);
            let untagged = Node {
                tag: None,
                ..node.clone()
            };
            json!({ name: plain_json(&untagged) })
        }
        (None, NodeKind::Seq(items)) => items.iter().map(plain_json).collect(),
        (None, NodeKind::Map(entries)) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), plain_json(&e.value)))
                .collect(),
        ),
        (None, _) => node.to_json(),
    }
}

/// A canonical text for a reference, so that the same expression written in short or long
/// form, YAML or JSON, names the same thing.
pub(crate) fn canonical(node: &Node) -> String {
    plain_json(node).to_string()
}

/// A value holding a Serverless Framework variable: `${self:a.b}` alone is the service
/// file's value at `a.b` when that is a plain value; any other is resolved at deployment.
fn serverless_variable(service: &Node, here: Loc, text: &str) -> Alt {
    let found = text
        .strip_prefix("${self:")
        .and_then(|t| t.strip_suffix('}'))
        .filter(|path| !path.contains(['$', '{', '}', ',', ' ']))
        .and_then(|path| path.split('.').try_fold(service, |node, key| node.get(key)))
        .filter(|n| !matches!(n.kind, NodeKind::Map(_) | NodeKind::Seq(_) | NodeKind::Null));
    match found {
        Some(n) if !n.as_str().is_some_and(|s| s.contains("${")) => {
            let mut alt = Alt::known(here, plain_json(n));
            alt.origin = Some(Origin::at(
                loc(n.span),
                format!("{} in the service file", &text[2..text.len() - 1]),
            ));
            alt
        }
        _ => Alt::symbol(
            here,
            format!("serverless:{text}"),
            format!("{text} holds a Serverless Framework variable, resolved at deployment"),
        ),
    }
}
