//! Variable type constraints applied to the value a variable takes, as Terraform converts
//! it: an object type fills the attributes declared `optional(T, default)` that the value
//! leaves out (with the default, or null), and numbers, bools and strings given as one
//! another are converted. `optional()` is how modules written for Terraform 1.3 and later
//! give their settings defaults; without it `var.mirror.session_number` would not exist.
//!
//! Conversion only adds what Terraform adds: a value that does not fit the type is left as
//! it is (Terraform refuses it; mirrorguard checks what is written), and a symbolic item
//! stays symbolic.

use hcl_edit::expr::{Expression, ObjectKey};
use serde_json::{Map, Value as Json};

use super::eval::{Evaluator, as_marker, marker};
use super::functions::strip_parens;

/// Deepest type expression followed (`map(object({a = list(object(…))}))`).
const MAX_TYPE_DEPTH: usize = 16;

impl Evaluator<'_, '_> {
    /// `value` converted to the type constraint `ty`.
    pub(crate) fn convert(&mut self, ty: &Expression, value: Json) -> Json {
        self.convert_at(ty, value, 0)
    }

    fn convert_at(&mut self, ty: &Expression, value: Json, depth: usize) -> Json {
        if depth >= MAX_TYPE_DEPTH || as_marker(&value).is_some() || value.is_null() {
            return value;
        }
        let ty = strip_parens(ty);
        match ty {
            Expression::Variable(name) => primitive(name.as_str(), value),
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                let arg = f.args.iter().next();
                match (name, arg, value) {
                    ("object", Some(Expression::Object(attrs)), Json::Object(mut given)) => {
                        for (k, v) in attrs.iter() {
                            let key = match k {
                                ObjectKey::Ident(i) => i.as_str().to_owned(),
                                ObjectKey::Expression(e) => match strip_parens(e) {
                                    Expression::String(s) => s.value().to_string(),
                                    _ => continue,
                                },
                            };
                            let attr_ty = v.expr();
                            match given.remove(&key) {
                                Some(item) => {
                                    let item =
                                        self.convert_at(optional_of(attr_ty).0, item, depth + 1);
                                    given.insert(key, item);
                                }
                                None => {
                                    let (inner, default) = optional_of(attr_ty);
                                    if !is_optional(attr_ty) {
                                        continue;
                                    }
                                    let filled = match default {
                                        Some(d) => {
                                            let ev = self.eval(d);
                                            match ev.as_item() {
                                                Some(j) => self.convert_at(inner, j, depth + 1),
                                                None => marker(&self.canonical(d), &ev.why()),
                                            }
                                        }
                                        None => Json::Null,
                                    };
                                    given.insert(key, filled);
                                }
                            }
                        }
                        Json::Object(given)
                    }
                    ("map", Some(elem), Json::Object(items)) => Json::Object(
                        items
                            .into_iter()
                            .map(|(k, v)| (k, self.convert_at(elem, v, depth + 1)))
                            .collect::<Map<String, Json>>(),
                    ),
                    ("list" | "set", Some(elem), Json::Array(items)) => Json::Array(
                        items
                            .into_iter()
                            .map(|v| self.convert_at(elem, v, depth + 1))
                            .collect(),
                    ),
                    ("tuple", Some(Expression::Array(types)), Json::Array(items)) => Json::Array(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| match types.iter().nth(i) {
                                Some(t) => self.convert_at(t, v, depth + 1),
                                None => v,
                            })
                            .collect(),
                    ),
                    ("optional", Some(inner), value) => self.convert_at(inner, value, depth + 1),
                    (_, _, value) => value,
                }
            }
            _ => value,
        }
    }
}

/// Whether an attribute type is `optional(…)`.
fn is_optional(ty: &Expression) -> bool {
    matches!(strip_parens(ty), Expression::FuncCall(f) if f.name.name.as_str() == "optional")
}

/// The type inside `optional(T, default)` and its default; any other type as it is.
fn optional_of(ty: &Expression) -> (&Expression, Option<&Expression>) {
    match strip_parens(ty) {
        Expression::FuncCall(f) if f.name.name.as_str() == "optional" => match f.args.iter().next()
        {
            Some(inner) => (inner, f.args.iter().nth(1)),
            None => (ty, None),
        },
        _ => (ty, None),
    }
}

