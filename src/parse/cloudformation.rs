//! CloudFormation templates (YAML with short-form intrinsics, or JSON) into the model.
//!
//! Intrinsics are evaluated as far as the template allows: parameters resolve to the value
//! given on the command line or their `Default`; `Fn::If` yields one alternative per branch
//! (each checked, each named by its condition); `AWS::NoValue` removes a property;
//! `Fn::FindInMap`, `Fn::Select`, `Fn::Join` and `Fn::Sub` resolve when their inputs do.
//! Everything else (`Fn::GetAtt`, `Fn::ImportValue`, a parameter without a value, ...) is a
//! reference: its identity is known, its literal value is not.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::tree::{Node, NodeKind};
use crate::model::{
    Alt, Condition, Format, Loc, Provider, RefKind, Reference, Session, TagItem, TagSet, Target,
    Unit, Val,
};
use crate::source::SourceFile;
use crate::suppress::{Scope, Suppression};

/// Most alternatives one value may expand to (nested `Fn::If`s multiply).
const MAX_ALTERNATIVES: usize = 64;

/// Pseudo parameters (`AWS::Region`, ...) that are never declared by the template.
const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// How a document relates to CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A template (`AWSTemplateFormatVersion`, or `Resources` with `AWS::` types).
    Template,
    /// Resource declarations without the `Resources:` wrapper (documentation snippets).
    Fragment,
    /// Anything else.
    NotCloudFormation,
}

/// Decides whether a parsed document is CloudFormation.
pub(crate) fn shape(root: &Node) -> Shape {
    let Some(entries) = root.as_map() else {
        return Shape::NotCloudFormation;
    };
    if root.get("AWSTemplateFormatVersion").is_some() {
        return Shape::Template;
    }
    let is_resource = |n: &Node| {
        n.get("Type")
            .and_then(Node::as_str)
            .is_some_and(|t| t.starts_with("AWS::") || t.starts_with("Custom::"))
    };
    if let Some(resources) = root.get("Resources").and_then(Node::as_map)
        && resources.iter().any(|e| is_resource(&e.value))
    {
        return Shape::Template;
    }
    if !entries.is_empty() && entries.iter().all(|e| is_resource(&e.value)) {
        return Shape::Fragment;
    }
    Shape::NotCloudFormation
}

/// Parameter values given on the command line, by name.
pub(crate) type ParameterValues = BTreeMap<String, String>;

/// Reads a template into a unit.
pub(crate) fn read<'a>(
    source: Arc<SourceFile>,
    root: &'a Node,
    shape: Shape,
    overrides: &'a ParameterValues,
) -> Unit {
    let resources_node = match shape {
        Shape::Fragment => Some(root),
        _ => root.get("Resources"),
    };
    let mut cx = Context {
        params: HashMap::new(),
        overrides,
        resources: HashMap::new(),
        conditions: HashMap::new(),
        mappings: root.get("Mappings"),
        references: Vec::new(),
        session: None,
    };
    if let Some(params) = root.get("Parameters").and_then(Node::as_map) {
        for e in params {
            cx.params.insert(e.key.clone(), &e.value);
        }
    }
    if let Some(conds) = root.get("Conditions").and_then(Node::as_map) {
        for e in conds {
            cx.conditions
                .insert(e.key.clone(), normalize_condition(&e.key, &e.value));
        }
    }
    let resources = resources_node.and_then(Node::as_map).unwrap_or(&[]);
    for e in resources {
        let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
        cx.resources.insert(e.key.clone(), ty.to_owned());
    }

    let mut unit = Unit::new(Format::CloudFormation, source.display.clone(), vec![source]);
    for e in resources {
        unit.suppressions
            .extend(metadata_suppressions(&unit.files[0], &e.key, &e.value));
    }
    for e in resources {
        let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
        let props = e.value.get("Properties");
        let loc = loc(e.key_span);
        match ty {
            "AWS::EC2::TrafficMirrorSession" => {
                cx.session = Some(unit.sessions.len());
                let mut s = Session::new(e.key.clone(), ty, Provider::Aws, loc);
                if let Some(c) = e.value.get("Condition").and_then(Node::as_str) {
                    cx.note_condition(c, e.value.get("Condition").map_or(e.key_span, |n| n.span));
                    s.conditions.push(cx.condition(c, true));
                }
                let field = |cx: &mut Context<'a>, name: &str| -> Vec<Alt> {
                    props
                        .and_then(|p| p.get(name))
                        .map(|n| cx.eval(n))
                        .unwrap_or_default()
                };
                s.network_interface_id = field(&mut cx, "NetworkInterfaceId");
                s.traffic_mirror_target_id = field(&mut cx, "TrafficMirrorTargetId");
                s.traffic_mirror_filter_id = field(&mut cx, "TrafficMirrorFilterId");
                s.session_number = numeric(field(&mut cx, "SessionNumber"));
                s.packet_length = numeric(field(&mut cx, "PacketLength"));
                s.virtual_network_id = numeric(field(&mut cx, "VirtualNetworkId"));
                s.description = field(&mut cx, "Description");
                if let Some(tags) = props.and_then(|p| p.get("Tags")) {
                    s.tags = cx.tags(tags);
                }
                unit.sessions.push(s);
                cx.session = None;
            }
            "AWS::EC2::TrafficMirrorTarget" => {
                let eni = props
                    .and_then(|p| p.get("NetworkInterfaceId"))
                    .map(|n| cx.eval(n))
                    .unwrap_or_default();
                unit.targets.push(Target {
                    address: e.key.clone(),
                    loc,
                    identities: vec![format!("Ref({})", e.key), format!("GetAtt({}.Id)", e.key)],
                    network_interface_id: eni,
                });
            }
            _ => {}
        }
    }
    unit.references = cx.references;
    unit
}

