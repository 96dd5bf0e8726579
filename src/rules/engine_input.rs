//! The rule input as the engine reads it: a regorus value built from the model session by
//! session, so the JSON form of a large unit never exists whole (the input of 50,000
//! sessions is hundreds of megabytes in each form). The JSON is built, and kept, only when
//! user rules will read it.

use serde_json::Value as Json;

use super::resolve::Located;
use crate::model::input::{Build, PARALLEL_SESSIONS, input_json};
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
        if !keep_json {
            // Straight from the model: no JSON step.
            let parts = unit.input_parts_built(links, parallel, &ValueBuild::default);
            return Self {
                value: whole(&parts.rest, parts.sessions),
                locs: parts.locs,
                json: None,
            };
        }
        // Both forms: the JSON, converted chunk by chunk.
        let parts = unit.input_parts(links, parallel, &|sessions| {
            let mut strings = ValueBuild::default();
            sessions
                .into_iter()
                .map(|s| (strings.value(&s), s))
                .collect()
        });
        let (sessions, jsons): (Vec<regorus::Value>, Vec<Json>) =
            parts.sessions.into_iter().unzip();
        Self {
            value: whole(&parts.rest, sessions),
            locs: parts.locs,
            json: Some(input_json(parts.rest, jsons)),
        }
    }

    /// The engine's value and its location table, for mapping violations back.
    pub(crate) fn located(&self) -> Located<'_, regorus::Value> {
        Located::whole(&self.value, &self.locs)
    }

    /// The engine's value, and the JSON input if it was kept.
    pub(crate) fn split(self) -> (regorus::Value, Option<RuleInput>) {
        let rule_input = self.json.map(|json| RuleInput {
            json,
            locs: self.locs,
        });
        (self.value, rule_input)
    }
}

/// The whole input as the engine's value: the sessions' values and the rest of the input.
fn whole(rest: &[(String, Json)], sessions: Vec<regorus::Value>) -> regorus::Value {
    let mut b = ValueBuild::default();
    let mut entries: Vec<(&str, regorus::Value)> = rest
        .iter()
        .map(|(key, value)| (key.as_str(), b.value(value)))
        .collect();
    entries.push(("sessions", regorus::Value::from(sessions)));
    b.keyed(entries)
}

/// Builds the engine's value, from the model (as a [`Build`]) or from JSON, sharing one
/// allocation between equal strings (keys and values) within a batch of sessions, and one
/// empty list between all empty lists.
/// regorus' own conversion allocates every string and list of every session anew; sharing
/// strings took a third off the value of a large unit, and a session holds about fifteen
/// empty lists (properties not declared, conditions that do not apply).
///
/// The table hashes with foldhash, seeded per process: SipHash, the standard one, was a
/// quarter of the time spent building the value (every key of every object is looked up).
#[derive(Default)]
pub(super) struct ValueBuild {
    seen: std::collections::HashMap<String, regorus::Value, foldhash::fast::RandomState>,
    empty_list: Option<regorus::Value>,
}

