//! CloudFormation templates (YAML with short-form intrinsics, or JSON) into the model.
//!
//! Intrinsics are evaluated as far as the template allows: parameters resolve to the value
//! given on the command line or their `Default`; `Fn::If` yields one alternative per branch
//! (each checked, each named by its condition); `AWS::NoValue` removes a property;
//! `Fn::FindInMap`, `Fn::Select`, `Fn::Join` and `Fn::Sub` resolve when their inputs do.
//! Everything else (`Fn::GetAtt`, `Fn::ImportValue`, a parameter without a value, ...) is a
//! reference: its identity is known, its literal value is not.

mod conditions;
mod dynamic;
mod foreach;
mod graph;
mod intrinsics;
mod sub;
mod suppressions;
#[cfg(test)]
mod tests;
mod transforms;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use self::conditions::Branch;
use self::intrinsics::intrinsic;
use super::ReadOptions;
use super::tree::{Node, NodeKind};
use crate::model::{
    Alt, Condition, Format, Loc, Provider, RefKind, Reference, Session, TagItem, TagSet, Unit,
};
use crate::parse::numeric;
use crate::source::SourceFile;

/// Most alternatives one value may expand to (nested `Fn::If`s multiply).
pub(crate) const MAX_ALTERNATIVES: usize = 64;

/// Pseudo parameters (`AWS::Region`, ...) that are never declared by the template.
pub(crate) const PSEUDO_PARAMETERS: &[&str] = &[
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
        && resources
            .iter()
            .any(|e| is_resource(&e.value) || foreach::is_resource_loop(e))
    {
        return Shape::Template;
    }
    if !entries.is_empty() && entries.iter().all(|e| is_resource(&e.value)) {
        return Shape::Fragment;
    }
    Shape::NotCloudFormation
}

/// The CloudFormation template a Serverless Framework service file carries under
/// `resources` (`service: …` at the top, `resources: {Resources: …}`).
pub(crate) fn serverless_resources(root: &Node) -> Option<&Node> {
    root.get("service")?;
    let resources = root.get("resources")?;
    (shape(resources) == Shape::Template).then_some(resources)
}

/// A traffic mirror resource declared in a document no reader of mirrorguard takes in.
pub(crate) struct Unread {
    /// The resource's type, where it is written.
    pub(crate) span: crate::source::Span,
    /// Why it is not checked, for the report.
    pub(crate) message: String,
}

/// Whether `token` is a Pulumi type token of a traffic mirror resource: `aws:ec2:Traffic…`,
/// `aws:ec2/trafficMirrorSession:TrafficMirrorSession` or `aws-native:ec2:Traffic…`.
fn pulumi_mirror_type(token: &str) -> bool {
    let mut parts = token.split(':');
    let (Some(package), Some(module), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(package, "aws" | "aws-native")
        && (module == "ec2" || module.starts_with("ec2/"))
        && name.starts_with("TrafficMirror")
}

/// Where a document that is no template mirrorguard reads declares a traffic mirror
/// resource: a CloudFormation `Type` nested in another document, a Pulumi YAML program's
/// resource `type`, or a Kubernetes object (Crossplane, AWS Controllers for Kubernetes) of
/// kind `TrafficMirror…`. One error per document: the first found, outer maps first.
pub(crate) fn unread_mirror_resource(root: &Node) -> Option<Unread> {
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        match &node.kind {
            NodeKind::Map(entries) => {
                let api_version = node.get("apiVersion").and_then(Node::as_str);
                for e in entries {
                    let Some(t) = e.value.as_str() else { continue };
                    let message = match (e.key.as_str(), api_version) {
                        ("Type", _) if t.starts_with("AWS::EC2::TrafficMirror") => format!(
                            "a resource of type {t} is declared here, inside a document that is not a CloudFormation template mirrorguard reads (resources at the top level's Resources, or a Serverless Framework service's resources.Resources); it is not checked"
                        ),
                        ("type", _) if pulumi_mirror_type(t) => format!(
                            "a Pulumi resource of type {t} is declared here; mirrorguard does not read Pulumi programs, so it is not checked (declare it in CloudFormation or Terraform, or exclude this file in .mirrorguard.toml)"
                        ),
                        ("kind", Some(api)) if t.starts_with("TrafficMirror") => format!(
                            "a Kubernetes object of kind {t} ({api}) is declared here; mirrorguard does not read Kubernetes manifests (Crossplane, AWS Controllers for Kubernetes), so it is not checked (exclude this file in .mirrorguard.toml)"
                        ),
                        _ => continue,
                    };
                    return Some(Unread {
                        span: e.value.span,
                        message,
                    });
                }
                todo.extend(entries.iter().rev().map(|e| &e.value));
            }
            NodeKind::Seq(items) => todo.extend(items.iter().rev()),
            _ => {}
        }
    }
    None
}