fn loc(span: crate::source::Span) -> Loc {
    Loc { file: 0, span }
}

/// `Metadata: {mirrorguard: {ignore: [{id: MG002, reason: "..."}]}}` on a resource.
fn metadata_suppressions(
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

/// Converts numeric strings ("5") to numbers, as CloudFormation does for integer properties.
pub(crate) fn numeric(mut alts: Vec<Alt>) -> Vec<Alt> {
    for alt in &mut alts {
        if let Val::Known(Json::String(s)) = &alt.val {
            if let Ok(i) = s.trim().parse::<i64>() {
                alt.val = Val::Known(json!(i));
            }
        } else if let Val::Known(Json::Number(n)) = &alt.val
            && let Some(f) = n.as_f64()
            && n.as_i64().is_none()
            && f.fract() == 0.0
            && f.abs() < 9.0e15
        {
            #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
            let i = f as i64;
            alt.val = Val::Known(json!(i));
        }
    }
    alts
}

/// A condition's definition reduced to a base name and polarity when it is a plain
/// negation (`IsDev: !Not [!Condition IsProd]`), so that contradictions can be seen.
fn normalize_condition(name: &str, def: &Node) -> (String, bool) {
    if let Some((fname, arg)) = intrinsic(def)
        && fname == "Fn::Not"
        && let Some(inner) = arg.as_seq().and_then(|s| s.first())
        && let Some(("Condition", c)) = intrinsic(inner)
        && let Some(c) = c.as_str()
    {
        return (c.to_owned(), false);
    }
    (name.to_owned(), true)
}

/// Recognises an intrinsic function: a short-form tag or a one-key `Fn::*`/`Ref` mapping.
/// Returns the long-form name and the argument node.
fn intrinsic(node: &Node) -> Option<(&'static str, &Node)> {
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

fn long_name(name: &str) -> Option<&'static str> {
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

struct Context<'a> {
    params: HashMap<String, &'a Node>,
    overrides: &'a ParameterValues,
    resources: HashMap<String, String>,
    conditions: HashMap<String, (String, bool)>,
    mappings: Option<&'a Node>,
    references: Vec<Reference>,
    session: Option<usize>,
}

impl<'a> Context<'a> {
    fn condition(&self, name: &str, value: bool) -> Condition {
        match self.conditions.get(name) {
            Some((base, polarity)) => Condition::is(base.clone(), value == *polarity),
            None => Condition::is(name, value),
        }
    }

    fn note_condition(&mut self, name: &str, span: crate::source::Span) {
        let declared = self.conditions.contains_key(name);
        self.reference(span, RefKind::Condition, name, declared);
    }

    fn reference(&mut self, span: crate::source::Span, kind: RefKind, name: &str, declared: bool) {
        self.references.push(Reference {
            loc: loc(span),
            kind,
            name: name.to_owned(),
            declared,
            session: self.session,
        });
    }

    /// Records a reference to `name`, which is not a parameter: a resource of the
    /// template when one has that logical id, else an undeclared parameter.
    /// Returns whether the resource exists.
    fn reference_resource_or_undeclared(&mut self, span: crate::source::Span, name: &str) -> bool {
        let declared = self.resources.contains_key(name);
        let kind = if declared {
            RefKind::Resource
        } else {
            RefKind::Parameter
        };
        self.reference(span, kind, name, declared);
        declared
    }

    /// Evaluates a value node into its alternatives.
    fn eval(&mut self, node: &'a Node) -> Vec<Alt> {
        let mut alts = self.eval_inner(node, 0);
        alts.truncate(MAX_ALTERNATIVES);
        alts
    }

    fn eval_inner(&mut self, node: &'a Node, depth: usize) -> Vec<Alt> {
        let here = loc(node.span);
        if depth > 32 {
            return vec![Alt::unknown(here, "intrinsic functions nested too deeply")];
        }
        let Some((name, arg)) = intrinsic(node) else {
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
                    let c = self.condition(cond, value);
                    for mut alt in self.eval_inner(branch, depth + 1) {
                        alt.when.insert(0, c.clone());
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
                let declared = self.resources.contains_key(&res);
                self.reference(node.span, RefKind::Resource, &res, declared);
                vec![Alt::symbol(
                    here,
                    format!("GetAtt({res}.{attr})"),
                    format!("Fn::GetAtt {res}.{attr} is known only after deployment"),
                )]
            }
            "Fn::Sub" => vec![self.eval_sub(node, arg)],
            "Fn::FindInMap" => vec![self.eval_find_in_map(node, arg, depth)],
            "Fn::Select" => self.eval_select(node, arg, depth),
            "Fn::Join" => vec![self.eval_join(node, arg, depth)],
            _ => vec![Alt::symbol(
                here,
                canonical(node),
                format!("{name} is evaluated by CloudFormation at deployment"),
            )],
        }
    }

    fn eval_ref(&mut self, node: &'a Node, arg: &'a Node) -> Alt {
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
        if let Some(param) = self.params.get(name).copied() {
            self.reference(node.span, RefKind::Parameter, name, true);
            if let Some(v) = self.overrides.get(name) {
                let mut alt = Alt::known(here, json!(v));
                alt.origin = Some((None, format!("parameter {name} given on the command line")));
                return alt;
            }
            if let Some(default) = param.get("Default") {
                let mut alt = Alt::known(here, plain_json(default));
                alt.origin = Some((
                    Some(loc(default.span)),
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
        Alt::symbol(
            here,
            format!("Ref({name})"),
            if declared {
                format!("the id of resource {name} is known only after deployment")
            } else {
                format!("{name} is not declared in this template")
            },
        )
    }

    /// A string value of a sub-expression, if it resolves to exactly one known string.
    fn resolve_text(&mut self, node: &'a Node, depth: usize) -> Option<String> {
        let alts = self.eval_inner(node, depth + 1);
        if alts.len() != 1 {
            return None;
        }
        match &alts.first()?.val {
            Val::Known(Json::String(s)) => Some(s.clone()),
            Val::Known(Json::Number(n)) => Some(n.to_string()),
            Val::Known(Json::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    fn eval_sub(&mut self, node: &'a Node, arg: &'a Node) -> Alt {
        let here = loc(node.span);
        let (template, vars) = match &arg.kind {
            NodeKind::Str(s) => (s.clone(), None),
            NodeKind::Seq(items) => (
                items
                    .first()
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_owned(),
                items.get(1),
            ),
            _ => return Alt::unknown(here, "malformed Fn::Sub"),
        };
        let mut out = String::new();
        let mut rest = template.as_str();
        let mut unresolved = Vec::new();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            rest = &after[end + 1..];
            let value = if let Some(v) = vars.and_then(|m| m.get(var)) {
                self.resolve_text(v, 1)
            } else if var.contains('.') {
                let res = var.split('.').next().unwrap_or("");
                let declared = self.resources.contains_key(res);
                self.reference(node.span, RefKind::Resource, res, declared);
                None
            } else if PSEUDO_PARAMETERS.contains(&var) {
                None
            } else if let Some(param) = self.params.get(var).copied() {
                self.reference(node.span, RefKind::Parameter, var, true);
                self.overrides.get(var).cloned().or_else(|| {
                    param
                        .get("Default")
                        .and_then(Node::scalar_text)
                        .filter(|s| !s.is_empty())
                })
            } else {
                self.reference_resource_or_undeclared(node.span, var);
                None
            };
            match value {
                Some(v) => out.push_str(&v),
                None => {
                    unresolved.push(var.to_owned());
                    out.push_str("${");
                    out.push_str(var);
                    out.push('}');
                }
            }
        }
        out.push_str(rest);
        if unresolved.is_empty() {
            Alt::known(here, json!(out))
        } else {
            Alt::symbol(
                here,
                format!("Sub({out})"),
                format!(
                    "Fn::Sub uses {} which is not known before deployment",
                    unresolved.join(", ")
                ),
            )
        }
    }

    fn eval_find_in_map(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Alt {
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
            let declared = self.mappings.and_then(|m| m.get(map)).is_some();
            self.reference(node.span, RefKind::Mapping, map, declared);
            if let Some(v) = self
                .mappings
                .and_then(|m| m.get(map))
                .and_then(|m| m.get(k1))
                .and_then(|m| m.get(k2))
            {
                let mut alt = Alt::known(here, plain_json(v));
                alt.origin = Some((Some(loc(v.span)), format!("mapping {map}.{k1}.{k2}")));
                return alt;
            }
        }
        Alt::symbol(
            here,
            canonical(node),
            "Fn::FindInMap keys are not known before deployment",
        )
    }

    fn eval_select(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Vec<Alt> {
        let here = loc(node.span);
        let items = arg.as_seq().unwrap_or(&[]);
        let index = items
            .first()
            .and_then(|i| self.resolve_text(i, depth))
            .and_then(|s| s.parse::<usize>().ok());
        if let (Some(i), Some(list)) = (index, items.get(1))
            && intrinsic(list).is_none()
            && let Some(chosen) = list.as_seq().and_then(|l| l.get(i))
        {
            return self.eval_inner(chosen, depth + 1);
        }
        vec![Alt::symbol(
            here,
            canonical(node),
            "Fn::Select over values known only at deployment",
        )]
    }

    fn eval_join(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Alt {
        let here = loc(node.span);
        let items = arg.as_seq().unwrap_or(&[]);
        if let (Some(delim), Some(list)) = (items.first().and_then(Node::as_str), items.get(1))
            && let Some(parts) = list.as_seq()
        {
            let resolved: Option<Vec<String>> =
                parts.iter().map(|p| self.resolve_text(p, depth)).collect();
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

    fn tags(&mut self, node: &'a Node) -> Vec<TagSet> {
        let mut sets = Vec::new();
        // Tags may itself be an Fn::If choosing between lists.
        let branches: Vec<(Vec<Condition>, &'a Node)> = match intrinsic(node) {
            Some(("Fn::If", arg)) => {
                let items = arg.as_seq().unwrap_or(&[]);
                match (
                    items.first().and_then(Node::as_str),
                    items.get(1),
                    items.get(2),
                ) {
                    (Some(c), Some(a), Some(b)) => vec![
                        (vec![self.condition(c, true)], a),
                        (vec![self.condition(c, false)], b),
                    ],
                    _ => Vec::new(),
                }
            }
            _ => vec![(Vec::new(), node)],
        };
        for (when, list) in branches {
            let here = loc(list.span);
            if let Some(("Ref", r)) = intrinsic(list)
                && r.as_str() == Some("AWS::NoValue")
            {
                continue;
            }
            let Some(items) = list.as_seq().filter(|_| intrinsic(list).is_none()) else {
                sets.push(TagSet {
                    loc: here,
                    when,
                    items: None,
                    why: "the tag list is computed at deployment".into(),
                });
                continue;
            };
            let mut out = Vec::new();
            for item in items {
                let (Some(k), Some(v)) = (item.get("Key"), item.get("Value")) else {
                    continue;
                };
                let key = self.eval(k).into_iter().next();
                let value = self.eval(v).into_iter().next();
                if let (Some(key), Some(value)) = (key, value) {
                    out.push(TagItem {
                        loc: loc(item.span),
                        key,
                        value,
                    });
                }
            }
            sets.push(TagSet {
                loc: here,
                when,
                items: Some(out),
                why: String::new(),
            });
        }
        sets
    }
}

/// A node as JSON, with short-form tags rewritten to their long form.
fn plain_json(node: &Node) -> Json {
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
fn canonical(node: &Node) -> String {
    plain_json(node).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn unit(text: &str, overrides: &ParameterValues) -> Unit {
        let src = Arc::new(SourceFile::in_memory("t.yaml", text));
        let root = yaml::parse(&src).ok().flatten().expect("yaml");
        let sh = shape(&root);
        read(src, &root, sh, overrides)
    }

    const TEMPLATE: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Num:
    Type: Number
    Default: 7
  Eni:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  S:
    Type: AWS::EC2::TrafficMirrorSession
    Condition: IsDev
    Properties:
      NetworkInterfaceId: !Ref Eni
      TrafficMirrorTargetId: !Ref T
      TrafficMirrorFilterId: tmf-0123456789abcdef0
      SessionNumber: !If [IsProd, 40000, !Ref Num]
      PacketLength: !If [IsProd, !Ref AWS::NoValue, '100']
  T:
    Type: AWS::EC2::TrafficMirrorTarget
    Properties:
      NetworkInterfaceId: eni-0123456789abcdef0
";

    #[test]
    fn if_branches_become_alternatives_with_conditions() {
        let u = unit(TEMPLATE, &ParameterValues::new());
        let s = u.sessions.first().expect("session");
        assert_eq!(s.session_number.len(), 2);
        let first = s.session_number.first().expect("alt");
        assert_eq!(first.val, Val::Known(json!(40000)));
        assert_eq!(
            first
                .when
                .first()
                .map(|c| (c.name.as_str(), c.value.clone())),
            Some(("IsProd", crate::model::CondValue::Bool(true)))
        );
        let second = s.session_number.get(1).expect("alt");
        assert_eq!(second.val, Val::Known(json!(7)));
        assert!(second.origin.is_some());
        assert_eq!(
            s.packet_length.first().map(|a| a.val.clone()),
            Some(Val::Absent)
        );
        assert_eq!(
            s.packet_length.get(1).map(|a| a.val.clone()),
            Some(Val::Known(json!(100)))
        );
        // IsDev is a negation of IsProd: the resource condition is recorded as "not IsProd".
        assert_eq!(
            s.conditions
                .first()
                .map(|c| (c.name.as_str(), c.value.clone())),
            Some(("IsProd", crate::model::CondValue::Bool(false)))
        );
    }

    #[test]
    fn parameter_without_default_is_a_reference_and_overrides_win() {
        let u = unit(TEMPLATE, &ParameterValues::new());
        let s = u.sessions.first().expect("session");
        assert!(
            matches!(&s.network_interface_id.first().map(|a| &a.val), Some(Val::Symbol { expr, .. }) if expr == "Ref(Eni)")
        );
        let mut o = ParameterValues::new();
        o.insert("Eni".into(), "eni-0123456789abcdef0".into());
        o.insert("Num".into(), "0".into());
        let u = unit(TEMPLATE, &o);
        let s = u.sessions.first().expect("session");
        assert_eq!(
            s.network_interface_id.first().map(|a| a.val.clone()),
            Some(Val::Known(json!("eni-0123456789abcdef0")))
        );
        assert_eq!(
            s.session_number.get(1).map(|a| a.val.clone()),
            Some(Val::Known(json!(0)))
        );
    }

    #[test]
    fn target_eni_is_linked_through_ref() {
        let u = unit(TEMPLATE, &ParameterValues::new());
        let s = u.sessions.first().expect("session");
        let enis = u.target_enis(s);
        assert_eq!(
            enis.first().map(|a| a.val.clone()),
            Some(Val::Known(json!("eni-0123456789abcdef0")))
        );
    }

    #[test]
    fn sub_resolves_parameter_defaults() {
        let text = "Parameters:\n  P: {Type: String, Default: abc}\nResources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      Description: !Sub 'x-${P}-${AWS::Region}'\n      SessionNumber: !Sub '${P}'\n";
        let u = unit(text, &ParameterValues::new());
        let s = u.sessions.first().expect("session");
        assert!(matches!(
            &s.description.first().map(|a| &a.val),
            Some(Val::Symbol { .. })
        ));
        assert_eq!(
            s.session_number.first().map(|a| a.val.clone()),
            Some(Val::Known(json!("abc")))
        );
    }
}
