//! Evaluation of whole attributes: function calls, resource counts, list items and tags.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::Attribute;
use serde_json::{Value as Json, json};

use super::eval::{Ev, Evaluator, has_marker};
use super::functions::{call_function, collect_known, compact, strip_parens};
use crate::model::{Alt, Loc, Provider, RefKind, TagItem, TagSet, Val};
use crate::source::Span;

impl Evaluator<'_, '_> {
    pub(crate) fn call(&mut self, f: &hcl_edit::expr::FuncCall, expr: &Expression) -> Ev {
        let name = f.name.name.as_str();
        if name == "length"
            && f.args.len() == 1
            && let Some(n) = f.args.iter().next().and_then(|a| self.instance_count(a))
        {
            return Ev::known(json!(n));
        }
        let args: Vec<Ev> = f.args.iter().map(|a| self.eval(a)).collect();
        if name == "try" {
            // The first argument that evaluates without an error, whatever its value: an
            // unknown one (a module output, a resource attribute) makes the result unknown,
            // never the fallback.
            return args
                .iter()
                .find(|a| !a.failed)
                .cloned()
                .unwrap_or_else(|| Ev::failed("no argument of try() evaluates"));
        }
        if name == "can" {
            return match args.first().map(|a| (a.failed, &a.val)) {
                Some((true, _)) => Ev::known(json!(false)),
                Some((false, Val::Known(_) | Val::Absent)) => Ev::known(json!(true)),
                _ => Ev::unknown("can() of a value that is not known"),
            };
        }
        // An error in an argument is an error of the call.
        if let Some(failed) = args.iter().find(|a| a.failed) {
            return failed.clone();
        }
        if name == "coalesce" {
            for a in &args {
                match a.json() {
                    Some(Json::Null) => {}
                    Some(Json::String(s)) if s.is_empty() => {}
                    Some(_) => return a.clone(),
                    None => return Ev::unknown(a.why()),
                }
            }
            return Ev::unknown("coalesce() has no known argument");
        }
        let known: Result<Vec<Json>, String> = collect_known(args);
        let args = match known {
            Ok(a) => a,
            Err(why) => return Ev::symbol(self.canonical(expr), why),
        };
        if let ("file", Some(Json::String(path))) = (name, args.first()) {
            return self.read_file(path);
        }
        match call_function(name, &args) {
            Some(v) if v.json().is_some_and(crate::parse::too_large) => {
                self.scope.budget.oversize();
                Ev::unknown(format!(
                    "{name}() gives a value larger than mirrorguard keeps"
                ))
            }
            Some(v) => v,
            None => Ev::unknown(format!("function {name}() is not evaluated by mirrorguard")),
        }
    }

