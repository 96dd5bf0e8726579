//! Columns of the graph tables (`awscc.ec2.traffic_mirror_filter_rules`, …) into resources.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::query::single_variable;

use crate::model::graph::{Attr, Kind, Resource};
use crate::model::{Alt, Val};
use crate::parse::graph::child;
use crate::parse::numeric;

/// `SourcePortRange`, `source_port_range` and `sourceportrange` are one name.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// A member of an object value, in either spelling (`FromPort`, `from_port`).
fn member<'j>(v: &'j Json, name: &str) -> Option<&'j Json> {
    let wanted = squash(name);
    v.as_object()?
        .iter()
        .find(|(k, _)| squash(k) == wanted)
        .map(|(_, v)| v)
}

/// Sets the attributes a column fills; an instance's `NetworkInterfaces` become attachments.
pub(crate) fn column(
    r: &mut Resource,
    column: &str,
    alts: Vec<Alt>,
    exports: &BTreeSet<String>,
    extra: &mut Vec<Resource>,
) {
    let name = squash(column);
    if r.kind == Kind::Instance && name == "networkinterfaces" {
        for (n, alt) in alts.iter().enumerate() {
            let Val::Known(Json::Array(items)) = &alt.val else {
                continue;
            };
            for item in items {
                let Some(eni) = member(item, "NetworkInterfaceId") else {
                    continue;
                };
                let mut a = child(
                    r,
                    Kind::Attachment,
                    format!("{} (NetworkInterfaces {n})", r.address),
                );
                a.set(
                    Attr::NetworkInterfaceId,
                    vec![Alt {
                        val: leaf(eni, exports),
                        ..alt.clone()
                    }],
                );
                a.set(
                    Attr::InstanceId,
                    r.identities
                        .iter()
                        .take(1)
                        .map(|id| Alt::symbol(r.loc, id.clone(), "known only after deployment"))
                        .collect(),
                );
                extra.push(a);
            }
        }
        return;
    }
    for &attr in Attr::of(r.kind) {
        let path = attr.api_path();
        let Some(first) = path.first() else { continue };
        if squash(first) != name {
            continue;
        }
        let values: Vec<Alt> = match path.get(1) {
            None => alts.clone(),
            Some(inner) => alts
                .iter()
                .filter_map(|a| match &a.val {
                    Val::Known(v) => member(v, inner).map(|m| Alt {
                        val: leaf(m, exports),
                        ..a.clone()
                    }),
                    _ => Some(a.clone()),
                })
                .collect(),
        };
        r.set(
            attr,
            if attr.is_number() {
                numeric(values)
            } else {
                values
            },
        );
    }
}

/// A value inside a partly rendered object: a template that did not render is a reference
/// (to the resource exporting its variable, when one does), never a literal.
fn leaf(v: &Json, exports: &BTreeSet<String>) -> Val {
    match v {
        Json::String(t) if t.contains("{{") || t.contains("{%") => {
            let exported = single_variable(t).filter(|n| exports.contains(*n));
            Val::Symbol {
                expr: exported.map_or_else(|| t.trim().to_owned(), |n| format!("export:{n}")),
                why: "the template does not render".into(),
            }
        }
        other => Val::Known(other.clone()),
    }
}
