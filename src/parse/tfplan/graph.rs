//! The mirror graph in a plan: targets, filters, rules, instances (with their interfaces) as
//! planned values, and Alibaba Cloud filters' inline rules.

use super::{Instance, strip_index, value_alts};
use crate::model::graph::{Attr, Kind, Resource, snake};
use crate::model::{Alt, Loc, Provider};
use crate::parse::graph::{child, fill_alicloud_rule, primary_attachment};
use crate::parse::numeric;
use crate::parse::tree::{Node, NodeKind};

/// A graph resource of the plan, with the resources declared inside it.
pub(super) fn resource(
    inst: &Instance<'_>,
    kind: Kind,
    provider: Provider,
    loc: Loc,
    refs: &dyn Fn(&str) -> Vec<String>,
) -> Vec<Resource> {
    let address = &inst.address;
    let mut r = Resource::new(kind, address.clone(), &inst.ty, provider, loc);
    r.identities = vec![format!("{address}.id"), format!("{address}.arn")];
    let bare = strip_index(address);
    if bare != address {
        r.identities.push(format!("{bare}.id"));
    }
    let mut get = |field: &str| value_alts(inst, field, loc, &refs(field));
    if provider == Provider::Alicloud && kind == Kind::FilterRule {
        fill_alicloud_rule(&mut r, &inst.ty, &mut get);
    } else {
        for &attr in Attr::of(kind) {
            let path: Vec<String> = attr.api_path().iter().map(|p| snake(p)).collect();
            let alts = match path.as_slice() {
                [one] => get(one),
                [outer, inner] => nested_alts(inst, outer, inner),
                _ => Vec::new(),
            };
            r.set(
                attr,
                if attr.is_number() {
                    numeric(alts)
                } else {
                    alts
                },
            );
        }
    }
    let mut out = Vec::new();
    match (kind, provider) {
        (Kind::Instance, _) => {
            out.push(primary_attachment(
                &r,
                format!("{bare}.primary_network_interface_id"),
                &format!("{bare}.id"),
                "known only after apply",
            ));
            let blocks = if provider == Provider::Awscc {
                "network_interfaces"
            } else {
                "network_interface"
            };
            for (n, nic) in items(inst.values, blocks).iter().enumerate() {
                if let Some(eni) = nic.get("network_interface_id").filter(|v| !is_null(v)) {
                    let mut a = child(&r, Kind::Attachment, format!("{address} ({blocks} {n})"));
                    a.set(
                        Attr::NetworkInterfaceId,
                        vec![Alt::known(
                            Loc {
                                file: 0,
                                span: eni.span,
                            },
                            eni.to_json(),
                        )],
                    );
                    a.set(
                        Attr::InstanceId,
                        vec![Alt::symbol(
                            loc,
                            format!("{bare}.id"),
                            "known only after apply",
                        )],
                    );
                    out.push(a);
                }
            }
        }
        (Kind::Filter, Provider::Alicloud) => {
            for block in ["ingress_rules", "egress_rules"] {
                for (n, item) in items(inst.values, block).iter().enumerate() {
                    let mut rule = child(&r, Kind::FilterRule, format!("{address}.{block}[{n}]"));
                    let mut get = |key: &str| match item.get(key).filter(|v| !is_null(v)) {
                        Some(v) => vec![Alt::known(
                            Loc {
                                file: 0,
                                span: v.span,
                            },
                            v.to_json(),
                        )],
                        None => Vec::new(),
                    };
                    fill_alicloud_rule(&mut rule, block, &mut get);
                    rule.set(
                        Attr::TrafficMirrorFilterId,
                        vec![Alt::symbol(
                            loc,
                            format!("{bare}.id"),
                            "known only after apply",
                        )],
                    );
                    out.push(rule);
                }
            }
        }
        _ => {}
    }
    out.insert(0, r);
    out
}

fn is_null(n: &Node) -> bool {
    matches!(n.kind, NodeKind::Null)
}

/// The objects of a nested block (a list in plan values) or object attribute.
fn items<'a>(values: Option<&'a Node>, name: &str) -> Vec<&'a Node> {
    match values.and_then(|v| v.get(name)) {
        Some(n) => match n.as_seq() {
            Some(list) => list.iter().collect(),
            None if n.as_map().is_some() => vec![n],
            None => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// A value inside the first object of a nested block (`source_port_range[0].from_port`).
fn nested_alts(inst: &Instance<'_>, outer: &str, inner: &str) -> Vec<Alt> {
    match items(inst.values, outer)
        .first()
        .and_then(|o| o.get(inner))
        .filter(|v| !is_null(v))
    {
        Some(v) => vec![Alt::known(
            Loc {
                file: 0,
                span: v.span,
            },
            v.to_json(),
        )],
        None => Vec::new(),
    }
}
