//! stackql-deploy manifests (`stackql_manifest.yml`) into the model.
//!
//! A manifest never names the provider resource: each entry of `resources` has a query file
//! (`resources/<name>.iql`, or `file:`), and the entry is a traffic mirror session when its
//! `/*+ create */` query inserts into `awscc.ec2.traffic_mirror_sessions` (or the `aws.ec2`
//! equivalent), and a part of the mirror graph when it inserts into the targets, filters,
//! filter rules, interfaces, instances or attachments tables. A resource's `exports` name it:
//! another resource's `{{ filter_id }}` that does not render is that resource. The INSERT's columns say which property each SELECT expression fills, and
//! the expressions usually name manifest props (`'{{ session_number }}'`): the value is then
//! the prop's, with its span in the manifest. Props with per-environment `values` give one
//! alternative per environment (`--stack-env` picks one); templates are rendered with
//! minijinja as stackql-deploy renders them (Jinja2), from `--var`, `stack_name`,
//! `stack_env` and `globals`. A template that does not render is unknown, not an error.

mod graph;
mod query;
mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use self::query::{Column, column_of, find_insert, single_variable};
use self::render::{Renderer, context, prop_value};
use super::tree::Node;
use crate::model::graph::{Resource, kind_of_type};
use crate::model::{Alt, Condition, Format, Loc, Provider, Session, TagItem, TagSet, Unit, Val};
use crate::parse::numeric;
use crate::source::{SourceFile, Span};

/// Settings that shape rendering: `--stack-env` and `--var KEY=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct StackqlOptions {
    /// The environment to check; all environments the manifest names when `None`.
    pub stack_env: Option<String>,
    /// Template variables.
    pub vars: BTreeMap<String, String>,
}

/// Whether a file name is a stackql-deploy manifest.
pub(crate) fn is_manifest(name: &str) -> bool {
    matches!(name, "stackql_manifest.yml" | "stackql_manifest.yaml")
}

/// Most environments checked at once (each is an alternative of every value).
const MAX_ENVIRONMENTS: usize = 64;

/// Most template renders one manifest may take.
const MAX_RENDERS: usize = 200_000;

/// The tables a manifest resource may insert into, and what each declares.
const TABLES: &[&str] = &[
    "awscc.ec2.traffic_mirror_sessions",
    "aws.ec2.traffic_mirror_sessions",
    "awscc.ec2.traffic_mirror_targets",
    "awscc.ec2.traffic_mirror_filters",
    "awscc.ec2.traffic_mirror_filter_rules",
    "awscc.ec2.network_interfaces",
    "awscc.ec2.instances",
    "awscc.ec2.network_interface_attachments",
];

