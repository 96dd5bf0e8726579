//! stackql-deploy manifests (`stackql_manifest.yml`) into the model.
//!
//! A manifest never names the provider resource: each entry of `resources` has a query file
//! (`resources/<name>.iql`, or `file:`), and the entry is a traffic mirror session when its
//! `/*+ create */` query inserts into `awscc.ec2.traffic_mirror_sessions` (or the `aws.ec2`
//! equivalent). The INSERT's columns say which property each SELECT expression fills, and
//! the expressions usually name manifest props (`'{{ session_number }}'`): the value is then
//! the prop's, with its span in the manifest. Props with per-environment `values` give one
//! alternative per environment (`--stack-env` picks one); templates are rendered with
//! minijinja as stackql-deploy renders them (Jinja2), from `--var`, `stack_name`,
//! `stack_env` and `globals`. A template that does not render is unknown, not an error.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value as Json, json};

use super::tree::Node;
use crate::model::{
    Alt, Condition, Format, Loc, Prop, Provider, Session, TagItem, TagSet, Unit, Val,
};
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

const TABLES: &[&str] = &[
    "awscc.ec2.traffic_mirror_sessions",
    "aws.ec2.traffic_mirror_sessions",
];

/// A query file's `/*+ create */` INSERT into a session table: columns and their expressions.
struct Insert {
    /// (column, expression text, expression span in the `.iql` file)
    columns: Vec<(String, String, Span)>,
}

/// Finds the INSERT INTO a session table in a query file.
fn find_insert(iql: &str) -> Option<Insert> {
    let lower = iql.to_ascii_lowercase();
    let table_at = TABLES
        .iter()
        .filter_map(|t| lower.find(&format!("insert into {t}")))
        .min()?;
    let open = table_at + lower[table_at..].find('(')?;
    let close = open + lower[open..].find(')')?;
    let columns: Vec<&str> = iql[open + 1..close].split(',').map(str::trim).collect();
    let select = close + lower[close..].find("select")? + "select".len();
    let end = [";", "returning", "/*+"]
        .iter()
        .filter_map(|stop| lower[select..].find(stop))
        .min()
        .map_or(iql.len(), |e| select + e);
    let exprs = split_top_level(&iql[select..end], select);
    Some(Insert {
        columns: columns
            .into_iter()
            .zip(exprs)
            .map(|(c, (text, span))| (c.to_owned(), text, span))
            .collect(),
    })
}

/// Splits a SELECT list on commas outside quotes, brackets and `{{ }}`, with spans.
fn split_top_level(text: &str, offset: usize) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let push = |out: &mut Vec<(String, Span)>, s: usize, e: usize| {
        let raw = &text[s..e];
        let trimmed = raw.trim();
        let lead = raw.len() - raw.trim_start().len();
        out.push((
            trimmed.to_owned(),
            Span::new(offset + s + lead, offset + s + lead + trimmed.len()),
        ));
    };
    for &(i, c) in &bytes {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                push(&mut out, start, i);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&mut out, start, text.len());
    out
}

/// What a column fills: a session property, or the tags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Prop(Prop),
    Tags,
}

fn column_of(column: &str) -> Option<Column> {
    if column.eq_ignore_ascii_case("tags") {
        return Some(Column::Tags);
    }
    Prop::from_any_name(column).map(Column::Prop)
}

/// `'{{ name }}'` or `{{ name | filter }}` naming exactly one variable: that name.
fn single_variable(expr: &str) -> Option<&str> {
    let e = expr.trim().trim_matches('\'').trim();
    let inner = e.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let name = inner.split('|').next()?.trim();
    (!name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && inner.matches("{{").count() == 0)
        .then_some(name)
}

struct Renderer {
    env: Environment<'static>,
    /// Renders left to this manifest.
    renders: std::cell::Cell<usize>,
}

