//! `for` expressions over a known collection: `[for i, v in coll : expr if cond]` and
//! `{for k, v in coll : key => value if cond}`, `...` grouping included. A map is iterated in
//! key order, as Terraform does; a collection, condition or key that is not known makes the
//! whole expression unknown.

use hcl_edit::expr::ForExpr;
use serde_json::{Map, Value as Json, json};

use super::eval::{Ev, Evaluator, as_marker};
use super::functions::{compact, in_key_order};

/// At most this many items are iterated; a longer collection gives an unknown value.
const MAX_ITEMS: usize = 10_000;

/// At most this many bytes (roughly) in one result: items that repeat a large value do not
/// multiply memory without bound.
const MAX_RESULT_BYTES: usize = 8 * crate::parse::MAX_VALUE_BYTES;

/// A value's size in bytes, roughly, counted up to `limit`.
fn size_of(v: &Json, limit: usize) -> usize {
    match v {
        Json::String(s) => s.len(),
        Json::Array(a) => a
            .iter()
            .fold(8, |n, x| if n > limit { n } else { n + size_of(x, limit) }),
        Json::Object(m) => m.iter().fold(8, |n, (k, x)| {
            if n > limit {
                n
            } else {
                n + k.len() + size_of(x, limit)
            }
        }),
        _ => 8,
    }
}

/// The items of a collection a `for` expression or a `dynamic` block iterates, as (key,
/// value): a list's by index, a map's in key order; `None` for anything else, a symbolic
/// value (one marker object) included.
pub(crate) fn collection_items(coll: &Json) -> Option<Vec<(Json, Json)>> {
    if as_marker(coll).is_some() {
        return None;
    }
    match coll {
        Json::Array(a) => Some(
            a.iter()
                .enumerate()
                .map(|(i, v)| (json!(i), v.clone()))
                .collect(),
        ),
        Json::Object(m) => Some(
            in_key_order(m)
                .into_iter()
                .map(|(k, v)| (json!(k), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

impl Evaluator<'_, '_> {
    pub(crate) fn for_expr(&mut self, f: &ForExpr) -> Ev {
        let coll = self.eval(&f.intro.collection_expr);
        if coll.failed {
            return coll;
        }
        let Some(items) = coll.json().and_then(collection_items) else {
            return Ev::unknown(format!(
                "the collection of a for expression is not known ({})",
                coll.why()
            ));
        };
        if items.len() > MAX_ITEMS {
            return Ev::unknown(format!(
                "a for expression over more than {MAX_ITEMS} items is not evaluated"
            ));
        }
        let value_var = f.intro.value_var.as_str().to_owned();
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let mut list = Vec::new();
        let mut object = Map::new();
        let mut bytes = 0;
        for (k, v) in items {
            let depth = self.bound.len();
            if let Some(kv) = &key_var {
                self.bound.push((kv.clone(), k));
            }
            self.bound.push((value_var.clone(), v));
            let item = self.for_item(f);
            self.bound.truncate(depth);
            if let Ok(Some((_, value))) = &item {
                bytes += size_of(value, MAX_RESULT_BYTES);
                if bytes > MAX_RESULT_BYTES {
                    self.scope.budget.oversize();
                    return Ev::unknown(format!(
                        "a for expression builds more than {MAX_RESULT_BYTES} bytes"
                    ));
                }
            }
            match item {
                Ok(None) => {}
                Ok(Some((None, value))) => list.push(value),
                Ok(Some((Some(key), value))) if f.grouping => {
                    if let Json::Array(group) = object.entry(key).or_insert_with(|| json!([])) {
                        group.push(value);
                    }
                }
                Ok(Some((Some(key), value))) => {
                    if object.contains_key(&key) {
                        return Ev::failed(format!(
                            "key {key:?} is produced twice by {} (Terraform: \"Duplicate object key\"; add ... to group)",
                            compact(&f.intro.collection_expr.to_string())
                        ));
                    }
                    object.insert(key, value);
                }
                Err(e) => return e,
            }
        }
        if f.key_expr.is_some() {
            let ordered = in_key_order(&object)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ev::known(Json::Object(ordered))
        } else {
            Ev::known(Json::Array(list))
        }
    }

    /// One item: skipped (`None`), or its key (for an object) and value.
    fn for_item(&mut self, f: &ForExpr) -> Result<Option<(Option<String>, Json)>, Ev> {
        if let Some(cond) = &f.cond {
            let c = self.eval(&cond.expr);
            match c.json() {
                Some(Json::Bool(true)) => {}
                Some(Json::Bool(false)) => return Ok(None),
                _ if c.failed => return Err(c),
                _ => {
                    return Err(Ev::unknown(format!(
                        "the condition of a for expression is not known ({})",
                        c.why()
                    )));
                }
            }
        }
        let key = match &f.key_expr {
            None => None,
            Some(k) => {
                let ev = self.eval(k);
                match ev.json() {
                    Some(Json::String(s)) => Some(s.clone()),
                    Some(j @ (Json::Number(_) | Json::Bool(_))) => Some(j.to_string()),
                    _ if ev.failed => return Err(ev),
                    _ => {
                        return Err(Ev::unknown(format!(
                            "a key of a for expression is not known ({})",
                            ev.why()
                        )));
                    }
                }
            }
        };
        let value = self.eval(&f.value_expr);
        match value.as_item() {
            Some(j) => Ok(Some((key, j))),
            None if value.failed => Err(value),
            None => Err(Ev::unknown(value.why())),
        }
    }
}