/// Reads a manifest and the query files of its resources (`resources/<name>.iql` keyed by
/// their path relative to the manifest folder).
pub(crate) fn read(
    manifest: Arc<SourceFile>,
    root: &Node,
    queries: &BTreeMap<String, Arc<SourceFile>>,
    options: &StackqlOptions,
) -> Unit {
    let mut unit = Unit::new(
        Format::Stackql,
        manifest.display.clone(),
        vec![manifest.clone()],
    );
    let renderer = Renderer::new();
    let stack_name = root
        .get("name")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let resources = root.get("resources").and_then(Node::as_seq).unwrap_or(&[]);
    let mut names: Vec<String> = Vec::new();
    for r in resources {
        for p in r.get("props").and_then(Node::as_seq).unwrap_or(&[]) {
            for e in p.get("values").and_then(Node::as_map).unwrap_or(&[]) {
                if !names.contains(&e.key) {
                    names.push(e.key.clone());
                }
            }
        }
    }
    names.sort();
    let envs: Vec<Option<String>> = match &options.stack_env {
        Some(e) => {
            // A typo in --stack-env would check nothing: say which environments exist.
            if !names.is_empty() && !names.contains(e) {
                unit.usage_errors.push(format!(
                    "--stack-env {e} names no environment of {}; it has {}",
                    manifest.display,
                    names.join(", ")
                ));
                return unit;
            }
            vec![Some(e.clone())]
        }
        None if names.is_empty() => vec![None],
        None => names.iter().cloned().map(Some).collect(),
    };
    if envs.len() > MAX_ENVIRONMENTS {
        unit.errors.push((
            Loc {
                file: 0,
                span: root.span,
            },
            format!(
                "the manifest names {} environments, more than the {MAX_ENVIRONMENTS} mirrorguard checks at once; pass --stack-env to check one",
                envs.len()
            ),
        ));
        return unit;
    }
    let exports = exported_names(resources);

    for resource in resources {
        let Some(name) = resource.get("name").and_then(Node::scalar_text) else {
            continue;
        };
        let file = resource
            .get("file")
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| format!("{name}.iql"));
        let Some(query) = queries
            .get(&format!("resources/{file}"))
            .or_else(|| queries.get(&file))
        else {
            continue;
        };
        let Some(insert) = find_insert(&query.text) else {
            continue;
        };
        let query_id = unit
            .files
            .iter()
            .position(|f| Arc::ptr_eq(f, query))
            .unwrap_or_else(|| {
                unit.files.push(query.clone());
                unit.files.len() - 1
            });
        let loc = Loc {
            file: 0,
            span: resource.get("name").map_or(resource.span, |n| n.span),
        };
        let conditions: Vec<Condition> = resource
            .get("if")
            .and_then(Node::scalar_text)
            .map(|c| Condition::is(format!("if {c}"), true))
            .into_iter()
            .collect();
        let props: Vec<&Node> = resource
            .get("props")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .collect();
        // One template context per environment, shared by every column.
        let contexts: Vec<Map<String, Json>> = envs
            .iter()
            .map(|env| {
                context(
                    &renderer,
                    root,
                    &stack_name,
                    &name,
                    env.as_deref(),
                    options,
                    &props,
                )
            })
            .collect();
        let columns = Columns {
            renderer: &renderer,
            envs: &envs,
            contexts: &contexts,
            explicit_env: options.stack_env.is_some(),
            props: &props,
            query_id,
            exports: &exports,
        };
        if insert.table.ends_with("traffic_mirror_sessions") {
            let mut s = Session::new(
                name.clone(),
                "awscc.ec2.traffic_mirror_sessions",
                Provider::Awscc,
                loc,
            );
            s.conditions = conditions;
            for (column, expr, expr_span) in &insert.columns {
                let Some(field) = column_of(column) else {
                    continue;
                };
                let (alts, tag_sets) = columns.values(expr, *expr_span, field == Column::Tags);
                match field {
                    Column::Prop(p) if p.is_number() => *s.field_mut(p) = numeric(alts),
                    Column::Prop(p) => *s.field_mut(p) = alts,
                    Column::Tags => s.tags = tag_sets,
                }
            }
            unit.push_session(s);
        } else if let Some((kind, provider)) = kind_of_type(insert.table) {
            let mut r = Resource::new(kind, name.clone(), insert.table, provider, loc);
            r.conditions = conditions;
            r.identities = vec![format!("stackql:{name}")];
            r.identities.extend(exports_of(resource));
            let mut extra = Vec::new();
            for (column, expr, expr_span) in &insert.columns {
                let (alts, _) = columns.values(expr, *expr_span, false);
                graph::column(&mut r, column, alts, &exports, &mut extra);
            }
            unit.resources.push(r);
            unit.resources.extend(extra);
        }
    }
    unit.created
        .extend(exports.iter().map(|e| format!("export:{e}")));
    if renderer.renders.get() == 0 {
        unit.errors.push((
            Loc {
                file: 0,
                span: root.span,
            },
            format!("the manifest needs more than {MAX_RENDERS} template renders; values past that point are unknown"),
        ));
    }
    unit
}

/// The names every resource of the manifest exports (`exports: [filter_id]`): other
/// resources use them as template variables, which name the exporting resource.
fn exported_names(resources: &[Node]) -> BTreeSet<String> {
    resources
        .iter()
        .flat_map(exports_of)
        .filter_map(|e| e.strip_prefix("export:").map(str::to_owned))
        .collect()
}

/// A resource's identities: `export:<name>` for each name it exports.
fn exports_of(resource: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for e in resource
        .get("exports")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        if let Some(n) = e.scalar_text() {
            out.push(format!("export:{n}"));
        }
        for entry in e.as_map().unwrap_or(&[]) {
            out.push(format!("export:{}", entry.key));
            if let Some(alias) = entry.value.scalar_text() {
                out.push(format!("export:{alias}"));
            }
        }
    }
    out
}

/// What the values of a resource's columns are computed from.
struct Columns<'a> {
    renderer: &'a Renderer,
    envs: &'a [Option<String>],
    contexts: &'a [Map<String, Json>],
    explicit_env: bool,
    props: &'a [&'a Node],
    query_id: usize,
    exports: &'a BTreeSet<String>,
}

