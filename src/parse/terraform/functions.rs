//! Terraform's operators and built-in functions that matter for session values.

use hcl_edit::expr::{BinaryOperator, Expression};
use serde_json::{Map, Value as Json, json};

use super::MAX_INSTANCES;
use super::eval::Ev;
use crate::model::Val;

pub(crate) fn strip_parens(expr: &Expression) -> &Expression {
    let mut e = expr;
    while let Expression::Parenthesis(p) = e {
        e = p.inner();
    }
    e
}

/// An empty string or null from a variable is the caller's to set: unknown, not a violation.
pub(crate) fn empty_is_unknown(v: Json, display: &str) -> Val {
    match &v {
        Json::String(s) if s.is_empty() => Val::Symbol {
            expr: display.to_owned(),
            why: format!("{display} is empty by default; the caller sets it"),
        },
        Json::Null => Val::Symbol {
            expr: display.to_owned(),
            why: format!("{display} is null by default; the caller sets it"),
        },
        _ => Val::Known(v),
    }
}

pub(crate) fn collect_known(items: Vec<Ev>) -> Result<Vec<Json>, String> {
    items
        .into_iter()
        .map(|e| match e.val {
            Val::Known(j) => Ok(j),
            Val::Absent => Ok(Json::Null),
            Val::Symbol { why, .. } | Val::Unknown(why) => Err(why),
        })
        .collect()
}

/// Collapses whitespace so an expression reads on one line in messages.
pub(crate) fn compact(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn as_f64(j: &Json) -> Option<f64> {
    match j {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn number(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
        let i = f as i64;
        json!(i)
    } else {
        json!(f)
    }
}

pub(crate) fn binary(op: BinaryOperator, l: &Ev, r: &Ev) -> Ev {
    if let Some(failed) = [l, r].into_iter().find(|e| e.failed) {
        return failed.clone();
    }
    let (Some(a), Some(b)) = (l.json(), r.json()) else {
        let why = if l.json().is_none() { l.why() } else { r.why() };
        return Ev::unknown(why);
    };
    use BinaryOperator as B;
    let num = |f: fn(f64, f64) -> Option<f64>| match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) => {
            f(x, y).map_or_else(|| Ev::unknown("arithmetic error"), |v| Ev::known(number(v)))
        }
        _ => Ev::unknown("arithmetic on a value that is not a number"),
    };
    let cmp = |f: fn(f64, f64) -> bool| match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) => Ev::known(json!(f(x, y))),
        _ => Ev::unknown("comparison of values that are not numbers"),
    };
    match op {
        B::Plus => num(|x, y| Some(x + y)),
        B::Minus => num(|x, y| Some(x - y)),
        B::Mul => num(|x, y| Some(x * y)),
        B::Div => num(|x, y| if y == 0.0 { None } else { Some(x / y) }),
        B::Mod => num(|x, y| if y == 0.0 { None } else { Some(x % y) }),
        B::Eq => Ev::known(json!(loose_eq(a, b))),
        B::NotEq => Ev::known(json!(!loose_eq(a, b))),
        B::Less => cmp(|x, y| x < y),
        B::LessEq => cmp(|x, y| x <= y),
        B::Greater => cmp(|x, y| x > y),
        B::GreaterEq => cmp(|x, y| x >= y),
        B::And => match (a, b) {
            (Json::Bool(x), Json::Bool(y)) => Ev::known(json!(*x && *y)),
            _ => Ev::unknown("&& on values that are not booleans"),
        },
        B::Or => match (a, b) {
            (Json::Bool(x), Json::Bool(y)) => Ev::known(json!(*x || *y)),
            _ => Ev::unknown("|| on values that are not booleans"),
        },
    }
}