impl Renderer {
    fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(100_000));
        env.add_filter("sql_escape", |s: String| s.replace('\'', "''"));
        // Fuel bounds steps, not memory: a chain of `replace` multiplies a string's length
        // at each step. This `replace` refuses results past the limit.
        env.add_filter(
            "replace",
            |s: String, from: String, to: String| -> Result<String, minijinja::Error> {
                let grows = to.len().saturating_sub(from.len());
                let count = if from.is_empty() {
                    s.len() + 1
                } else {
                    s.matches(from.as_str()).count()
                };
                if s.len().saturating_add(grows.saturating_mul(count))
                    > crate::parse::MAX_VALUE_BYTES
                {
                    return Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        "replace() would produce more than 1 MiB",
                    ));
                }
                Ok(s.replace(from.as_str(), &to))
            },
        );
        env.add_filter("from_json", |s: String| {
            serde_json::from_str::<Json>(&s)
                .map(|j| minijinja::Value::from(minijinja::value::Serde(j)))
                .unwrap_or_default()
        });
        Self {
            env,
            renders: std::cell::Cell::new(MAX_RENDERS),
        }
    }

    /// Renders a template string; `Err` names what is missing.
    fn render(&self, template: &str, cx: &Map<String, Json>) -> Result<String, String> {
        if !template.contains("{{") && !template.contains("{%") {
            return Ok(template.to_owned());
        }
        let left = self.renders.get();
        if left == 0 {
            return Err(format!(
                "the manifest needs more than {MAX_RENDERS} template renders"
            ));
        }
        self.renders.set(left - 1);
        self.env
            .render_str(
                template,
                minijinja::Value::from(minijinja::value::Serde(cx)),
            )
            .and_then(|out| {
                if out.len() > crate::parse::MAX_VALUE_BYTES {
                    Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        "the template renders to more than 1 MiB",
                    ))
                } else {
                    Ok(out)
                }
            })
            .map_err(|e| {
                let undefined = undefined_names(template, cx);
                if undefined.is_empty() {
                    e.to_string()
                        .lines()
                        .next()
                        .unwrap_or("template error")
                        .to_owned()
                } else {
                    format!(
                        "{} {} not defined (pass --var {}=..., or add it to the manifest's globals or props)",
                        undefined.join(", "),
                        if undefined.len() == 1 { "is" } else { "are" },
                        undefined.first().map_or("", String::as_str)
                    )
                }
            })
    }

    /// Renders every string leaf of a JSON value.
    fn render_json(&self, v: &Json, cx: &Map<String, Json>) -> Result<Json, String> {
        Ok(match v {
            Json::String(s) => Json::String(self.render(s, cx)?),
            Json::Array(a) => Json::Array(
                a.iter()
                    .map(|x| self.render_json(x, cx))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), self.render_json(x, cx)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// The variables a template names (`{{ name ... }}`, `{% if name %}`) that the context
/// does not define.
fn undefined_names(template: &str, cx: &Map<String, Json>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{']) {
        let after = &rest[at + 1..];
        rest = after;
        let Some(inner) = after.strip_prefix('{').or_else(|| after.strip_prefix('%')) else {
            continue;
        };
        let inner = inner.trim_start_matches(['-', ' ']);
        let inner = ["if ", "for ", "elif "]
            .iter()
            .find_map(|k| inner.strip_prefix(k))
            .unwrap_or(inner)
            .trim_start();
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let keyword = matches!(
            name.as_str(),
            "" | "true" | "false" | "none" | "not" | "endif" | "endfor" | "else" | "loop"
        );
        if !keyword
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !cx.contains_key(&name)
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

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
    let explicit_env = options.stack_env.is_some();
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
        let mut s = Session::new(
            name.clone(),
            "awscc.ec2.traffic_mirror_sessions",
            Provider::Awscc,
            loc,
        );
        if let Some(cond) = resource.get("if").and_then(Node::scalar_text) {
            s.conditions.push(Condition::is(format!("if {cond}"), true));
        }
        let props: Vec<&Node> = resource
            .get("props")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .collect();
        let prop = |n: &str| {
            props
                .iter()
                .copied()
                .find(|p| p.get("name").and_then(Node::as_str) == Some(n))
        };

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
        for (column, expr, expr_span) in &insert.columns {
            let Some(field) = column_of(column) else {
                continue;
            };
            let mut alts = Vec::new();
            let mut tag_sets = Vec::new();
            for (env, cx) in envs.iter().zip(&contexts) {
                let when: Vec<Condition> = match env {
                    Some(e) if !explicit_env => vec![Condition::equals("stack_env", e.clone())],
                    _ => Vec::new(),
                };
                // The value comes from a prop when the expression names one; else from the query.
                let (node, at) = match single_variable(expr).and_then(&prop) {
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
                            file: query_id,
                            span: *expr_span,
                        },
                    ),
                };
                let raw: Json = match node {
                    Some(n) => n.to_json(),
                    None if at.file == query_id => {
                        Json::String(expr.trim().trim_matches('\'').to_owned())
                    }
                    None => {
                        alts.push(Alt {
                            when,
                            ..Alt::unknown(
                                at,
                                format!(
                                    "no value for environment {}",
                                    env.as_deref().unwrap_or("?")
                                ),
                            )
                        });
                        continue;
                    }
                };
                let rendered = renderer.render_json(&raw, cx);
                if field == Column::Tags {
                    tag_sets.push(tags(rendered, at, when, node));
                    continue;
                }
                let val = match rendered {
                    Ok(Json::String(text)) if text.starts_with('[') || text.starts_with('{') => {
                        Val::Known(serde_json::from_str(&text).unwrap_or(Json::String(text)))
                    }
                    Ok(v) => Val::Known(v),
                    Err(why) => match &raw {
                        Json::String(t) => Val::Symbol {
                            expr: t.trim().to_owned(),
                            why: format!("template does not render: {why}"),
                        },
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
            match field {
                Column::Prop(p) if p.is_number() => *s.field_mut(p) = numeric(alts),
                Column::Prop(p) => *s.field_mut(p) = alts,
                Column::Tags => s.tags = tag_sets,
            }
        }
        unit.sessions.push(s);
    }
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

/// A prop's value node for an environment: `value`, else `values.<env>.value`.
fn prop_value<'a>(prop: &'a Node, env: Option<&str>) -> Option<&'a Node> {
    if let Some(v) = prop.get("value") {
        return Some(v);
    }
    prop.get("values")?.get(env?)?.get("value")
}

/// The template context: `--var`s, stack name and environment, globals (in order) and the
/// resource's own props, as stackql-deploy builds it (flat).
fn context(
    renderer: &Renderer,
    root: &Node,
    stack_name: &str,
    resource: &str,
    env: Option<&str>,
    options: &StackqlOptions,
    props: &[&Node],
) -> Map<String, Json> {
    let mut cx = Map::new();
    for (k, v) in &options.vars {
        cx.insert(k.clone(), json!(v));
    }
    cx.insert("stack_name".into(), json!(stack_name));
    if let Some(e) = env {
        cx.insert("stack_env".into(), json!(e));
    }
    cx.insert("resource_name".into(), json!(resource));
    for g in root.get("globals").and_then(Node::as_seq).unwrap_or(&[]) {
        let (Some(name), Some(value)) = (g.get("name").and_then(Node::scalar_text), g.get("value"))
        else {
            continue;
        };
        if let Ok(v) = renderer.render_json(&value.to_json(), &cx) {
            cx.insert(name, v);
        }
    }
    for p in props {
        let (Some(name), Some(value)) = (
            p.get("name").and_then(Node::scalar_text),
            prop_value(p, env),
        ) else {
            continue;
        };
        let mut v = match renderer.render_json(&value.to_json(), &cx) {
            Ok(v) => v,
            Err(_) => continue,
        };
        // `merge: [global_tags]`: lists are concatenated, objects merged.
        for m in p.get("merge").and_then(Node::as_seq).unwrap_or(&[]) {
            let Some(other) = m.scalar_text().and_then(|k| cx.get(&k).cloned()) else {
                continue;
            };
            match (&mut v, other) {
                (Json::Array(a), Json::Array(b)) => a.extend(b),
                (Json::Object(a), Json::Object(b)) => a.extend(b),
                _ => {}
            }
        }
        cx.insert(name, v);
    }
    cx
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
mod tests {
    use super::*;
    use crate::parse::yaml;

    const MANIFEST: &str = "version: 1\nname: mirror\nproviders: [awscc]\nglobals:\n  - name: region\n    value: \"{{ AWS_REGION }}\"\nresources:\n  - name: web_session\n    props:\n      - name: session_number\n        values:\n          prd: {value: 1}\n          dev: {value: 40000}\n      - name: eni\n        value: \"{{ eni_id }}\"\n      - name: tags\n        value:\n          - {Key: Name, Value: \"{{ stack_name }}-{{ stack_env }}\"}\n";
    const IQL: &str = "/*+ create */\nINSERT INTO awscc.ec2.traffic_mirror_sessions (\n NetworkInterfaceId,\n SessionNumber,\n TrafficMirrorTargetId,\n Tags,\n region\n)\nSELECT\n '{{ eni }}',\n {{ session_number }},\n 'tmt-0123456789abcdef0',\n '{{ tags }}',\n '{{ region }}'\nRETURNING *;\n";

    fn unit(options: &StackqlOptions) -> Unit {
        let m = Arc::new(SourceFile::in_memory("s/stackql_manifest.yml", MANIFEST));
        let q = Arc::new(SourceFile::in_memory("s/resources/web_session.iql", IQL));
        let root = yaml::parse(&m).ok().flatten().expect("yaml");
        let mut queries = BTreeMap::new();
        queries.insert("resources/web_session.iql".to_owned(), q);
        read(m, &root, &queries, options)
    }

    #[test]
    fn per_environment_values_are_alternatives_and_templates_render() {
        let u = unit(&StackqlOptions::default());
        assert_eq!(u.sessions.len(), 1);
        let s = &u.sessions[0];
        let nums: Vec<_> = s
            .session_number
            .iter()
            .map(|a| (a.val.clone(), a.when.clone()))
            .collect();
        assert_eq!(
            nums[0],
            (
                Val::Known(json!(40000)),
                vec![Condition::equals("stack_env", "dev")]
            )
        );
        assert_eq!(nums[1].0, Val::Known(json!(1)));
        // The ENI template names a variable nobody set: unknown, with the template as identity.
        assert!(
            matches!(&s.network_interface_id[0].val, Val::Symbol { expr, why } if expr == "{{ eni_id }}" && why.contains("eni_id is not defined (pass --var eni_id="))
        );
        // A literal in the query is known, at its span in the query file.
        assert_eq!(
            s.traffic_mirror_target_id[0].val,
            Val::Known(json!("tmt-0123456789abcdef0"))
        );
        assert_eq!(s.traffic_mirror_target_id[0].loc.file, 1);
        let tags = s.tags[0].items.as_ref().expect("tags");
        assert_eq!(tags[0].value.val, Val::Known(json!("mirror-dev")));
    }

    #[test]
    fn stack_env_and_vars_select_and_resolve() {
        let mut o = StackqlOptions {
            stack_env: Some("prd".into()),
            ..Default::default()
        };
        o.vars
            .insert("eni_id".into(), "eni-0123456789abcdef0".into());
        let u = unit(&o);
        let s = &u.sessions[0];
        assert_eq!(s.session_number.len(), 1);
        assert_eq!(s.session_number[0].val, Val::Known(json!(1)));
        assert!(s.session_number[0].when.is_empty());
        assert_eq!(
            s.network_interface_id[0].val,
            Val::Known(json!("eni-0123456789abcdef0"))
        );
    }
}
