//! The rule input as the engine reads it: a regorus value built from the model session by
//! session, so the JSON form of a large unit never exists whole (the input of 50,000
//! sessions is hundreds of megabytes in each form). The JSON is built, and kept, only when
//! user rules will read it.

use serde_json::Value as Json;

use super::resolve::Located;
use crate::model::input::{PARALLEL_SESSIONS, input_json};
use crate::model::links::Links;
use crate::model::{Loc, RuleInput, Unit};

/// A unit's rule input, ready for the engine.
pub(crate) struct EngineInput {
    pub(crate) value: regorus::Value,
    locs: Vec<Loc>,
    /// The JSON form, when asked for (user rules read it).
    json: Option<Json>,
}

impl EngineInput {
    /// Builds the input of `unit`, with its JSON form too when `keep_json`.
    pub(crate) fn build(unit: &Unit, links: &Links, keep_json: bool) -> Self {
        let parallel = unit.sessions.len() >= PARALLEL_SESSIONS;
        let parts = unit.input_parts(links, parallel, &|sessions| {
            let mut strings = Strings::default();
            sessions
                .into_iter()
                .map(|s| (strings.value(&s), keep_json.then_some(s)))
                .collect()
        });
        let mut strings = Strings::default();
        let mut object = std::collections::BTreeMap::new();
        for (key, value) in &parts.rest {
            object.insert(strings.text(key), strings.value(value));
        }
        let (sessions, jsons): (Vec<regorus::Value>, Vec<Option<Json>>) =
            parts.sessions.into_iter().unzip();
        object.insert(
            regorus::Value::from("sessions"),
            regorus::Value::from(sessions),
        );
        Self {
            value: regorus::Value::from(object),
            locs: parts.locs,
            json: keep_json.then(|| input_json(parts.rest, jsons.into_iter().flatten().collect())),
        }
    }

    /// The engine's value and its location table, for mapping violations back.
    pub(crate) fn located(&self) -> Located<'_, regorus::Value> {
        Located {
            tree: &self.value,
            locs: &self.locs,
        }
    }

    /// The JSON input, if it was kept.
    pub(crate) fn into_rule_input(self) -> Option<RuleInput> {
        Some(RuleInput {
            json: self.json?,
            locs: self.locs,
        })
    }
}

/// Converts JSON to the engine's value, sharing one allocation between equal strings (keys
/// and values) within a batch of sessions, and one empty list between all empty lists.
/// regorus' own conversion allocates every string and list of every session anew; sharing
/// strings took a third off the value of a large unit, and a session holds about fifteen
/// empty lists (properties not declared, conditions that do not apply).
#[derive(Default)]
struct Strings {
    seen: std::collections::HashMap<String, regorus::Value>,
    empty_list: Option<regorus::Value>,
}

impl Strings {
    /// The value of `json`, as regorus' deserializer would make it.
    fn value(&mut self, json: &Json) -> regorus::Value {
        match json {
            Json::Null => regorus::Value::Null,
            Json::Bool(b) => regorus::Value::from(*b),
            Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => regorus::Value::from(u),
                (None, Some(i), _) => regorus::Value::from(i),
                (None, None, Some(f)) if f.is_finite() => regorus::Value::from(f),
                // Not in JSON (no NaN, no infinity): regorus refuses them too.
                _ => regorus::Value::Undefined,
            },
            Json::String(s) => self.text(s),
            Json::Array(items) if items.is_empty() => self
                .empty_list
                .get_or_insert_with(|| regorus::Value::from(Vec::<regorus::Value>::new()))
                .clone(),
            Json::Array(items) => {
                regorus::Value::from(items.iter().map(|i| self.value(i)).collect::<Vec<_>>())
            }
            Json::Object(map) if map.is_empty() => regorus::Value::new_object(),
            Json::Object(map) => {
                let object: std::collections::BTreeMap<regorus::Value, regorus::Value> = map
                    .iter()
                    .map(|(k, v)| (self.text(k), self.value(v)))
                    .collect();
                regorus::Value::from(object)
            }
        }
    }

    fn text(&mut self, s: &str) -> regorus::Value {
        if let Some(v) = self.seen.get(s) {
            return v.clone();
        }
        let v = regorus::Value::from(s);
        self.seen.insert(s.to_owned(), v.clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::EngineInput;
    use crate::parse::{ReadOptions, read_document, sample_template};
    use crate::source::SourceFile;
    use std::sync::Arc;

    /// The engine's value built session by session (in parallel for a large unit) is the
    /// value converted from the whole JSON input, and both map violations back the same way.
    #[test]
    fn value_built_by_session_is_the_converted_json() {
        for sessions in [3, 1100] {
            let src = Arc::new(SourceFile::in_memory("t.yaml", &sample_template(sessions)));
            let Some(unit) = read_document(&src, &ReadOptions::default()).unit else {
                panic!("the template declares sessions");
            };
            let links = unit.links();
            let direct = EngineInput::build(&unit, &links, false);
            let with_json = EngineInput::build(&unit, &links, true);
            assert!(
                direct.value == with_json.value,
                "{sessions} sessions: the same value"
            );
            assert_eq!(direct.locs, with_json.locs);
            assert!(direct.json.is_none() && with_json.json.is_some());
            let expected: regorus::Value = with_json
                .json
                .as_ref()
                .and_then(|j| serde::Deserialize::deserialize(j).ok())
                .unwrap_or(regorus::Value::Undefined);
            assert!(
                direct.value == expected,
                "{sessions} sessions: the JSON converted"
            );
        }
    }
}