pub(crate) fn loose_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A map's entries in key order, as Terraform orders a map or an object.
pub(crate) fn in_key_order(m: &Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<(&String, &Json)> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Strings in lexical order, numbers in numeric order (a set's order in Terraform); a mix
/// keeps its order.
fn sort_primitives(items: &mut [Json]) {
    if items.iter().all(Json::is_string) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if items.iter().all(Json::is_number) {
        items.sort_by(|a, b| {
            a.as_f64()
                .partial_cmp(&b.as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
}

pub(crate) fn text_of(j: &Json) -> Option<String> {
    match j {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Terraform's built-in functions that matter for session values.
pub(crate) fn call_function(name: &str, args: &[Json]) -> Option<Ev> {
    let a0 = args.first();
    let a1 = args.get(1);
    let v = match name {
        "length" => match a0? {
            Json::Array(a) => json!(a.len()),
            Json::Object(m) => json!(m.len()),
            Json::String(s) => json!(s.chars().count()),
            _ => return None,
        },
        "tonumber" => number(as_f64(a0?)?),
        "tostring" => json!(text_of(a0?)?),
        "tobool" => match a0? {
            Json::Bool(b) => json!(b),
            Json::String(s) if s == "true" => json!(true),
            Json::String(s) if s == "false" => json!(false),
            _ => return None,
        },
        "tolist" => match a0? {
            Json::Array(a) => Json::Array(a.clone()),
            _ => return None,
        },
        // A set holds each value once, strings and numbers in order.
        "toset" | "distinct" => {
            let mut out: Vec<Json> = Vec::new();
            for x in a0?.as_array()? {
                if !out.iter().any(|o| loose_eq(o, x)) {
                    out.push(x.clone());
                }
            }
            if name == "toset" {
                sort_primitives(&mut out);
            }
            Json::Array(out)
        }
        "flatten" => {
            fn flat(items: &[Json], out: &mut Vec<Json>) {
                for x in items {
                    match x {
                        Json::Array(inner) => flat(inner, out),
                        other => out.push(other.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(a0?.as_array()?, &mut out);
            Json::Array(out)
        }
        "compact" => Json::Array(
            a0?.as_array()?
                .iter()
                .filter(|x| !matches!(x, Json::Null) && x.as_str() != Some(""))
                .cloned()
                .collect(),
        ),
        "reverse" => Json::Array(a0?.as_array()?.iter().rev().cloned().collect()),
        "sort" => {
            let mut out: Vec<Json> = a0?.as_array()?.clone();
            if !out.iter().all(Json::is_string) {
                return None;
            }
            sort_primitives(&mut out);
            Json::Array(out)
        }
        "slice" => {
            let list = a0?.as_array()?;
            let from = as_f64(a1?)? as usize;
            let to = as_f64(args.get(2)?)? as usize;
            Json::Array(list.get(from..to)?.to_vec())
        }
        "one" => match a0?.as_array()?.as_slice() {
            [] => Json::Null,
            [x] => x.clone(),
            _ => return None,
        },
        "coalescelist" => args
            .iter()
            .find(|a| a.as_array().is_some_and(|l| !l.is_empty()))?
            .clone(),
        "sum" => number(a0?.as_array()?.iter().map(as_f64).sum::<Option<f64>>()?),
        "replace" => {
            let (text, from, to) = (text_of(a0?)?, text_of(a1?)?, text_of(args.get(2)?)?);
            // `/…/` is a regular expression: not evaluated.
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return None;
            }
            json!(text.replace(&from, &to))
        }
        "substr" => {
            let text: Vec<char> = text_of(a0?)?.chars().collect();
            let offset = usize::try_from(a1?.as_i64()?).ok()?;
            let length = args.get(2)?.as_i64()?;
            let end = if length < 0 {
                text.len()
            } else {
                (offset + usize::try_from(length).ok()?).min(text.len())
            };
            json!(text.get(offset..end)?.iter().collect::<String>())
        }
        "startswith" => json!(text_of(a0?)?.starts_with(&text_of(a1?)?)),
        "endswith" => json!(text_of(a0?)?.ends_with(&text_of(a1?)?)),
        "strcontains" => json!(text_of(a0?)?.contains(&text_of(a1?)?)),
        "tomap" => a0?.clone(),
        "upper" => json!(text_of(a0?)?.to_uppercase()),
        "lower" => json!(text_of(a0?)?.to_lowercase()),
        "trimspace" => json!(text_of(a0?)?.trim()),
        "abs" => number(as_f64(a0?)?.abs()),
        "floor" => number(as_f64(a0?)?.floor()),
        "ceil" => number(as_f64(a0?)?.ceil()),
        "min" | "max" => {
            let nums: Option<Vec<f64>> = args.iter().map(as_f64).collect();
            let nums = nums?;
            let first = *nums.first()?;
            let r = nums.iter().fold(first, |acc, &x| {
                if name == "min" {
                    acc.min(x)
                } else {
                    acc.max(x)
                }
            });
            number(r)
        }
        "element" => {
            let list = a0?.as_array()?;
            let i = as_f64(a1?)? as usize;
            if list.is_empty() {
                return None;
            }
            list.get(i % list.len())?.clone()
        }
        "index" => {
            let list = a0?.as_array()?;
            let needle = a1?;
            json!(list.iter().position(|x| x == needle)?)
        }
        "lookup" => {
            let m = a0?.as_object()?;
            match m.get(&text_of(a1?)?) {
                Some(v) => v.clone(),
                None => args.get(2)?.clone(),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                out.extend(a.as_array()?.iter().cloned());
            }
            Json::Array(out)
        }
        "merge" => {
            let mut out = Map::new();
            for a in args {
                match a {
                    Json::Object(m) => out.extend(m.clone()),
                    Json::Null => {}
                    _ => return None,
                }
            }
            Json::Object(out)
        }
        "keys" => Json::Array(
            in_key_order(a0?.as_object()?)
                .into_iter()
                .map(|(k, _)| json!(k))
                .collect(),
        ),
        "values" => Json::Array(
            in_key_order(a0?.as_object()?)
                .into_iter()
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        "contains" => json!(a0?.as_array()?.contains(a1?)),
        "join" => {
            let sep = text_of(a0?)?;
            let parts: Option<Vec<String>> = args
                .get(1..)?
                .iter()
                .flat_map(|l| l.as_array().cloned().unwrap_or_default())
                .map(|x| text_of(&x))
                .collect();
            json!(parts?.join(&sep))
        }
        "split" => {
            let sep = text_of(a0?)?;
            json!(text_of(a1?)?.split(sep.as_str()).collect::<Vec<_>>())
        }
        "format" => {
            let fmt = text_of(a0?)?;
            let mut out = String::new();
            let mut rest = args.get(1..)?.iter();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '%' {
                    match chars.next()? {
                        '%' => out.push('%'),
                        's' | 'd' | 'v' => out.push_str(&text_of(rest.next()?)?),
                        _ => return None,
                    }
                } else {
                    out.push(c);
                }
            }
            json!(out)
        }
        "range" => {
            let (start, end) = match (a0.and_then(as_f64), a1.and_then(as_f64)) {
                (Some(s), Some(e)) => (s, e),
                (Some(e), None) => (0.0, e),
                _ => return None,
            };
            let n = (end - start).max(0.0) as usize;
            if n > MAX_INSTANCES {
                return None;
            }
            Json::Array((0..n).map(|i| number(start + i as f64)).collect())
        }
        "zipmap" => {
            let ks = a0?.as_array()?;
            let vs = a1?.as_array()?;
            let mut m = Map::new();
            for (k, v) in ks.iter().zip(vs) {
                m.insert(text_of(k)?, v.clone());
            }
            Json::Object(m)
        }
        // A text that does not decode is an error in Terraform.
        "jsondecode" | "yamldecode" | "jsonencode" => {
            return Some(codec(name, a0?).map_or_else(
                || Ev::failed(format!("{name}() cannot decode its argument")),
                Ev::known,
            ));
        }
        _ => return None,
    };
    Some(Ev::known(v))
}

/// `jsondecode`, `yamldecode` and `jsonencode` of a known argument; `None` when the text
/// does not decode.
fn codec(name: &str, arg: &Json) -> Option<Json> {
    match (name, arg) {
        ("jsondecode", Json::String(s)) => serde_json::from_str(s).ok(),
        ("yamldecode", Json::String(s)) => {
            let src = crate::source::SourceFile::in_memory("yamldecode", s);
            let node = crate::parse::yaml::parse(&src).ok()??;
            Some(node.to_json())
        }
        ("jsonencode", value) => Some(Json::String(value.to_string())),
        _ => None,
    }
}
