//! `count` and `for_each`: the instances a resource or module block expands to, or one
//! symbolic instance under a condition when the repetition is not known.

use serde_json::{Value as Json, json};

use super::MAX_INSTANCES;
use super::eval::{Each, Evaluator, has_marker};
use super::functions::compact;
use super::overrides::Merged;
use super::scope::Scope;
use crate::model::{Condition, Reference, Val};

/// One instance of a block: its address suffix and the values `count.index` / `each` take.
pub(crate) struct Instance {
    pub(crate) key: String,
    pub(crate) count_index: Option<Json>,
    pub(crate) each: Each,
    pub(crate) conditions: Vec<Condition>,
}

impl Instance {
    fn single(key: &str, conditions: Vec<Condition>) -> Self {
        Self {
            key: key.to_owned(),
            count_index: None,
            each: Each::None,
            conditions,
        }
    }
}

/// The instances of a block. `what` names it in conditions (`module.ids`), and the module
/// instance it is declared in is named too, so conditions of two instances never merge.
pub(crate) fn instances(
    scope: &Scope<'_, '_>,
    block: Merged<'_>,
    what: &str,
    refs: &mut Vec<Reference>,
) -> Vec<Instance> {
    let within = if scope.prefix.is_empty() {
        String::new()
    } else {
        format!(" in {}", scope.prefix.trim_end_matches('.'))
    };
    if let Some((file, count)) = block.attribute("count") {
        let mut ev = Evaluator::new(scope, file);
        let v = ev.eval(&count.value);
        refs.append(&mut ev.refs);
        let text = compact(&count.value.to_string());
        let of = if what.starts_with("module.") {
            format!(" of {what}")
        } else {
            String::new()
        };
        return match v.val {
            Val::Known(Json::Number(n))
                if n.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .is_some_and(|n| {
                        n > 0 && n <= MAX_INSTANCES && scope.budget.take_instances(n)
                    }) =>
            {
                let n = n.as_u64().unwrap_or(0);
                (0..n)
                    .map(|i| Instance {
                        key: format!("[{i}]"),
                        count_index: Some(json!(i)),
                        each: Each::None,
                        conditions: Vec::new(),
                    })
                    .collect()
            }
            // `count = 0` written as a constant: the block is switched off in the code, and
            // nothing of it is created whatever the inputs.
            Val::Known(Json::Number(n)) if n.as_u64() == Some(0) && is_constant(&count.value) => {
                Vec::new()
            }
            Val::Known(Json::Number(n)) if n.as_u64() == Some(0) => vec![Instance::single(
                "[count.index]",
                vec![Condition::is(
                    format!(
                        "count{of} = {text}{within} is non-zero (it is 0 with the current variable values)"
                    ),
                    true,
                )],
            )],
            _ => vec![Instance::single(
                "[count.index]",
                vec![Condition::is(
                    format!("count{of} = {text}{within} is non-zero"),
                    true,
                )],
            )],
        };
    }
    if let Some((file, for_each)) = block.attribute("for_each") {
        let mut ev = Evaluator::new(scope, file);
        let v = ev.eval(&for_each.value);
        refs.append(&mut ev.refs);
        let items: Option<Vec<(Json, Json)>> = match &v.val {
            Val::Known(Json::Object(m)) => {
                Some(m.iter().map(|(k, v)| (json!(k), v.clone())).collect())
            }
            // Set elements are the keys: they must be known to Terraform too.
            Val::Known(Json::Array(a)) if !a.iter().any(has_marker) => {
                Some(a.iter().map(|v| (v.clone(), v.clone())).collect())
            }
            _ => None,
        };
        // `for_each = {}` (or `[]`, `toset([])`) written as a constant: nothing is created.
        if items.as_ref().is_some_and(Vec::is_empty) && is_constant(&for_each.value) {
            return Vec::new();
        }
        if let Some(items) = items.filter(|i| {
            !i.is_empty() && i.len() <= MAX_INSTANCES && scope.budget.take_instances(i.len())
        }) {
            return items
                .into_iter()
                .map(|(k, v)| Instance {
                    key: format!("[{k}]"),
                    count_index: None,
                    each: Each::Item(k, v),
                    conditions: Vec::new(),
                })
                .collect();
        }
        let text = compact(&for_each.value.to_string());
        let of = if what.starts_with("module.") {
            format!(" of {what}")
        } else {
            String::new()
        };
        let mut instance = Instance::single(
            "[each.key]",
            vec![Condition::is(
                format!("for_each{of} = {text}{within} is non-empty"),
                true,
            )],
        );
        instance.each = Each::Of(text);
        return vec![instance];
    }
    vec![Instance::single("", Vec::new())]
}

/// Whether an expression reads nothing (no variable, local, resource or `each`): its value
/// is fixed in the code, whatever the inputs.
fn is_constant(expr: &hcl_edit::expr::Expression) -> bool {
    use hcl_edit::expr::Expression as E;
    use hcl_edit::template::Element;
    match expr {
        E::Null(_) | E::Bool(_) | E::Number(_) | E::String(_) => true,
        E::Array(a) => a.iter().all(is_constant),
        E::Object(o) => o.iter().all(|(k, v)| {
            matches!(k, hcl_edit::expr::ObjectKey::Ident(_)) && is_constant(v.expr())
        }),
        E::Parenthesis(p) => is_constant(p.inner()),
        E::FuncCall(f) => f.args.iter().all(is_constant),
        E::UnaryOp(u) => is_constant(&u.expr),
        E::BinaryOp(b) => is_constant(&b.lhs_expr) && is_constant(&b.rhs_expr),
        E::Conditional(c) => {
            is_constant(&c.cond_expr) && is_constant(&c.true_expr) && is_constant(&c.false_expr)
        }
        E::StringTemplate(t) => t.iter().all(|e| matches!(e, Element::Literal(_))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::terraform::tests::module;

    /// A block switched off with a constant (`count = 0`, `for_each = {}`) creates nothing
    /// and is not checked; a count that is 0 only with the current variable values is still
    /// checked, under the condition that it is not 0.
    #[test]
    fn a_block_switched_off_by_a_constant_creates_nothing() {
        let session = |name: &str, repeat: &str| {
            format!(
                "resource \"aws_ec2_traffic_mirror_session\" \"{name}\" {{\n  {repeat}\n  session_number = 0\n}}\n"
            )
        };
        let text = [
            "variable \"enabled\" {\n  default = false\n}\n".to_owned(),
            session("zero", "count = 0"),
            session("off", "count = false ? 1 : 0"),
            session("empty", "for_each = toset([])"),
            session("none", "for_each = {}"),
            session("input", "count = var.enabled ? 1 : 0"),
        ]
        .concat();
        let u = module(&[("main.tf", &text)]);
        let addresses: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(
            addresses,
            ["aws_ec2_traffic_mirror_session.input[count.index]"]
        );
    }
}
