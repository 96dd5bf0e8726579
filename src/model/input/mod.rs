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
mod groups;
mod writer;

pub(crate) use facts::{cidr, ec2_id_kind, protocol_number};
pub(crate) use writer::Build;
use writer::{Count, JsonBuild, Writer};

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
        let parts = self.input_parts_built(links, parallel, &|| JsonBuild);
        RuleInput {
            json: input_json(parts.rest, parts.sessions),
            locs: parts.locs,
        }
    }

    /// The rule input in parts, as JSON, each chunk of sessions handed to `convert` (on
    /// every core when `parallel`), and the rest of the input, in input order.
    pub(crate) fn input_parts<T: Send>(
        &self,
        links: &Links,
        parallel: bool,
        convert: &(dyn Fn(Vec<Json>) -> Vec<T> + Sync),
    ) -> InputParts<T> {
        use rayon::prelude::*;
        let parts = self.input_parts_built(links, parallel, &|| JsonBuild);
        let sessions = if parallel {
            let mut chunks: Vec<Vec<Json>> = Vec::new();
            let mut sessions = parts.sessions.into_iter();
            loop {
                let chunk: Vec<Json> = sessions.by_ref().take(SESSION_CHUNK).collect();
                if chunk.is_empty() {
                    break;
                }
                chunks.push(chunk);
            }
            let converted: Vec<Vec<T>> = chunks.into_par_iter().map(convert).collect();
            converted.into_iter().flatten().collect()
        } else {
            convert(parts.sessions)
        };
        InputParts {
            sessions,
            rest: parts.rest,
            locs: parts.locs,
        }
    }

    /// The rule input in parts, in input order, its sessions built straight through builders
    /// that `make` makes (the engine's value needs no JSON step; see `rules::engine_input`):
    /// in order with one builder, or, when `parallel`, in chunks of [`SESSION_CHUNK`] on
    /// every core, one builder a chunk.
    pub(crate) fn input_parts_built<B: Build>(
        &self,
        links: &Links,
        parallel: bool,
        make: &(dyn Fn() -> B + Sync),
    ) -> InputParts<B::Out>
    where
        B::Out: Send,
    {
        let local = self.local_indices();
        // The groups read the model only: on a large unit they are made beside the sessions.
        let ((sessions, locs), groups) = if parallel {
            rayon::join(
                || self.sessions_in_parallel(links, &local, make),
                || groups::groups(self),
            )
        } else {
            let mut w = Writer::new(self, make());
            let sessions = self
                .sessions
                .iter()
                .enumerate()
                .map(|(index, s)| w.session(index, s, links, &local))
                .collect();
            ((sessions, w.locs), groups::groups(self))
        };
        let mut rest_writer = Writer {
            unit: self,
            base: 0,
            locs,
            b: JsonBuild,
        };
        let rest = self.rest_of_input(&mut rest_writer, links, &local, groups);
        InputParts {
            sessions,
            rest,
            locs: rest_writer.locs,
        }
    }

    /// Every key of the input but the sessions, in input order, built on its own: its
    /// location numbers start at 0 (for evaluating a large unit in parts, see
    /// `rules::parts`).
    pub(crate) fn rest_built(&self, links: &Links) -> (Vec<(String, Json)>, Vec<Loc>) {
        let local = self.local_indices();
        let mut w = Writer::new(self, JsonBuild);
        let rest = self.rest_of_input(&mut w, links, &local, groups::groups(self));
        (rest, w.locs)
    }

    /// The input of the sessions at `indices` (in that order) through `b`, their location
    /// numbers starting at `base`, with their location table: each session's object is the
    /// one the whole input holds at its index.
    pub(crate) fn sessions_built<B: Build>(
        &self,
        links: &Links,
        indices: &[usize],
        base: usize,
        b: B,
    ) -> (Vec<B::Out>, Vec<Loc>) {
        let local = self.local_indices();
        let mut w = Writer::new(self, b);
        w.base = base;
        let sessions = indices
            .iter()
            .filter_map(|&i| Some(w.session(i, self.sessions.get(i)?, links, &local)))
            .collect();
        (sessions, w.locs)
    }

    /// The sessions built on every core in chunks of [`SESSION_CHUNK`], with their location
    /// table. A first pass counts each chunk's locations (building nothing), so that each
    /// chunk numbers its own from where the chunks before it end: the sessions and the table
    /// are the ones the serial loop builds.
    fn sessions_in_parallel<B: Build>(
        &self,
        links: &Links,
        local: &[usize],
        make: &(dyn Fn() -> B + Sync),
    ) -> (Vec<B::Out>, Vec<Loc>)
    where
        B::Out: Send,
    {
        use rayon::prelude::*;
        let chunks: Vec<(usize, &[super::Session])> = self
            .sessions
            .chunks(SESSION_CHUNK)
            .enumerate()
            .map(|(c, chunk)| (c * SESSION_CHUNK, chunk))
            .collect();
        let counts: Vec<usize> = chunks
            .par_iter()
            .map(|(start, chunk)| {
                let mut w = Writer::new(self, Count);
                for (k, s) in chunk.iter().enumerate() {
                    w.session(start + k, s, links, local);
                }
                w.locs.len()
            })
            .collect();
        let bases: Vec<usize> = counts
            .iter()
            .scan(0, |next, n| {
                let base = *next;
                *next += n;
                Some(base)
            })
            .collect();
        let built: Vec<(Vec<B::Out>, Vec<Loc>)> = chunks
            .into_par_iter()
            .zip(bases)
            .map(|((start, chunk), base)| {
                let mut w = Writer::new(self, make());
                w.base = base;
                let sessions = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, s)| w.session(start + k, s, links, local))
                    .collect();
                (sessions, w.locs)
            })
            .collect();
        let mut sessions = Vec::with_capacity(self.sessions.len());
        let mut locs = Vec::with_capacity(counts.iter().sum());
        for (chunk, chunk_locs) in built {
            sessions.extend(chunk);
            locs.extend(chunk_locs);
        }
        (sessions, locs)
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
    /// references, the unit's name and format, the sessions' `groups`, what is known of the
    /// account.
    fn rest_of_input(
        &self,
        w: &mut Writer<'_, JsonBuild>,
        links: &Links,
        local: &[usize],
        groups: Json,
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
                    obj.insert("filter".into(), w.link_list(local, ls, "filter"));
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
        rest.push(("groups".into(), groups));
        rest.push((
            "live".into(),
            self.live
                .as_ref()
                .map_or(Json::Null, super::live::LiveContext::to_json),
        ));
        rest
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

/// The rule input in parts (see [`Unit::input_parts`]).
pub(crate) struct InputParts<T> {
    /// Each session's object, converted.
    pub(crate) sessions: Vec<T>,
    /// Every other key of the input, in input order (`sessions` comes after `unit`).
    pub(crate) rest: Vec<(String, Json)>,
    /// The location table the `ref` numbers index.
    pub(crate) locs: Vec<Loc>,
}