/// A primitive type's conversion: Terraform converts between numbers, bools and strings
/// where the text allows it.
fn primitive(name: &str, value: Json) -> Json {
    match (name, value) {
        ("number", Json::String(s)) => match s.trim().parse::<serde_json::Number>() {
            Ok(n) if s.trim() == s => Json::Number(n),
            _ => Json::String(s),
        },
        ("bool", Json::String(s)) if s == "true" || s == "false" => Json::Bool(s == "true"),
        ("string", Json::Number(n)) => Json::String(n.to_string()),
        ("string", Json::Bool(b)) => Json::String(b.to_string()),
        (_, value) => value,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Val;
    use crate::parse::terraform::tests::module;

    /// A variable's value is converted by its type: `optional()` attributes the value
    /// leaves out take their default (or null), numbers written as strings are numbers, and
    /// an attribute the type does not make optional is not invented.
    #[test]
    fn optional_attributes_take_their_defaults() {
        let u = module(&[(
            "main.tf",
            r#"variable "m" {
  type = object({
    enabled = optional(bool, true)
    number  = optional(number, 7)
    length  = optional(number)
    vni     = number
    sources = optional(map(object({
      eni    = string
      number = optional(number, 5)
    })), {})
  })
  default = {
    vni     = "100"
    sources = { web = { eni = "eni-0123456789abcdef0" } }
  }
}

resource "aws_ec2_traffic_mirror_session" "main" {
  count              = var.m.enabled ? 1 : 0
  session_number     = var.m.number
  packet_length      = var.m.length
  virtual_network_id = var.m.vni
}

resource "aws_ec2_traffic_mirror_session" "each" {
  for_each             = var.m.sources
  network_interface_id = each.value.eni
  session_number       = each.value.number
}
"#,
        )]);
        let addresses: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "aws_ec2_traffic_mirror_session.main[0]",
                "aws_ec2_traffic_mirror_session.each[\"web\"]"
            ]
        );
        let first = |alts: &Vec<crate::model::Alt>| alts.first().map(|a| a.val.clone());
        let main = &u.sessions[0];
        assert_eq!(first(&main.session_number), Some(Val::Known(7.into())));
        assert_eq!(first(&main.packet_length), Some(Val::Absent));
        assert_eq!(
            first(&main.virtual_network_id),
            Some(Val::Known(100.into()))
        );
        assert_eq!(
            first(&u.sessions[1].session_number),
            Some(Val::Known(5.into()))
        );
    }

    #[test]
    fn a_value_that_does_not_fit_is_left_as_written() {
        let u = module(&[(
            "main.tf",
            r#"variable "m" {
  type    = object({ number = number, label = optional(string, "x") })
  default = { number = "many" }
}

resource "aws_ec2_traffic_mirror_session" "s" {
  session_number = var.m.number
  description    = var.m.label
}
"#,
        )]);
        let s = &u.sessions[0];
        assert_eq!(
            s.session_number.first().map(|a| a.val.clone()),
            Some(Val::Known("many".into()))
        );
        assert_eq!(
            s.description.first().map(|a| a.val.clone()),
            Some(Val::Known("x".into()))
        );
    }

    /// A variable is resolved once per module instance and read in place: a list of 1,000
    /// settings read by index in each of 1,000 instances stays within the evaluation budget
    /// (resolving the list again at each use spent it by the 125th instance).
    #[test]
    fn a_long_variable_read_per_instance_is_resolved_once() {
        let items: Vec<String> = (0..1000)
            .map(|i| format!("{{ eni = \"eni-{i:017x}\", number = {} }}", 1 + i % 3))
            .collect();
        let text = format!(
            "variable \"l\" {{\n  type    = list(object({{ eni = string, number = optional(number, 1) }}))\n  default = [{}]\n}}\n\nresource \"aws_ec2_traffic_mirror_session\" \"s\" {{\n  count                = length(var.l)\n  network_interface_id = var.l[count.index].eni\n  session_number       = var.l[count.index].number\n}}\n",
            items.join(", ")
        );
        let u = module(&[("main.tf", &text)]);
        assert_eq!(u.sessions.len(), 1000);
        assert!(u.errors.is_empty(), "{:?}", u.errors);
        let known = u
            .sessions
            .iter()
            .filter(|s| {
                matches!(
                    s.session_number.first().map(|a| &a.val),
                    Some(Val::Known(_))
                )
            })
            .count();
        assert_eq!(known, 1000);
    }
}
