//! Terraform plan JSON (`terraform show -json plan.out`) into the model.
//!
//! Sessions come from `resource_changes` (instances of `count`/`for_each` and module
//! addresses included; deletions skipped), or from `planned_values` when a plan has no
//! changes list. A value the plan knows is known, with its span in the plan file; a value
//! "known after apply" is unknown, but when the configuration section shows it refers to
//! another resource (`aws_network_interface.src.id`) that reference is its identity, as in
//! `.tf` files. With the module's configuration folder (`--plan F DIR`), each value also
//! points at the attribute that declares it in the `.tf` file.

mod graph;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use super::terraform::{ParsedFile, SESSION_TYPES};
use super::tree::{Node, NodeKind};
use crate::model::graph::kind_of_type;
use crate::model::{
    Alt, FileId, Format, Loc, Origin, Prop, Provider, Session, TagItem, TagSet, Unit, Val,
};
use crate::parse::numeric;
use crate::source::{SourceFile, Span};

/// Whether a parsed JSON document is a Terraform plan.
pub(crate) fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some()
        && (root.get("resource_changes").is_some() || root.get("planned_values").is_some())
}

/// The `.tf` files of the configuration a plan was made from, by folder.
pub(crate) struct Config<'a> {
    /// Root module folder.
    pub(crate) root: PathBuf,
    /// Parsed `.tf` files, by their folder.
    pub(crate) modules: HashMap<PathBuf, Vec<&'a ParsedFile>>,
}

/// The AWS provider's session attributes, named as in the rule input.
const FIELDS: [Prop; 7] = [
    Prop::NetworkInterfaceId,
    Prop::TrafficMirrorTargetId,
    Prop::TrafficMirrorFilterId,
    Prop::SessionNumber,
    Prop::PacketLength,
    Prop::VirtualNetworkId,
    Prop::Description,
];

/// One resource instance found in the plan.
pub(super) struct Instance<'a> {
    pub(super) address: String,
    pub(super) module: String,
    pub(super) ty: String,
    pub(super) name: String,
    pub(super) values: Option<&'a Node>,
    pub(super) unknown: Option<&'a Node>,
    pub(super) at: Span,
}

/// Reads a plan into a unit; `config` adds the declaring `.tf` attributes as origins.
pub(crate) fn read(source: Arc<SourceFile>, root: &Node, config: Option<&Config<'_>>) -> Unit {
    let mut unit = Unit::new(Format::Terraform, source.display.clone(), vec![source]);
    let configuration = root.get("configuration");
    let mut tf_files: HashMap<String, FileId> = HashMap::new();
    for inst in instances(root) {
        let refs = |field: &str| {
            config_references(configuration, &inst.module, &inst.ty, &inst.name, field)
        };
        let declared = |unit: &mut Unit, tf_files: &mut HashMap<String, FileId>, field: &str| {
            config
                .and_then(|c| {
                    declaring_attribute(c, configuration, &inst.module, &inst.ty, &inst.name, field)
                })
                .map(|(src, span)| {
                    let id = *tf_files.entry(src.display.clone()).or_insert_with(|| {
                        unit.files.push(src.clone());
                        unit.files.len() - 1
                    });
                    Loc { file: id, span }
                })
        };
        let loc = Loc {
            file: 0,
            span: inst.at,
        };
        if let Some(&(_, provider)) = SESSION_TYPES.iter().find(|(t, _)| *t == inst.ty) {
            let mut s = Session::new(inst.address.clone(), &inst.ty, provider, loc);
            for prop in FIELDS {
                let field = prop.input_name();
                let is_number = prop.is_number();
                let mut alts = value_alts(&inst, field, loc, &refs(field));
                if let Some(decl) = declared(&mut unit, &mut tf_files, field) {
                    for a in &mut alts {
                        a.origin = Some(Origin::at(decl, "declared in the configuration"));
                    }
                }
                if is_number {
                    alts = numeric(alts);
                    if provider == Provider::Aws && field == "packet_length" {
                        alts.retain(|a| a.val != Val::Known(serde_json::json!(0)));
                    }
                }
                *s.field_mut(prop) = alts;
            }
            s.tags = tags(&inst, provider, loc);
            unit.push_session(s);
        } else if let Some((kind, provider)) = kind_of_type(&inst.ty) {
            let resources = graph::resource(&inst, kind, provider, loc, &refs);
            unit.resources.extend(resources);
        }
    }
    unit
}

pub(super) fn strip_index(address: &str) -> &str {
    address.rsplit_once('[').map_or(address, |(a, _)| a)
}

fn instances(root: &Node) -> Vec<Instance<'_>> {
    let mut out = Vec::new();
    if let Some(changes) = root.get("resource_changes").and_then(Node::as_seq) {
        for rc in changes {
            if rc.get("mode").and_then(Node::as_str) != Some("managed") {
                continue;
            }
            let Some(change) = rc.get("change") else {
                continue;
            };
            let after = change.get("after").filter(|a| a.as_map().is_some());
            let Some(values) = after else { continue }; // deleted
            out.push(Instance {
                address: text(rc.get("address")),
                module: text(rc.get("module_address")),
                ty: text(rc.get("type")),
                name: text(rc.get("name")),
                values: Some(values),
                unknown: change.get("after_unknown"),
                at: rc.get("address").map_or(rc.span, |a| a.span),
            });
        }
        return out;
    }
    if let Some(module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned(module, &mut out);
    }
    out
}