impl Columns<'_> {
    fn prop(&self, n: &str) -> Option<&Node> {
        self.props
            .iter()
            .copied()
            .find(|p| p.get("name").and_then(Node::as_str) == Some(n))
    }

    /// A column's alternatives (one per environment), or its tag sets when `tags`.
    fn values(&self, expr: &str, expr_span: Span, tags: bool) -> (Vec<Alt>, Vec<TagSet>) {
        let mut alts = Vec::new();
        let mut tag_sets = Vec::new();
        for (env, cx) in self.envs.iter().zip(self.contexts) {
            let when: Vec<Condition> = match env {
                Some(e) if !self.explicit_env => vec![Condition::equals("stack_env", e.clone())],
                _ => Vec::new(),
            };
            // The value comes from a prop when the expression names one; else from the query.
            let (node, at) = match single_variable(expr).and_then(|n| self.prop(n)) {
                Some(p) => match prop_value(p, env.as_deref()) {
                    Some(n) => (
                        Some(n),
                        Loc {
                            file: 0,
                            span: n.span,
                        },
                    ),
                    None => (
                        None,
                        Loc {
                            file: 0,
                            span: p.span,
                        },
                    ),
                },
                None => (
                    None,
                    Loc {
                        file: self.query_id,
                        span: expr_span,
                    },
                ),
            };
            let raw: Json = match node {
                Some(n) => n.to_json(),
                None if at.file == self.query_id => {
                    Json::String(expr.trim().trim_matches('\'').to_owned())
                }
                None => {
                    alts.push(Alt {
                        when,
                        ..Alt::unknown(
                            at,
                            format!("no value for environment {}", env.as_deref().unwrap_or("?")),
                        )
                    });
                    continue;
                }
            };
            let rendered = self.renderer.render_json(&raw, cx);
            if tags {
                tag_sets.push(self::tags(rendered, at, when, node));
                continue;
            }
            let val = match rendered {
                Ok(Json::String(text)) if text.starts_with('[') || text.starts_with('{') => {
                    Val::Known(serde_json::from_str(&text).unwrap_or(Json::String(text)))
                }
                Ok(v) => Val::Known(v),
                Err(why) => match &raw {
                    // An object or list: what renders is known, what does not stays a
                    // template, read item by item (an instance's interfaces, a port range).
                    Json::Array(_) | Json::Object(_) if !tags => {
                        Val::Known(self.renderer.render_partial(&raw, cx))
                    }
                    Json::String(t) => {
                        // `{{ filter_id }}` exported by another resource names that resource.
                        let exported = single_variable(t).filter(|n| self.exports.contains(*n));
                        Val::Symbol {
                            expr: exported
                                .map_or_else(|| t.trim().to_owned(), |n| format!("export:{n}")),
                            why: format!("template does not render: {why}"),
                        }
                    }
                    _ => Val::Unknown(why),
                },
            };
            alts.push(Alt {
                loc: at,
                when,
                val,
                origin: None,
            });
        }
        (alts, tag_sets)
    }
}

/// A tag set from a rendered `Tags` value (a list of `{Key, Value}`), spans at the prop's items.
fn tags(
    rendered: Result<Json, String>,
    at: Loc,
    when: Vec<Condition>,
    node: Option<&Node>,
) -> TagSet {
    let list = match rendered {
        Ok(Json::String(s)) => serde_json::from_str(&s).unwrap_or(Json::Null),
        Ok(v) => v,
        Err(why) => {
            return TagSet {
                loc: at,
                when,
                items: None,
                why: format!("tags do not render: {why}"),
            };
        }
    };
    let Json::Array(list) = list else {
        return TagSet {
            loc: at,
            when,
            items: None,
            why: "tags are not a list".into(),
        };
    };
    let nodes: &[Node] = node.and_then(Node::as_seq).unwrap_or(&[]);
    let items = list
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let key = t.get("Key")?.clone();
            let value = t.get("Value").cloned().unwrap_or(Json::Null);
            let item_node = nodes.get(i);
            let here = |k: &str| Loc {
                file: at.file,
                span: item_node
                    .and_then(|n| n.get(k))
                    .map_or(item_node.map_or(at.span, |n| n.span), |n| n.span),
            };
            Some(TagItem {
                loc: Loc {
                    file: at.file,
                    span: item_node.map_or(at.span, |n| n.span),
                },
                key: Alt::known(here("Key"), key),
                value: Alt::known(here("Value"), value),
            })
        })
        .collect();
    TagSet {
        loc: at,
        when,
        items: Some(items),
        why: String::new(),
    }
}

#[cfg(test)]
mod tests;
