//! The rule input: the model as the plain JSON Rego rules read (see `rules/README.md`).
//!
//! Spans stay on the Rust side: every located value has a `ref` number, an index into the
//! location table returned beside the JSON, and rule results point into the input by path.

use serde_json::{Map, Value as Json, json};

use std::collections::BTreeMap;

use super::graph::{Attr, Kind};
use super::links::Links;
use super::{Loc, Unit};

mod facts;
mod writer;

pub(crate) use facts::{cidr, ec2_id_kind, protocol_number};
pub(crate) use writer::Build;
use writer::{JsonBuild, Writer};

/// The rule input of a unit and the location table its `ref` numbers index.
#[derive(Debug)]
pub(crate) struct RuleInput {
    pub(crate) json: Json,
    pub(crate) locs: Vec<Loc>,
}

impl Unit {
    /// Serializes the unit into the documented rule input (see `rules/README.md`).
    pub(crate) fn to_input(&self) -> RuleInput {
        self.input_built(&self.links(), self.sessions.len() >= PARALLEL_SESSIONS)
    }

    /// The rule input, its sessions built on every core (`parallel`) or in order; both give
    /// the same input.
    pub(crate) fn input_built(&self, links: &Links, parallel: bool) -> RuleInput {
        let parts = self.input_parts(links, parallel, &|sessions| sessions);
        RuleInput {
            json: input_json(parts.rest, parts.sessions),
            locs: parts.locs,
        }
    }

    /// The rule input in parts: the sessions' objects handed to `convert` a chunk at a time
    /// as soon as they are built (so a caller that wants another form, the engine's value,
    /// never holds a large input twice), and the rest of the input as JSON, in input order.
    pub(crate) fn input_parts<T: Send>(
        &self,
        links: &Links,
        parallel: bool,
        convert: &(dyn Fn(Vec<Json>) -> Vec<T> + Sync),
    ) -> InputParts<T> {
        if !parallel {
            let parts = self.input_parts_built(links, JsonBuild);
            return InputParts {
                sessions: convert(parts.sessions),
                rest: parts.rest,
                locs: parts.locs,
            };
        }
        let local = self.local_indices();
        let mut w = Writer::new(self, JsonBuild);
        let sessions = self.sessions_in_parallel(&mut w, links, &local, convert);
        let rest = self.rest_of_input(&mut w, links, &local);
        InputParts {
            sessions,
            rest,
            locs: w.locs,
        }
    }

    /// The rule input in parts, in order, its sessions built straight through `b` (the
    /// engine's value without a JSON step; see `rules::engine_input`).
    pub(crate) fn input_parts_built<B: Build>(&self, links: &Links, b: B) -> InputParts<B::Out> {
        let local = self.local_indices();
        let mut w = Writer::new(self, b);
        let sessions = self
            .sessions
            .iter()
            .enumerate()
            .map(|(index, s)| w.session(index, s, links, &local))
            .collect();
        let mut rest_writer = Writer {
            unit: self,
            locs: w.locs,
            b: JsonBuild,
        };
        let rest = self.rest_of_input(&mut rest_writer, links, &local);
        InputParts {
            sessions,
            rest,
            locs: rest_writer.locs,
        }
    }

