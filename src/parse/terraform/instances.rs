//! `count` and `for_each`: the instances a resource block expands to, or one symbolic
//! instance under a condition when the repetition is not known.

use hcl_edit::structure::Block;
use serde_json::{Value as Json, json};

use super::MAX_INSTANCES;
use super::eval::Evaluator;
use super::functions::compact;
use super::index::Index;
use crate::model::{Condition, FileId, Reference, Val};

/// One instance of a resource: its address suffix and the values `count.index` / `each` take.
pub(crate) struct Instance {
    pub(crate) key: String,
    pub(crate) count_index: Option<Json>,
    pub(crate) each: Option<(Json, Json)>,
    pub(crate) conditions: Vec<Condition>,
}

pub(crate) fn instances(
    index: &Index<'_>,
    file: FileId,
    block: &Block,
    refs: &mut Vec<Reference>,
) -> Vec<Instance> {
    let single = |key: &str, conditions: Vec<Condition>| Instance {
        key: key.to_owned(),
        count_index: None,
        each: None,
        conditions,
    };
    if let Some(count) = block.body.get_attribute("count") {
        let mut ev = Evaluator::new(index, file);
        let v = ev.eval(&count.value);
        refs.append(&mut ev.refs);
        let text = compact(&count.value.to_string());
        return match v.val {
            Val::Known(Json::Number(n))
                if n.as_u64()
                    .is_some_and(|n| n > 0 && n as usize <= MAX_INSTANCES) =>
            {
                let n = n.as_u64().unwrap_or(0);
                (0..n)
                    .map(|i| Instance {
                        key: format!("[{i}]"),
                        count_index: Some(json!(i)),
                        each: None,
                        conditions: Vec::new(),
                    })
                    .collect()
            }
            Val::Known(Json::Number(n)) if n.as_u64() == Some(0) => vec![single(
                "[count.index]",
                vec![Condition::is(
                    format!(
                        "count = {text} is non-zero (it is 0 with the current variable values)"
                    ),
                    true,
                )],
            )],
            _ => vec![single(
                "[count.index]",
                vec![Condition::is(format!("count = {text} is non-zero"), true)],
            )],
        };
    }
    if let Some(for_each) = block.body.get_attribute("for_each") {
        let mut ev = Evaluator::new(index, file);
        let v = ev.eval(&for_each.value);
        refs.append(&mut ev.refs);
        let items: Option<Vec<(Json, Json)>> = match &v.val {
            Val::Known(Json::Object(m)) => {
                Some(m.iter().map(|(k, v)| (json!(k), v.clone())).collect())
            }
            Val::Known(Json::Array(a)) => Some(a.iter().map(|v| (v.clone(), v.clone())).collect()),
            _ => None,
        };
        if let Some(items) = items.filter(|i| !i.is_empty() && i.len() <= MAX_INSTANCES) {
            return items
                .into_iter()
                .map(|(k, v)| Instance {
                    key: format!("[{}]", k),
                    count_index: None,
                    each: Some((k, v)),
                    conditions: Vec::new(),
                })
                .collect();
        }
        let text = compact(&for_each.value.to_string());
        return vec![single(
            "[each.key]",
            vec![Condition::is(
                format!("for_each = {text} is non-empty"),
                true,
            )],
        )];
    }
    vec![single("", Vec::new())]
}