/// Parameter values given on the command line, by name.
pub type ParameterValues = BTreeMap<String, String>;

/// How the values of a template are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dialect<'a> {
    /// A CloudFormation template.
    Template,
    /// The `resources` of a Serverless Framework service (the service file is given): a
    /// `${…}` in a value is one of its variables (`${self:custom.n}`, `${opt:stage}`),
    /// resolved when the service deploys; `${self:…}` alone is read from the service file.
    Serverless(&'a Node),
}

/// Reads a template into a unit.
pub(crate) fn read<'a>(
    source: Arc<SourceFile>,
    root: &'a Node,
    shape: Shape,
    options: &'a ReadOptions,
) -> Unit {
    read_as(source, root, shape, options, Dialect::Template)
}

/// Reads a template written in `dialect` into a unit.
pub(crate) fn read_as<'a>(
    source: Arc<SourceFile>,
    root: &'a Node,
    shape: Shape,
    options: &'a ReadOptions,
    dialect: Dialect<'a>,
) -> Unit {
    let resources_node = match shape {
        Shape::Fragment => Some(root),
        _ => root.get("Resources"),
    };
    let definitions: HashMap<String, &Node> = root
        .get("Conditions")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .map(|e| (e.key.clone(), &e.value))
        .collect();
    // A parameter of an SSM type is given the name of a Systems Manager parameter, not its
    // value: it decides no condition.
    let declared = root.get("Parameters");
    let given: ParameterValues = options
        .parameters
        .iter()
        .filter(|(k, _)| {
            !declared
                .and_then(|p| p.get(k))
                .is_some_and(dynamic::is_ssm_parameter)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let facts = conditions::Facts {
        definitions,
        given: &given,
        region: options.region.as_deref(),
        mappings: root.get("Mappings"),
    };
    let mut cx = Context {
        params: HashMap::new(),
        overrides: &options.parameters,
        resources: HashMap::new(),
        conditions: HashMap::new(),
        decided: facts.decide_all(),
        mappings: root.get("Mappings"),
        references: Vec::new(),
        session: None,
        resource: None,
        created: std::collections::BTreeSet::new(),
        budget: crate::parse::Budget::default(),
        bindings: Vec::new(),
        dialect,
        transforms: transforms::of(root),
    };
    let mut secrets = std::collections::BTreeSet::new();
    if let Some(params) = root.get("Parameters").and_then(Node::as_map) {
        for e in params {
            cx.params.insert(e.key.clone(), &e.value);
            let no_echo = e
                .value
                .get("NoEcho")
                .and_then(Node::scalar_text)
                .is_some_and(|t| t.eq_ignore_ascii_case("true"));
            if no_echo && let Some(d) = e.value.get("Default").and_then(Node::scalar_text) {
                secrets.insert(d);
            }
        }
    }
    // Values given on the command line may be secrets: they never appear in reports.
    secrets.extend(
        options
            .parameters
            .values()
            .filter(|v| !v.is_empty())
            .cloned(),
    );
    if let Some(conds) = root.get("Conditions").and_then(Node::as_map) {
        for e in conds {
            cx.conditions
                .insert(e.key.clone(), conditions::normalize(&e.key, &e.value));
        }
    }
    let entries = resources_node.and_then(Node::as_map).unwrap_or(&[]);
    let mut loop_errors = Vec::new();
    let resources = foreach::declarations(&mut cx, entries, &mut loop_errors);
    for d in &resources {
        let ty = d.value.get("Type").and_then(Node::as_str).unwrap_or("");
        cx.resources.insert(d.id.clone(), ty.to_owned());
    }

    let mut unit = Unit::new(Format::CloudFormation, source.display.clone(), vec![source]);
    unit.errors = loop_errors;
    for d in &resources {
        unit.suppressions
            .extend(suppressions::from_metadata(&unit.files[0], &d.id, d.value));
    }
    for d in &resources {
        let ty = d.value.get("Type").and_then(Node::as_str).unwrap_or("");
        let props = d.value.get("Properties");
        let loc = loc(d.key_span);
        cx.bindings.clone_from(&d.bindings);
        match ty {
            "AWS::EC2::TrafficMirrorSession" => {
                let mut s = Session::new(d.id.clone(), ty, Provider::Aws, loc);
                s.conditions.extend(d.conditions.iter().cloned());
                if let Some(c) = d.value.get("Condition").and_then(Node::as_str) {
                    cx.note_condition(c, d.value.get("Condition").map_or(d.key_span, |n| n.span));
                    match cx.branch(c, true) {
                        Branch::Never => continue,
                        Branch::Always => {}
                        Branch::When(c) => s.conditions.push(c),
                    }
                }
                cx.session = Some(unit.sessions.len());
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
                unit.push_session(s);
                cx.session = None;
            }
            other => {
                if let Some((kind, _)) = crate::model::graph::kind_of_type(other) {
                    graph::read(&mut cx, &mut unit, d, kind);
                }
            }
        }
    }
    cx.bindings.clear();
    for (span, name) in std::mem::take(&mut cx.transforms.opaque) {
        unit.opaque.push(crate::model::Opaque {
            loc: loc(span),
            address: name.clone(),
            why: format!(
                "transform {name} rewrites the template before deployment; what it adds or changes is not checked"
            ),
            kind: crate::model::OpaqueKind::Transform,
        });
    }
    unit.references = cx.references;
    unit.created = cx.created;
    unit.secrets = secrets;
    unit.parameters = cx.params.keys().cloned().collect();
    for e in cx.budget.errors() {
        unit.errors.push((loc(root.span), e));
    }
    unit
}

pub(crate) fn loc(span: crate::source::Span) -> Loc {
    Loc { file: 0, span }
}

pub(crate) struct Context<'a> {
    pub(crate) params: HashMap<String, &'a Node>,
    pub(crate) overrides: &'a ParameterValues,
    pub(crate) resources: HashMap<String, String>,
    pub(crate) conditions: HashMap<String, (String, bool)>,
    /// Conditions the known values decide.
    pub(crate) decided: HashMap<String, bool>,
    pub(crate) mappings: Option<&'a Node>,
    pub(crate) references: Vec<Reference>,
    pub(crate) session: Option<usize>,
    /// The graph resource being read, for references.
    pub(crate) resource: Option<usize>,
    /// Identities of the template's own resources.
    pub(crate) created: std::collections::BTreeSet<String>,
    /// Evaluation steps left.
    pub(crate) budget: crate::parse::Budget,
    /// The items of the `Fn::ForEach` loops around the resource being read.
    pub(crate) bindings: Vec<foreach::Binding>,
    pub(crate) dialect: Dialect<'a>,
    /// The template's transforms (what they declare counts as declared).
    pub(crate) transforms: transforms::Transforms,
}

impl<'a> Context<'a> {
    pub(crate) fn note_condition(&mut self, name: &str, span: crate::source::Span) {
        let declared = self.conditions.contains_key(name) || self.transforms.rewrite();
        self.reference(span, RefKind::Condition, name, declared);
    }

    pub(crate) fn reference(
        &mut self,
        span: crate::source::Span,
        kind: RefKind,
        name: &str,
        declared: bool,
    ) {
        self.references.push(Reference {
            loc: loc(span),
            kind,
            name: name.to_owned(),
            declared,
            session: self.session,
            resource: self.resource,
        });
    }

    /// Records a reference to `name`, which is not a parameter: a resource of the
    /// template when one has that logical id, or one a transform declares, else an
    /// undeclared parameter. Returns whether the template declares the resource.
    pub(crate) fn reference_resource_or_undeclared(
        &mut self,
        span: crate::source::Span,
        name: &str,
    ) -> bool {
        let declared = self.declares(name);
        let kind = if declared {
            RefKind::Resource
        } else {
            RefKind::Parameter
        };
        self.reference(span, kind, name, declared);
        self.resources.contains_key(name)
    }

    /// The tag sets of a `Tags` value: one per `Fn::If` branch, per-tag spans.
    pub(crate) fn tags(&mut self, node: &'a Node) -> Vec<TagSet> {
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
                    (Some(c), Some(a), Some(b)) => [(a, true), (b, false)]
                        .into_iter()
                        .filter_map(|(n, v)| match self.branch(c, v) {
                            Branch::Never => None,
                            Branch::Always => Some((Vec::new(), n)),
                            Branch::When(c) => Some((vec![c], n)),
                        })
                        .collect(),
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