    /// The number of instances of a resource named by a bare `type.name` reference (or a
    /// splat of it), when its `count` or `for_each` resolves (`length(aws_network_interface.app)`).
    pub(crate) fn instance_count(&mut self, arg: &Expression) -> Option<usize> {
        let Expression::Traversal(t) = strip_parens(arg) else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        // `type.name`, or a splat of it (`type.name[*].id`, `type.name.*.id`).
        let (op, rest) = t.operators.split_first()?;
        let is_splat = rest.first().is_some_and(|o| {
            matches!(
                o.value(),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)
            )
        });
        if !(rest.is_empty() || is_splat) {
            return None;
        }
        let TraversalOperator::GetAttr(name) = op.value() else {
            return None;
        };
        let full = format!("{}.{}", root.as_str(), name.as_str());
        let n = self.instance_keys(&full)?.len();
        self.reference(arg, RefKind::Resource, &full, true);
        Some(n)
    }

    /// The instance keys of a declared resource whose `count` or `for_each` resolves
    /// (`0`, `1`, … or `"web"`, …).
    pub(crate) fn instance_keys(&mut self, full: &str) -> Option<Vec<String>> {
        let &(attr, file) = self.index().repetition.get(full)?;
        if self.evaluating.iter().any(|e| e == full) {
            return None;
        }
        self.evaluating.push(full.to_owned());
        let saved = (
            self.file,
            self.count_index.take(),
            std::mem::take(&mut self.each),
        );
        self.file = file;
        let v = self.eval(&attr.value);
        (self.file, self.count_index, self.each) = saved;
        self.evaluating.pop();
        let keys = match v.json()? {
            Json::Number(n) if attr.key.as_str() == "count" => {
                let n = usize::try_from(n.as_u64()?).ok()?;
                (n <= super::MAX_INSTANCES).then(|| (0..n).map(|i| i.to_string()).collect())?
            }
            Json::Object(m) if attr.key.as_str() == "for_each" => m
                .keys()
                .map(|k| Json::String(k.clone()).to_string())
                .collect(),
            Json::Array(a) if attr.key.as_str() == "for_each" && !a.iter().any(has_marker) => {
                a.iter().map(Json::to_string).collect()
            }
            _ => return None,
        };
        Some(keys)
    }

    /// The items of a list attribute (`traffic_mirror_source_ids = [a, b]`) as alternatives,
    /// each at its own span; a list that does not resolve is one unknown alternative.
    pub(crate) fn list_items(&mut self, attr: &Attribute) -> Vec<Alt> {
        let expr = strip_parens(&attr.value);
        if let Expression::Array(items) = expr {
            return items
                .iter()
                .map(|item| {
                    let ev = self.eval(item).settle();
                    Alt {
                        val: ev.val,
                        origin: ev.origin,
                        ..Alt::unknown(self.loc(item), "")
                    }
                })
                .collect();
        }
        let ev = self.eval(expr);
        let loc = self.loc(expr);
        match ev.val {
            Val::Known(Json::Array(items)) => items
                .into_iter()
                .map(|v| Alt {
                    val: Ev::known(v).settle().val,
                    ..Alt::unknown(loc, "")
                })
                .collect(),
            Val::Known(other) => vec![Alt::known(loc, other)],
            other => vec![Alt {
                val: other,
                origin: None,
                ..Alt::unknown(loc, "")
            }],
        }
    }

    /// The tag sets of a `tags` attribute: per-tag spans when it is an object literal.
    pub(crate) fn tags(&mut self, attr: &Attribute, provider: Provider) -> Vec<TagSet> {
        let expr = strip_parens(&attr.value);
        let here = self.loc(expr);
        let mut items = Vec::new();
        match (expr, provider) {
            (Expression::Object(o), _) => {
                for (k, v) in o.iter() {
                    let (key_loc, key) = match k {
                        ObjectKey::Ident(i) => (self.loc(i), Val::Known(json!(i.as_str()))),
                        ObjectKey::Expression(e) => (self.loc(e), self.eval(e).val),
                    };
                    let value = self.eval(v.expr()).settle();
                    let value_loc = self.loc(v.expr());
                    items.push(TagItem {
                        loc: Loc {
                            file: self.file,
                            span: Span::new(key_loc.span.start, value_loc.span.end),
                        },
                        key: Alt {
                            val: key,
                            ..Alt::unknown(key_loc, "")
                        },
                        value: Alt {
                            val: value.val,
                            origin: value.origin,
                            ..Alt::unknown(value_loc, "")
                        },
                    });
                }
            }
            (Expression::Array(a), Provider::Awscc) => {
                for item in a.iter() {
                    let Expression::Object(o) = strip_parens(item) else {
                        continue;
                    };
                    let mut key = None;
                    let mut value = None;
                    for (k, v) in o.iter() {
                        let kname = match k {
                            ObjectKey::Ident(i) => i.as_str().to_owned(),
                            ObjectKey::Expression(e) => {
                                compact(&e.to_string()).trim_matches('"').to_owned()
                            }
                        };
                        let ev = self.eval(v.expr()).settle();
                        let alt = Alt {
                            val: ev.val,
                            origin: ev.origin,
                            ..Alt::unknown(self.loc(v.expr()), "")
                        };
                        match kname.as_str() {
                            "key" => key = Some(alt),
                            "value" => value = Some(alt),
                            _ => {}
                        }
                    }
                    if let (Some(key), Some(value)) = (key, value) {
                        items.push(TagItem {
                            loc: self.loc(item),
                            key,
                            value,
                        });
                    }
                }
            }
            _ => {
                let v = self.eval(expr);
                match v.val {
                    Val::Known(Json::Object(m)) => {
                        for (k, val) in m {
                            items.push(TagItem {
                                loc: here,
                                key: Alt::known(here, json!(k)),
                                value: Alt::known(here, val),
                            });
                        }
                    }
                    Val::Known(Json::Null) => return Vec::new(),
                    other => {
                        let why = match other {
                            Val::Symbol { why, .. } | Val::Unknown(why) => why,
                            _ => "tags are not a map".into(),
                        };
                        return vec![TagSet {
                            loc: here,
                            when: Vec::new(),
                            items: None,
                            why,
                        }];
                    }
                }
            }
        }
        vec![TagSet {
            loc: here,
            when: Vec::new(),
            items: Some(items),
            why: String::new(),
        }]
    }
}