fn planned<'a>(module: &'a Node, out: &mut Vec<Instance<'a>>) {
    let module_address = text(module.get("address"));
    for r in module
        .get("resources")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        if r.get("mode").and_then(Node::as_str) != Some("managed") {
            continue;
        }
        out.push(Instance {
            address: text(r.get("address")),
            module: module_address.clone(),
            ty: text(r.get("type")),
            name: text(r.get("name")),
            values: r.get("values"),
            unknown: None,
            at: r.get("address").map_or(r.span, |a| a.span),
        });
    }
    for child in module
        .get("child_modules")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        planned(child, out);
    }
}

fn text(n: Option<&Node>) -> String {
    n.and_then(Node::scalar_text).unwrap_or_default()
}

pub(super) fn value_alts(inst: &Instance<'_>, field: &str, at: Loc, refs: &[String]) -> Vec<Alt> {
    let value = inst.values.and_then(|v| v.get(field));
    let unknown = inst
        .unknown
        .and_then(|u| u.get(field))
        .is_some_and(|u| matches!(u.kind, NodeKind::Bool(true)));
    match value {
        Some(n) if !matches!(n.kind, NodeKind::Null) => {
            vec![Alt::known(
                Loc {
                    file: 0,
                    span: n.span,
                },
                n.to_json(),
            )]
        }
        _ if unknown => {
            let span = inst
                .unknown
                .and_then(|u| u.entry(field))
                .map_or(at.span, |e| e.key_span);
            let loc = Loc { file: 0, span };
            match refs.first() {
                Some(r) => vec![Alt::symbol(
                    loc,
                    r.clone(),
                    format!("{field} is known only after apply ({r})"),
                )],
                None => vec![Alt::unknown(
                    loc,
                    format!("{field} is known only after apply"),
                )],
            }
        }
        _ => Vec::new(),
    }
}

fn tags(inst: &Instance<'_>, provider: Provider, at: Loc) -> Vec<TagSet> {
    let Some(node) = inst.values.and_then(|v| v.get("tags")) else {
        return Vec::new();
    };
    let loc = Loc {
        file: 0,
        span: node.span,
    };
    let mut items = Vec::new();
    match (&node.kind, provider) {
        (NodeKind::Map(entries), _) => {
            for e in entries {
                items.push(TagItem {
                    loc: Loc {
                        file: 0,
                        span: Span::new(e.key_span.start, e.value.span.end),
                    },
                    key: Alt::known(
                        Loc {
                            file: 0,
                            span: e.key_span,
                        },
                        Json::String(e.key.clone()),
                    ),
                    value: Alt::known(
                        Loc {
                            file: 0,
                            span: e.value.span,
                        },
                        e.value.to_json(),
                    ),
                });
            }
        }
        (NodeKind::Seq(list), Provider::Awscc) => {
            for item in list {
                if let (Some(k), Some(v)) = (item.get("key"), item.get("value")) {
                    items.push(TagItem {
                        loc: Loc {
                            file: 0,
                            span: item.span,
                        },
                        key: Alt::known(
                            Loc {
                                file: 0,
                                span: k.span,
                            },
                            k.to_json(),
                        ),
                        value: Alt::known(
                            Loc {
                                file: 0,
                                span: v.span,
                            },
                            v.to_json(),
                        ),
                    });
                }
            }
        }
        (NodeKind::Null, _) => return Vec::new(),
        _ => {
            return vec![TagSet {
                loc: at,
                when: Vec::new(),
                items: None,
                why: "tags are not a map".into(),
            }];
        }
    }
    vec![TagSet {
        loc,
        when: Vec::new(),
        items: Some(items),
        why: String::new(),
    }]
}

/// The configuration module node for a module address (`module.a.module.b`).
fn config_module<'a>(configuration: Option<&'a Node>, module: &str) -> Option<&'a Node> {
    let mut node = configuration?.get("root_module")?;
    for name in module_names(module) {
        node = node.get("module_calls")?.get(name)?.get("module")?;
    }
    Some(node)
}

/// `module.a[0].module.b` → `["a", "b"]`.
fn module_names(module: &str) -> Vec<&str> {
    module
        .split("module.")
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('.').split('[').next().unwrap_or(""))
        .collect()
}

fn config_resource<'a>(
    configuration: Option<&'a Node>,
    module: &str,
    ty: &str,
    name: &str,
) -> Option<&'a Node> {
    let m = config_module(configuration, module)?;
    let address = format!("{ty}.{name}");
    m.get("resources")?
        .as_seq()?
        .iter()
        .find(|r| r.get("address").and_then(Node::as_str) == Some(address.as_str()))
}

