//! `count` and `for_each`: the instances a resource or module block expands to, or one
//! symbolic instance under a condition when the repetition is not known.

use serde_json::{Value as Json, json};

use super::MAX_INSTANCES;
use super::eval::{Evaluator, has_marker};
use super::functions::compact;
use super::overrides::Merged;
use super::scope::Scope;
use crate::model::{Condition, Reference, Val};

/// One instance of a block: its address suffix and the values `count.index` / `each` take.
pub(crate) struct Instance {
    pub(crate) key: String,
    pub(crate) count_index: Option<Json>,
    pub(crate) each: Option<(Json, Json)>,
    /// The `for_each` expression of the one symbolic instance a block with an unknown
    /// `for_each` stands for: `each` is a symbol of that collection, never of another.
    pub(crate) each_of: Option<String>,
    pub(crate) conditions: Vec<Condition>,
}

impl Instance {
    fn single(key: &str, conditions: Vec<Condition>) -> Self {
        Self {
            key: key.to_owned(),
            count_index: None,
            each: None,
            each_of: None,
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
                        each: None,
                        each_of: None,
                        conditions: Vec::new(),
                    })
                    .collect()
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
        if let Some(items) = items.filter(|i| {
            !i.is_empty() && i.len() <= MAX_INSTANCES && scope.budget.take_instances(i.len())
        }) {
            return items
                .into_iter()
                .map(|(k, v)| Instance {
                    key: format!("[{k}]"),
                    count_index: None,
                    each: Some((k, v)),
                    each_of: None,
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
        instance.each_of = Some(text);
        return vec![instance];
    }
    vec![Instance::single("", Vec::new())]
}
