//! Targets, filters, filter rules, interfaces, instances and attachments of a module, one
//! resource per instance. Nested values are read from blocks (`source_port_range { … }`,
//! `network_interface { … }`) or object attributes (awscc, JSON syntax) alike.

use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::structure::Body;
use serde_json::{Value as Json, json};

use super::MAX_INSTANCES;
use super::eval::{Ev, Evaluator, marker};
use super::for_expr::collection_items;
use super::functions::strip_parens;
use super::instances::instances;
use super::overrides::Merged;
use super::scope::Scope;
use super::{block_span, is_dynamic, labels};
use crate::model::graph::{Attr, Kind, Resource, snake};
use crate::model::{Alt, Provider, Unit};
use crate::parse::graph::{child, fill_alicloud_rule, primary_attachment};
use crate::parse::numeric;

/// A nested value: a block, an object in an attribute, or one copy of a `dynamic` block.
enum Nested<'b> {
    Block(&'b Body),
    Object(&'b Object),
    /// The `content` of a `dynamic` block for one item: the iterator's name and its value
    /// (`{key, value}`), or a symbolic value when the block's `for_each` is not known.
    Dynamic(&'b Body, String, Json),
}

impl<'b> Nested<'b> {
    fn get(&self, key: &str) -> Option<&'b Expression> {
        match self {
            Self::Block(b) | Self::Dynamic(b, ..) => b.get_attribute(key).map(|a| &a.value),
            Self::Object(o) => o.iter().find_map(|(k, v)| {
                let name = match k {
                    ObjectKey::Ident(i) => i.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(_) => return None,
                };
                (name == key).then(|| v.expr())
            }),
        }
    }

    /// The alternatives of a nested argument, with a dynamic block's iterator bound.
    fn alternatives(&self, ev: &mut Evaluator<'_, '_>, key: &str) -> Vec<Alt> {
        let expr = self.get(key);
        match self {
            Self::Dynamic(_, iterator, item) => {
                ev.bound.push((iterator.clone(), item.clone()));
                let out = alternatives(ev, expr);
                ev.bound.pop();
                out
            }
            _ => alternatives(ev, expr),
        }
    }
}

/// The blocks named `name`, and the objects of an attribute `name` (one object or a list).
fn nested<'b>(body: &'b Body, name: &str) -> Vec<Nested<'b>> {
    let mut out: Vec<Nested<'b>> = body
        .blocks()
        .filter(|b| b.ident.as_str() == name)
        .map(|b| Nested::Block(&b.body))
        .collect();
    if let Some(a) = body.get_attribute(name) {
        match strip_parens(&a.value) {
            Expression::Object(o) => out.push(Nested::Object(o)),
            Expression::Array(items) => {
                for item in items.iter() {
                    if let Expression::Object(o) = strip_parens(item) {
                        out.push(Nested::Object(o));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// [`nested`], and the copies of `dynamic "name"` blocks: one per item of a known
/// `for_each`, else one whose iterator is not known.
fn nested_dynamic<'b>(ev: &mut Evaluator<'_, '_>, body: &'b Body, name: &str) -> Vec<Nested<'b>> {
    let mut out = nested(body, name);
    for d in body.get_blocks("dynamic") {
        if !is_dynamic(d, name) {
            continue;
        }
        let Some(content) = d.body.get_blocks("content").next() else {
            continue;
        };
        let iterator = match d
            .body
            .get_attribute("iterator")
            .map(|a| strip_parens(&a.value))
        {
            Some(Expression::Variable(v)) => v.as_str().to_owned(),
            _ => name.to_owned(),
        };
        let collection = d.body.get_attribute("for_each").map(|a| ev.eval(&a.value));
        match collection
            .as_ref()
            .and_then(Ev::json)
            .and_then(collection_items)
        {
            Some(items) => {
                for (key, value) in items.into_iter().take(MAX_INSTANCES) {
                    let item = json!({ "key": key, "value": value });
                    out.push(Nested::Dynamic(&content.body, iterator.clone(), item));
                }
            }
            None => {
                let why = format!("the for_each of dynamic \"{name}\" is not known");
                let item = marker(&format!("dynamic.{name}.{iterator}"), &why);
                out.push(Nested::Dynamic(&content.body, iterator.clone(), item));
            }
        }
    }
    out
}

fn alternatives(ev: &mut Evaluator<'_, '_>, expr: Option<&Expression>) -> Vec<Alt> {
    let mut out = Vec::new();
    if let Some(e) = expr {
        ev.branches(e, Vec::new(), &mut out, 0);
    }
    out
}

/// An attribute by its API path, converted to `snake_case`, in the file that writes it.
fn by_path(ev: &mut Evaluator<'_, '_>, block: Merged<'_>, attr: Attr) -> Vec<Alt> {
    let path: Vec<String> = attr.api_path().iter().map(|p| snake(p)).collect();
    let alts = match path.as_slice() {
        [name] => attribute(ev, block, name),
        [outer, inner] => {
            let (file, body) = block.nested(outer);
            ev.in_file(file, |ev| {
                nested_dynamic(ev, body, outer)
                    .first()
                    .map(|n| n.alternatives(ev, inner))
                    .unwrap_or_default()
            })
        }
        _ => Vec::new(),
    };
    if attr.is_number() {
        numeric(alts)
    } else {
        alts
    }
}

/// The alternatives of an argument of a merged block, in the file that writes it.
fn attribute(ev: &mut Evaluator<'_, '_>, block: Merged<'_>, key: &str) -> Vec<Alt> {
    match block.attribute(key) {
        Some((file, a)) => ev.in_file(file, |ev| alternatives(ev, Some(&a.value))),
        None => Vec::new(),
    }
}

/// Reads one graph resource block, one resource per instance.
pub(crate) fn read(
    scope: &Scope<'_, '_>,
    unit: &mut Unit,
    block: Merged<'_>,
    kind: Kind,
    provider: Provider,
) {
    let [ty, name] = labels(block.block);
    let loc = scope.index.locate(block.file, block_span(block.block));
    let mut refs = Vec::new();
    let insts = instances(scope, block, &format!("{ty}.{name}"), &mut refs);
    for mut r in refs {
        r.resource = Some(unit.resources.len());
        unit.references.push(r);
    }
    for inst in insts {
        let mut ev = Evaluator::new(scope, block.file);
        ev.count_index = inst.count_index;
        ev.each = inst.each;
        let address = format!("{}{ty}.{name}{}", scope.prefix, inst.key);
        let mut r = Resource::new(kind, address.clone(), &ty, provider, loc);
        r.conditions = scope.conditions.clone();
        r.conditions.extend(inst.conditions.iter().cloned());
        r.calls.clone_from(&scope.calls);
        if matches!(inst.key.as_str(), "[count.index]" | "[each.key]") {
            r.repeated = inst.conditions.first().map(|c| c.name.clone());
        }
        r.identities = vec![format!("{address}.id"), format!("{address}.arn")];
        if provider == Provider::Alicloud && kind == Kind::FilterRule {
            let mut get = |key: &str| attribute(&mut ev, block, key);
            fill_alicloud_rule(&mut r, &ty, &mut get);
        } else {
            for &attr in Attr::of(kind) {
                let alts = by_path(&mut ev, block, attr);
                r.set(attr, alts);
            }
        }
        let index = unit.resources.len();
        let mut extra = Vec::new();
        match (kind, provider) {
            (Kind::Instance, _) => instance_interfaces(&mut ev, block, &r, &mut extra),
            (Kind::Interface, _) => {
                let (file, body) = block.nested("attachment");
                let instances: Vec<Vec<Alt>> = ev.in_file(file, |ev| {
                    nested_dynamic(ev, body, "attachment")
                        .iter()
                        .map(|att| att.alternatives(ev, "instance"))
                        .collect()
                });
                for (n, instance) in instances.into_iter().enumerate() {
                    let mut a = child(&r, Kind::Attachment, format!("{address} (attachment {n})"));
                    a.set(
                        Attr::NetworkInterfaceId,
                        vec![Alt::symbol(
                            loc,
                            format!("{address}.id"),
                            "known only after apply",
                        )],
                    );
                    a.set(Attr::InstanceId, instance);
                    extra.push(a);
                }
            }
            (Kind::Filter, Provider::Alicloud) => {
                for name in ["ingress_rules", "egress_rules"] {
                    let (file, body) = block.nested(name);
                    ev.in_file(file, |ev| {
                        alicloud_inline_rules(ev, body, name, &r, &mut extra)
                    });
                }
            }
            _ => {}
        }
        for mut rf in ev.refs.drain(..) {
            rf.resource = Some(index);
            unit.references.push(rf);
        }
        unit.resources.push(r);
        unit.resources.extend(extra);
    }
}

/// An instance's interfaces: its primary interface, and the interfaces it declares
/// (`network_interface` blocks; `network_interfaces` objects for awscc).
fn instance_interfaces(
    ev: &mut Evaluator<'_, '_>,
    block: Merged<'_>,
    instance: &Resource,
    out: &mut Vec<Resource>,
) {
    let address = &instance.address;
    let id = vec![Alt::symbol(
        instance.loc,
        format!("{address}.id"),
        "known only after apply",
    )];
    out.push(primary_attachment(
        instance,
        format!("{address}.primary_network_interface_id"),
        &format!("{address}.id"),
        "known only after apply",
    ));
    let names: &[&str] = if instance.provider == Provider::Awscc {
        &["network_interfaces"]
    } else {
        // `primary_network_interface`: AWS provider 6's form of device index 0.
        &["primary_network_interface", "network_interface"]
    };
    for name in names {
        let (file, body) = block.nested(name);
        ev.in_file(file, |ev| {
            for (n, nic) in nested_dynamic(ev, body, name).iter().enumerate() {
                let eni = nic.alternatives(ev, "network_interface_id");
                if eni.is_empty() {
                    continue;
                }
                let mut a = child(
                    instance,
                    Kind::Attachment,
                    format!("{address} ({name} {n})"),
                );
                a.loc = eni.first().map_or(instance.loc, |e| e.loc);
                a.set(Attr::NetworkInterfaceId, eni);
                a.set(Attr::InstanceId, id.clone());
                out.push(a);
            }
        });
    }
}

/// An Alibaba Cloud filter's inline `ingress_rules` or `egress_rules` blocks (`block`), as
/// rules of the filter; a `dynamic` rule block stands for any number of rules.
fn alicloud_inline_rules(
    ev: &mut Evaluator<'_, '_>,
    body: &Body,
    block: &str,
    filter: &Resource,
    out: &mut Vec<Resource>,
) {
    let address = &filter.address;
    let filter_id = Alt::symbol(
        filter.loc,
        format!("{address}.id"),
        "known only after apply",
    );
    for (n, item) in nested(body, block).iter().enumerate() {
        let mut r = child(filter, Kind::FilterRule, format!("{address}.{block}[{n}]"));
        if let Nested::Block(b) = item
            && let Some(first) = b.attributes().next()
        {
            r.loc = ev.loc(&first.value);
        }
        let mut get = |key: &str| alternatives(ev, item.get(key));
        fill_alicloud_rule(&mut r, block, &mut get);
        r.set(Attr::TrafficMirrorFilterId, vec![filter_id.clone()]);
        out.push(r);
    }
    if body.blocks().any(|d| is_dynamic(d, block)) {
        let mut r = child(filter, Kind::FilterRule, format!("{address}.{block}[*]"));
        r.repeated = Some(format!("dynamic \"{block}\" block"));
        r.set(Attr::TrafficMirrorFilterId, vec![filter_id.clone()]);
        out.push(r);
    }
}
