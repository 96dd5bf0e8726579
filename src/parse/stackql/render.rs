//! Rendering manifest values as stackql-deploy does (Jinja2, through minijinja), within
//! explicit limits on renders, steps and output size.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value as Json, json};

use super::{MAX_RENDERS, StackqlOptions};
use crate::parse::tree::Node;

pub(crate) struct Renderer {
    env: Environment<'static>,
    /// Renders left to this manifest.
    pub(crate) renders: std::cell::Cell<usize>,
}

impl Renderer {
    pub(crate) fn new() -> Self {
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
    pub(crate) fn render(&self, template: &str, cx: &Map<String, Json>) -> Result<String, String> {
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

    /// Renders every string leaf that renders, keeping the others as written.
    pub(crate) fn render_partial(&self, v: &Json, cx: &Map<String, Json>) -> Json {
        match v {
            Json::String(s) => self
                .render(s, cx)
                .map_or_else(|_| Json::String(s.clone()), Json::String),
            Json::Array(a) => Json::Array(a.iter().map(|x| self.render_partial(x, cx)).collect()),
            Json::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.render_partial(x, cx)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Renders every string leaf of a JSON value.
    pub(crate) fn render_json(&self, v: &Json, cx: &Map<String, Json>) -> Result<Json, String> {
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
pub(crate) fn undefined_names(template: &str, cx: &Map<String, Json>) -> Vec<String> {
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

/// A prop's value node for an environment: `value`, else `values.<env>.value`.
pub(crate) fn prop_value<'a>(prop: &'a Node, env: Option<&str>) -> Option<&'a Node> {
    if let Some(v) = prop.get("value") {
        return Some(v);
    }
    prop.get("values")?.get(env?)?.get("value")
}

/// The template context: `--var`s, stack name and environment, globals (in order) and the
/// resource's own props, as stackql-deploy builds it (flat).
pub(crate) fn context(
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
