//! The rule input as the engine reads it: a regorus value built from the model session by
//! session, so the JSON form of a large unit never exists whole (the input of 50,000
//! sessions is hundreds of megabytes in each form). The JSON is built, and kept, only when
//! user rules will read it.

use serde_json::Value as Json;

use super::resolve::Located;
use crate::model::links::Links;
use crate::model::{Loc, RuleInput, Unit};

/// Inputs of at least this many sessions are built and converted on every core.
const PARALLEL_SESSIONS: usize = 1024;

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
        if keep_json {
            let input = unit.input_built(links, parallel);
            return Self {
                value: engine_value(&input.json, parallel),
                locs: input.locs,
                json: Some(input.json),
            };
        }
        let parts = unit.input_parts(links, parallel, &|session| to_value(&session));
        let mut object = std::collections::BTreeMap::new();
        for (key, value) in &parts.rest {
            object.insert(regorus::Value::from(key.as_str()), to_value(value));
        }
        object.insert(
            regorus::Value::from("sessions"),
            regorus::Value::from(parts.sessions),
        );
        Self {
            value: regorus::Value::from(object),
            locs: parts.locs,
            json: None,
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

fn to_value(json: &Json) -> regorus::Value {
    serde::Deserialize::deserialize(json).unwrap_or(regorus::Value::Undefined)
}

/// The JSON input as the engine's value, converted by reference (a clone would double the
/// peak memory of a large unit); a large input's sessions on every core.
fn engine_value(json: &Json, parallel: bool) -> regorus::Value {
    let Json::Object(top) = json else {
        return to_value(json);
    };
    match top.get("sessions") {
        Some(Json::Array(sessions)) if parallel => {
            use rayon::prelude::*;
            let mut object = std::collections::BTreeMap::new();
            for (key, value) in top.iter().filter(|(k, _)| *k != "sessions") {
                object.insert(regorus::Value::from(key.as_str()), to_value(value));
            }
            let sessions: Vec<regorus::Value> = sessions.par_iter().map(to_value).collect();
            object.insert(
                regorus::Value::from("sessions"),
                regorus::Value::from(sessions),
            );
            regorus::Value::from(object)
        }
        _ => to_value(json),
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