impl ValueBuild {
    /// The value of `json`, as regorus' deserializer would make it.
    pub(super) fn value(&mut self, json: &Json) -> regorus::Value {
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
            Json::Array(items) => {
                let items = items.iter().map(|i| self.value(i)).collect();
                self.list(items)
            }
            Json::Object(map) => {
                let entries = map
                    .iter()
                    .map(|(k, v)| (k.as_str(), self.value(v)))
                    .collect();
                self.keyed(entries)
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

    /// An object of these entries (regorus sorts its keys).
    fn keyed(&mut self, entries: Vec<(&str, regorus::Value)>) -> regorus::Value {
        if entries.is_empty() {
            return regorus::Value::new_object();
        }
        let object: std::collections::BTreeMap<regorus::Value, regorus::Value> = entries
            .into_iter()
            .map(|(k, v)| (self.text(k), v))
            .collect();
        regorus::Value::from(object)
    }

    fn list(&mut self, items: Vec<regorus::Value>) -> regorus::Value {
        if items.is_empty() {
            return self
                .empty_list
                .get_or_insert_with(|| regorus::Value::from(Vec::<regorus::Value>::new()))
                .clone();
        }
        regorus::Value::from(items)
    }
}

/// The engine's value built straight from the model, as [`ValueBuild::value`] converts the
/// JSON of the same input.
impl Build for ValueBuild {
    type Out = regorus::Value;
    fn null(&mut self) -> regorus::Value {
        regorus::Value::Null
    }
    fn bool(&mut self, b: bool) -> regorus::Value {
        regorus::Value::from(b)
    }
    fn number(&mut self, n: usize) -> regorus::Value {
        regorus::Value::from(n as u64)
    }
    fn text(&mut self, s: &str) -> regorus::Value {
        ValueBuild::text(self, s)
    }
    fn json(&mut self, j: &Json) -> regorus::Value {
        self.value(j)
    }
    fn array(&mut self, items: Vec<regorus::Value>) -> regorus::Value {
        self.list(items)
    }
    fn object(&mut self, entries: Vec<(&'static str, regorus::Value)>) -> regorus::Value {
        self.keyed(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::EngineInput;
    use crate::model::Unit;
    use crate::parse::{ReadOptions, read_document, sample_template};
    use crate::source::SourceFile;
    use std::path::Path;
    use std::sync::Arc;

    /// Both ways of building the engine's value agree on `unit`: straight from the model (or
    /// converted by session, in parallel, for a large unit), and converted from the JSON
    /// input, which is regorus' own conversion of the whole JSON.
    fn assert_built_alike(unit: &Unit, what: &str) {
        let links = unit.links();
        let direct = EngineInput::build(unit, &links, false);
        let with_json = EngineInput::build(unit, &links, true);
        assert!(direct.value == with_json.value, "{what}: the same value");
        assert_eq!(direct.locs, with_json.locs, "{what}: the same locations");
        assert!(direct.json.is_none() && with_json.json.is_some());
        let expected: regorus::Value = with_json
            .json
            .as_ref()
            .and_then(|j| serde::Deserialize::deserialize(j).ok())
            .unwrap_or(regorus::Value::Undefined);
        assert!(direct.value == expected, "{what}: the JSON converted");
    }

    /// On generated templates, small (built straight from the model) and large (built by
    /// session in parallel).
    #[test]
    fn value_built_by_session_is_the_converted_json() {
        for sessions in [3, 1100] {
            let src = Arc::new(SourceFile::in_memory("t.yaml", &sample_template(sessions)));
            let Some(unit) = read_document(&src, &ReadOptions::default()).unit else {
                panic!("the template declares sessions");
            };
            assert_built_alike(&unit, &format!("{sessions} sessions"));
        }
    }

    /// On every template, CLI input and plan of the examples and fixtures: resources,
    /// conditions, parameters with and without defaults, tags, live context.
    #[test]
    fn value_built_from_the_model_is_the_converted_json_on_every_fixture() {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| {
                    ["yaml", "yml", "json", "template"].contains(&&*x.to_string_lossy())
                }) {
                    out.push(p);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("examples"), &mut files);
        walk(&root.join("tests/fixtures"), &mut files);
        files.sort();
        let (mut units, mut with_resources, mut with_origins) = (0, 0, 0);
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let src = Arc::new(SourceFile::in_memory(&path.display().to_string(), &text));
            if let Some(unit) = read_document(&src, &ReadOptions::default()).unit {
                assert_built_alike(&unit, &path.display().to_string());
                units += 1;
                with_resources += usize::from(!unit.resources.is_empty());
                with_origins += usize::from(unit.sessions.iter().any(|s| {
                    s.fields()
                        .any(|(_, f)| f.iter().any(|a| a.origin.is_some() || !a.when.is_empty()))
                }));
            }
        }
        assert!(
            units >= 20 && with_resources >= 3 && with_origins >= 3,
            "{units} units read, {with_resources} with resources, {with_origins} with origins or conditions"
        );
    }
}