    /// Index of each resource within the array of its kind.
    fn local_indices(&self) -> Vec<usize> {
        let mut local = vec![0usize; self.resources.len()];
        let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            let n = counts.entry(r.kind).or_default();
            local[i] = *n;
            *n += 1;
        }
        local
    }

    /// Every key of the input but the sessions, in input order: resources by kind,
    /// references, the unit's name and format, what is known of the account.
    fn rest_of_input(
        &self,
        w: &mut Writer<'_, JsonBuild>,
        links: &Links,
        local: &[usize],
    ) -> Vec<(String, Json)> {
        let mut kinds: BTreeMap<Kind, Vec<Json>> =
            Kind::ALL.into_iter().map(|k| (k, Vec::new())).collect();
        for (i, r) in self.resources.iter().enumerate() {
            let mut obj = Map::new();
            obj.insert("index".into(), json!(i));
            obj.insert("address".into(), json!(r.address));
            obj.insert("type".into(), json!(r.resource_type));
            obj.insert("provider".into(), json!(r.provider.as_str()));
            obj.insert("file".into(), json!(self.file_name(r.loc.file)));
            obj.insert("ref".into(), json!(w.reg(r.loc)));
            obj.insert("conditions".into(), w.conditions(&r.conditions));
            obj.insert("repeated".into(), json!(r.repeated));
            obj.insert(
                "ids".into(),
                json!(
                    r.identities
                        .iter()
                        .map(|id| format!("ref:{id}"))
                        .chain(r.literal_ids.iter().cloned())
                        .collect::<Vec<_>>()
                ),
            );
            if r.live {
                obj.insert("live".into(), json!(true));
            }
            for attr in Attr::of(r.kind) {
                let alts = w.attr_alts(*attr, r.field(*attr));
                match attr.input_name().split_once('.') {
                    Some((outer, inner)) => {
                        let o = obj
                            .entry(outer.to_owned())
                            .or_insert_with(|| Json::Object(Map::new()));
                        if let Json::Object(o) = o {
                            o.insert(inner.to_owned(), alts);
                        }
                    }
                    None => {
                        obj.insert(attr.input_name().into(), alts);
                    }
                }
            }
            match r.kind {
                Kind::FilterRule => {
                    let ls = links.rule_filter.get(&i).map_or(&[][..], Vec::as_slice);
                    obj.insert("filter".into(), w.links(local, ls, "filter"));
                }
                Kind::Filter => {
                    let rules: Vec<Option<&usize>> = links
                        .filter_rules
                        .get(&i)
                        .into_iter()
                        .flatten()
                        .map(|k| local.get(*k))
                        .collect();
                    obj.insert("rules".into(), json!(rules));
                    obj.insert("rules_unknown".into(), json!(links.rules_unknown));
                }
                Kind::Target => {
                    let ls = links.target_instance.get(&i).map_or(&[][..], Vec::as_slice);
                    obj.insert("instance".into(), w.instances(local, ls));
                }
                _ => {}
            }
            if let Some(list) = kinds.get_mut(&r.kind) {
                list.push(Json::Object(obj));
            }
        }
        let references: Vec<Json> = self
            .references
            .iter()
            .map(|r| {
                let owner = r.resource.and_then(|i| self.resources.get(i).map(|x| (i, x)));
                json!({
                    "ref": w.reg(r.loc),
                    "kind": r.kind.as_str(),
                    "name": r.name,
                    "declared": r.declared,
                    "session": r.session,
                    "resource": owner.map(|(i, x)| json!({"kind": x.kind.input_name(), "index": local.get(i)})),
                    "target": owner.filter(|(_, x)| x.kind == Kind::Target).map(|(i, _)| local.get(i)),
                })
            })
            .collect();
        let mut rest = vec![
            ("format".to_owned(), json!(self.format.as_str())),
            ("unit".to_owned(), json!(self.name)),
            ("references".to_owned(), Json::Array(references)),
        ];
        for (kind, list) in kinds {
            rest.push((kind.input_name().into(), Json::Array(list)));
        }
        rest.push((
            "live".into(),
            self.live
                .as_ref()
                .map_or(Json::Null, super::live::LiveContext::to_json),
        ));
        rest
    }

    /// The sessions built on every core, in chunks of [`SESSION_CHUNK`], each with its own
    /// location table. Chunks go in waves of [`WAVE_CHUNKS`]: when a wave is built, its
    /// tables are appended in order, each chunk's `ref` numbers shifted by the locations
    /// before it (so the input is the one the serial loop builds), and its sessions
    /// converted; only one wave's JSON exists at a time.
    fn sessions_in_parallel<T: Send>(
        &self,
        w: &mut Writer<'_, JsonBuild>,
        links: &Links,
        local: &[usize],
        convert: &(dyn Fn(Vec<Json>) -> Vec<T> + Sync),
    ) -> Vec<T> {
        use rayon::prelude::*;
        let chunks: Vec<(usize, &[super::Session])> = self
            .sessions
            .chunks(SESSION_CHUNK)
            .enumerate()
            .map(|(c, chunk)| (c * SESSION_CHUNK, chunk))
            .collect();
        let mut out = Vec::with_capacity(self.sessions.len());
        for wave in chunks.chunks(WAVE_CHUNKS) {
            let built: Vec<(Vec<Json>, Vec<Loc>)> = wave
                .par_iter()
                .map(|(start, chunk)| {
                    let mut cw = Writer::new(self, JsonBuild);
                    let json = chunk
                        .iter()
                        .enumerate()
                        .map(|(k, s)| cw.session(start + k, s, links, local))
                        .collect();
                    (json, cw.locs)
                })
                .collect();
            let mut offsets = Vec::with_capacity(built.len());
            for (_, locs) in &built {
                offsets.push(w.locs.len());
                w.locs.extend_from_slice(locs);
            }
            let converted: Vec<Vec<T>> = built
                .into_par_iter()
                .zip(offsets)
                .map(|((mut json, _), offset)| {
                    if offset > 0 {
                        json.iter_mut().for_each(|s| shift_refs(s, offset));
                    }
                    convert(json)
                })
                .collect();
            out.extend(converted.into_iter().flatten());
        }
        out
    }
}

/// Units of at least this many sessions build their sessions' input on every core.
pub(crate) const PARALLEL_SESSIONS: usize = 1024;

/// The JSON rule input from its parts: `sessions` goes after `unit`, the rest in order.
pub(crate) fn input_json(rest: Vec<(String, Json)>, sessions: Vec<Json>) -> Json {
    let mut object = Map::new();
    let mut sessions = Some(Json::Array(sessions));
    for (key, value) in rest {
        let after_unit = key == "unit";
        object.insert(key, value);
        if after_unit && let Some(sessions) = sessions.take() {
            object.insert("sessions".into(), sessions);
        }
    }
    Json::Object(object)
}

/// Sessions per chunk when they are built in parallel.
const SESSION_CHUNK: usize = 256;

/// Chunks built at once: enough for every core, few enough to bound the JSON alive.
const WAVE_CHUNKS: usize = 16;

/// The rule input in parts (see [`Unit::input_parts`]).
pub(crate) struct InputParts<T> {
    /// Each session's object, converted.
    pub(crate) sessions: Vec<T>,
    /// Every other key of the input, in input order (`sessions` comes after `unit`).
    pub(crate) rest: Vec<(String, Json)>,
    /// The location table the `ref` numbers index.
    pub(crate) locs: Vec<Loc>,
}

/// Adds `offset` to every location number (`ref`, `origin_ref`) in one session's input.
/// Values as written (`known`) are the user's and never touched.
fn shift_refs(json: &mut Json, offset: usize) {
    match json {
        Json::Object(o) => {
            for (key, value) in o.iter_mut() {
                match key.as_str() {
                    "ref" | "origin_ref" => {
                        if let Some(n) = value.as_u64().and_then(|n| usize::try_from(n).ok()) {
                            *value = json!(n + offset);
                        }
                    }
                    "known" => {}
                    _ => shift_refs(value, offset),
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|j| shift_refs(j, offset)),
        _ => {}
    }
}