/// References the configuration expression of an attribute makes (`aws_network_interface.src.id`).
fn config_references(
    configuration: Option<&Node>,
    module: &str,
    ty: &str,
    name: &str,
    field: &str,
) -> Vec<String> {
    let Some(r) = config_resource(configuration, module, ty, name) else {
        return Vec::new();
    };
    let refs = r
        .get("expressions")
        .and_then(|e| e.get(field))
        .and_then(|e| e.get("references"));
    resolve_references(configuration, module, refs, 0)
}

/// References of an expression in `module`, with `var.x` followed up through the module
/// call's argument (`module "m" { x = aws_network_interface.web.id }`), so that a module's
/// session and a root session on the same interface share one identity.
fn resolve_references(
    configuration: Option<&Node>,
    module: &str,
    refs: Option<&Node>,
    depth: usize,
) -> Vec<String> {
    let prefix = if module.is_empty() {
        String::new()
    } else {
        format!("{module}.")
    };
    let mut out = Vec::new();
    for r in refs
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
    {
        if let (Some(var), Some((parent, call))) = (r.strip_prefix("var."), split_module(module))
            && depth < 16
        {
            let arg = config_module(configuration, parent)
                .and_then(|m| m.get("module_calls"))
                .and_then(|c| c.get(call))
                .and_then(|c| c.get("expressions"))
                .and_then(|e| e.get(var))
                .and_then(|e| e.get("references"));
            let up = resolve_references(configuration, parent, arg, depth + 1);
            if !up.is_empty() {
                out.extend(up);
                continue;
            }
        }
        out.push(format!("{prefix}{r}"));
    }
    out
}

/// `module.a.module.b` → (`module.a`, `b`); the root module has no parent.
fn split_module(module: &str) -> Option<(&str, &str)> {
    let i = module.rfind("module.")?;
    let call = module[i + "module.".len()..]
        .split('[')
        .next()
        .unwrap_or("");
    Some((module[..i].trim_end_matches('.'), call))
}

/// The span of the attribute value declaring `field` in the module's `.tf` files.
fn declaring_attribute(
    config: &Config<'_>,
    configuration: Option<&Node>,
    module: &str,
    ty: &str,
    name: &str,
    field: &str,
) -> Option<(Arc<SourceFile>, Span)> {
    let mut folder = config.root.clone();
    let mut node = configuration.and_then(|c| c.get("root_module"));
    for m in module_names(module) {
        let call = node?.get("module_calls")?.get(m)?;
        let source = call.get("source").and_then(Node::as_str)?;
        if !(source.starts_with("./") || source.starts_with("../")) {
            return None;
        }
        folder = normalize(&folder.join(source));
        node = call.get("module");
    }
    let files = config.modules.get(&folder)?;
    for f in files {
        for block in f.body.get_blocks("resource") {
            let mut labels = block.labels.iter().map(|l| l.as_str());
            if labels.next() == Some(ty) && labels.next() == Some(name) {
                let attr = block.body.get_attribute(field)?;
                let range = hcl_edit::Span::span(&attr.value)?;
                let span = f
                    .remap
                    .as_ref()
                    .map_or(Span::new(range.start, range.end), |r| {
                        r.map(Span::new(range.start, range.end))
                    });
                return Some((f.source.clone(), span));
            }
        }
    }
    None
}

/// A path with `.` and `..` components resolved lexically.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    const PLAN: &str = r#"{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "module.m.aws_ec2_traffic_mirror_session.s[0]", "module_address": "module.m", "mode": "managed",
     "type": "aws_ec2_traffic_mirror_session", "name": "s", "index": 0,
     "change": {"actions": ["create"], "after": {"session_number": 0, "packet_length": null, "tags": {"Name": "x"}},
                "after_unknown": {"network_interface_id": true}}},
    {"address": "aws_ec2_traffic_mirror_session.gone", "mode": "managed", "type": "aws_ec2_traffic_mirror_session",
     "name": "gone", "change": {"actions": ["delete"], "after": null}}
  ],
  "configuration": {"root_module": {"module_calls": {"m": {"source": "./m", "module": {"resources": [
    {"address": "aws_ec2_traffic_mirror_session.s", "expressions": {"network_interface_id": {"references": ["aws_network_interface.src.id", "aws_network_interface.src"]}}}
  ]}}}}}
}"#;

    #[test]
    fn reads_changes_with_module_addresses_and_symbolic_unknowns() {
        let src = Arc::new(SourceFile::in_memory("plan.json", PLAN));
        let root = json::parse(&src).ok().flatten().expect("json");
        assert!(is_plan(&root));
        let unit = read(src, &root, None);
        assert_eq!(unit.sessions.len(), 1, "the deleted session is skipped");
        let s = &unit.sessions[0];
        assert_eq!(s.address, "module.m.aws_ec2_traffic_mirror_session.s[0]");
        assert_eq!(s.session_number[0].val, Val::Known(serde_json::json!(0)));
        assert!(s.packet_length.is_empty());
        assert!(
            matches!(&s.network_interface_id[0].val, Val::Symbol { expr, .. } if expr == "module.m.aws_network_interface.src.id")
        );
        assert_eq!(s.tags[0].items.as_ref().map(Vec::len), Some(1));
    }
}
