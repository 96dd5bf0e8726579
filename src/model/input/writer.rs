//! Writes the model's values into the rule input, registering their locations. The values
//! are built through [`Build`]: as JSON, or straight as another tree (the engine's value,
//! see `rules::engine_input`), so that a unit's input is never built twice.

use serde_json::Value as Json;

use super::facts::{ec2_id_kind, facts};
use crate::model::graph::Attr;
use crate::model::links::{InstanceLink, Link, Links};
use crate::model::{Alt, CondValue, Condition, Loc, Origin, Session, TagSet, Unit, Val, identity};

/// How the input's values are built. Object keys are the input's own names; an object's
/// entries come in input order (a tree that sorts its keys sorts them).
pub(crate) trait Build {
    type Out;
    fn null(&mut self) -> Self::Out;
    fn bool(&mut self, b: bool) -> Self::Out;
    fn number(&mut self, n: usize) -> Self::Out;
    fn text(&mut self, s: &str) -> Self::Out;
    /// A value as the user wrote it.
    fn json(&mut self, j: &Json) -> Self::Out;
    fn array(&mut self, items: Vec<Self::Out>) -> Self::Out;
    fn object(&mut self, entries: Vec<(&'static str, Self::Out)>) -> Self::Out;
}

/// Builds the input as JSON.
pub(crate) struct JsonBuild;

impl Build for JsonBuild {
    type Out = Json;
    fn null(&mut self) -> Json {
        Json::Null
    }
    fn bool(&mut self, b: bool) -> Json {
        Json::Bool(b)
    }
    fn number(&mut self, n: usize) -> Json {
        Json::from(n)
    }
    fn text(&mut self, s: &str) -> Json {
        Json::from(s)
    }
    fn json(&mut self, j: &Json) -> Json {
        j.clone()
    }
    fn array(&mut self, items: Vec<Json>) -> Json {
        Json::Array(items)
    }
    fn object(&mut self, entries: Vec<(&'static str, Json)>) -> Json {
        Json::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }
}

/// Counts the locations a part of the input registers, building nothing: chunks of
/// sessions built in parallel learn from it where their location numbers start.
pub(crate) struct Count;

impl Build for Count {
    type Out = ();
    fn null(&mut self) {}
    fn bool(&mut self, _: bool) {}
    fn number(&mut self, _: usize) {}
    fn text(&mut self, _: &str) {}
    fn json(&mut self, _: &Json) {}
    fn array(&mut self, _: Vec<()>) {}
    fn object(&mut self, _: Vec<(&'static str, ())>) {}
}

/// Builds values of the input through `b`, registering their locations in `locs`; the
/// first location registered is number `base`.
pub(crate) struct Writer<'u, B> {
    pub(crate) unit: &'u Unit,
    pub(crate) base: usize,
    pub(crate) locs: Vec<Loc>,
    pub(crate) b: B,
}

impl<'u, B: Build> Writer<'u, B> {
    pub(crate) fn new(unit: &'u Unit, b: B) -> Self {
        Self {
            unit,
            base: 0,
            locs: Vec::new(),
            b,
        }
    }

    pub(crate) fn reg(&mut self, loc: Loc) -> usize {
        self.locs.push(loc);
        self.base + self.locs.len() - 1
    }

    fn reg_value(&mut self, loc: Loc) -> B::Out {
        let n = self.reg(loc);
        self.b.number(n)
    }

    fn alts(&mut self, alts: &[Alt]) -> B::Out {
        let items = alts.iter().map(|a| self.alt(a)).collect();
        self.b.array(items)
    }

    pub(crate) fn alt(&mut self, alt: &Alt) -> B::Out {
        let mut o = Vec::with_capacity(6);
        o.push(("ref", self.reg_value(alt.loc)));
        o.push(("when", self.conditions(&alt.when)));
        if let Some(id) = identity(&alt.val) {
            o.push(("id", self.b.text(&id)));
        }
        match &alt.val {
            Val::Known(v) => {
                if let Some(kind) = v.as_str().and_then(ec2_id_kind) {
                    o.push(("ec2_id", self.b.text(kind)));
                }
                o.push(("known", self.b.json(v)));
            }
            Val::Symbol { expr, why } => {
                o.push(("symbol", self.b.text(expr)));
                o.push(("unknown", self.b.text(why)));
                if self.unit.created.contains(expr) {
                    o.push(("created", self.b.bool(true)));
                }
            }
            Val::Unknown(why) => o.push(("unknown", self.b.text(why))),
            Val::Absent => o.push(("absent", self.b.bool(true))),
        }
        if let Some(Origin { at, how, used }) = &alt.origin {
            if let Some(loc) = at {
                o.push(("origin_ref", self.reg_value(*loc)));
            }
            o.push(("origin", self.b.text(how)));
            if *used {
                o.push(("origin_used", self.b.bool(true)));
            }
        }
        self.b.object(o)
    }

    fn tag_set(&mut self, t: &TagSet) -> B::Out {
        let mut o = vec![
            ("ref", self.reg_value(t.loc)),
            ("when", self.conditions(&t.when)),
        ];
        match &t.items {
            Some(items) => {
                let items = items
                    .iter()
                    .map(|it| {
                        let entries = vec![
                            ("ref", self.reg_value(it.loc)),
                            ("key", self.alt(&it.key)),
                            ("value", self.alt(&it.value)),
                        ];
                        self.b.object(entries)
                    })
                    .collect();
                o.push(("items", self.b.array(items)));
            }
            None => o.push(("unknown", self.b.text(&t.why))),
        }
        self.b.object(o)
    }

    pub(crate) fn conditions(&mut self, conds: &[Condition]) -> B::Out {
        let items = conds
            .iter()
            .map(|c| {
                let value = match &c.value {
                    CondValue::Bool(v) => self.b.bool(*v),
                    CondValue::Text(t) => self.b.text(t),
                };
                let name = self.b.text(&c.name);
                self.b.object(vec![("name", name), ("value", value)])
            })
            .collect();
        self.b.array(items)
    }

    /// Links as input: each alternative and the linked resource's index within its kind.
    pub(crate) fn link_list(&mut self, local: &[usize], ls: &[Link], name: &'static str) -> B::Out {
        let items = ls
            .iter()
            .map(|l| {
                let alt = self.b.number(l.alt);
                let index = self.index(local, l.resource);
                self.b.object(vec![("alt", alt), (name, index)])
            })
            .collect();
        self.b.array(items)
    }

    /// A session's source instances as input: alternative, instance and attachment indices.
    pub(crate) fn instances(&mut self, local: &[usize], ls: &[InstanceLink]) -> B::Out {
        let items = ls
            .iter()
            .map(|l| {
                let entries = vec![
                    ("alt", self.b.number(l.alt)),
                    ("instance", self.index(local, l.instance)),
                    ("attachment", self.index(local, l.attachment)),
                ];
                self.b.object(entries)
            })
            .collect();
        self.b.array(items)
    }

    /// A resource's index within its kind, or null.
    fn index(&mut self, local: &[usize], resource: usize) -> B::Out {
        match local.get(resource) {
            Some(n) => self.b.number(*n),
            None => self.b.null(),
        }
    }

    /// One session's object of the rule input.
    pub(crate) fn session(
        &mut self,
        index: usize,
        s: &Session,
        links: &Links,
        local: &[usize],
    ) -> B::Out {
        let unit = self.unit;
        let mut o = Vec::with_capacity(28);
        o.push(("index", self.b.number(index)));
        o.push(("address", self.b.text(&s.address)));
        o.push(("type", self.b.text(&s.resource_type)));
        o.push(("provider", self.b.text(s.provider.as_str())));
        o.push(("format", self.b.text(unit.format.as_str())));
        o.push(("file", self.b.text(unit.file_name(s.loc.file))));
        o.push(("ref", self.reg_value(s.loc)));
        o.push(("conditions", self.conditions(&s.conditions)));
        o.push(("partial", self.b.bool(s.partial)));
        if s.live {
            o.push(("live", self.b.bool(true)));
        }
        for (name, field) in s.fields() {
            o.push((name.input_name(), self.alts(field)));
        }
        let no_links = Vec::new();
        let targets = links.session_target.get(index).unwrap_or(&no_links);
        let target_enis = unit.target_enis(s, targets);
        o.push(("target_network_interface_id", self.alts(&target_enis)));
        let filters = links.session_filter.get(index).unwrap_or(&no_links);
        o.push(("filter", self.link_list(local, filters, "filter")));
        o.push(("target", self.link_list(local, targets, "target")));
        let instances = links
            .session_instance
            .get(index)
            .map_or(&[][..], Vec::as_slice);
        o.push(("source_instance", self.instances(local, instances)));
        let tags = s.tags.iter().map(|t| self.tag_set(t)).collect();
        o.push(("tags", self.b.array(tags)));
        self.b.object(o)
    }
}

impl Writer<'_, JsonBuild> {
    /// A graph attribute's alternatives, with the facts rules need about known values.
    pub(crate) fn attr_alts(&mut self, attr: Attr, alts: &[Alt]) -> Json {
        Json::Array(
            alts.iter()
                .map(|a| {
                    let mut j = self.alt(a);
                    if let (Json::Object(o), Val::Known(v)) = (&mut j, &a.val) {
                        facts(attr, v, o);
                    }
                    j
                })
                .collect(),
        )
    }
}
