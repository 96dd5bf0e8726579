//! The rule input: the model as the plain JSON Rego rules read (see `rules/README.md`).
//!
//! Spans stay on the Rust side: every located value has a `ref` number, an index into the
//! location table returned beside the JSON, and rule results point into the input by path.

use serde_json::{Map, Value as Json, json};

use std::collections::BTreeMap;

use super::graph::{Attr, Kind};
use super::instance_types::{self, Eligibility};
use super::links::{InstanceLink, Link};
use super::{Alt, CondValue, Condition, Loc, Origin, TagSet, Unit, Val, identity};

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
    pub(crate) fn input_built(&self, links: &super::links::Links, parallel: bool) -> RuleInput {
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
        links: &super::links::Links,
        parallel: bool,
        convert: &(dyn Fn(Vec<Json>) -> Vec<T> + Sync),
    ) -> InputParts<T> {
        let mut w = Writer {
            unit: self,
            locs: Vec::new(),
        };
        // Index of each resource within the array of its kind.
        let mut local = vec![0usize; self.resources.len()];
        let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            let n = counts.entry(r.kind).or_default();
            local[i] = *n;
            *n += 1;
        }
        let link_json = |ls: &[Link], name: &str| link_json(&local, ls, name);
        let instance_json = |ls: &[InstanceLink]| instance_json(&local, ls);
        let sessions = if parallel {
            self.sessions_in_parallel(&mut w, links, &local, convert)
        } else {
            convert(
                self.sessions
                    .iter()
                    .enumerate()
                    .map(|(index, s)| self.session_json(&mut w, index, s, links, &local))
                    .collect(),
            )
        };
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
            obj.insert("conditions".into(), conditions_json(&r.conditions));
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
                    obj.insert("filter".into(), link_json(ls, "filter"));
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
                    obj.insert("instance".into(), instance_json(ls));
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
        InputParts {
            sessions,
            rest,
            locs: w.locs,
        }
    }

    /// The sessions built on every core, in chunks of [`SESSION_CHUNK`], each with its own
    /// location table. Chunks go in waves of [`WAVE_CHUNKS`]: when a wave is built, its
    /// tables are appended in order, each chunk's `ref` numbers shifted by the locations
    /// before it (so the input is the one the serial loop builds), and its sessions
    /// converted; only one wave's JSON exists at a time.
    fn sessions_in_parallel<T: Send>(
        &self,
        w: &mut Writer<'_>,
        links: &super::links::Links,
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
                    let mut cw = Writer {
                        unit: self,
                        locs: Vec::new(),
                    };
                    let json = chunk
                        .iter()
                        .enumerate()
                        .map(|(k, s)| self.session_json(&mut cw, start + k, s, links, local))
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

    /// One session's object of the rule input.
    fn session_json(
        &self,
        w: &mut Writer<'_>,
        index: usize,
        s: &super::Session,
        links: &super::links::Links,
        local: &[usize],
    ) -> Json {
        let mut obj = Map::new();
        obj.insert("index".into(), json!(index));
        obj.insert("address".into(), json!(s.address));
        obj.insert("type".into(), json!(s.resource_type));
        obj.insert("provider".into(), json!(s.provider.as_str()));
        obj.insert("format".into(), json!(self.format.as_str()));
        obj.insert("file".into(), json!(self.file_name(s.loc.file)));
        obj.insert("ref".into(), json!(w.reg(s.loc)));
        obj.insert("conditions".into(), conditions_json(&s.conditions));
        obj.insert("partial".into(), json!(s.partial));
        if s.live {
            obj.insert("live".into(), json!(true));
        }
        for (name, field) in s.fields() {
            obj.insert(name.input_name().into(), w.alts(field));
        }
        let no_links = Vec::new();
        let targets = links.session_target.get(index).unwrap_or(&no_links);
        let target_enis = self.target_enis(s, targets);
        obj.insert("target_network_interface_id".into(), w.alts(&target_enis));
        obj.insert(
            "filter".into(),
            link_json(
                local,
                links.session_filter.get(index).unwrap_or(&no_links),
                "filter",
            ),
        );
        obj.insert("target".into(), link_json(local, targets, "target"));
        obj.insert(
            "source_instance".into(),
            instance_json(
                local,
                links
                    .session_instance
                    .get(index)
                    .map_or(&[][..], Vec::as_slice),
            ),
        );
        let tags: Vec<Json> = s.tags.iter().map(|t| w.tag_set(t)).collect();
        obj.insert("tags".into(), Json::Array(tags));
        Json::Object(obj)
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

/// Links as input: each alternative and the linked resource's index within its kind.
fn link_json(local: &[usize], ls: &[Link], name: &str) -> Json {
    Json::Array(
        ls.iter()
            .map(|l| {
                let mut o = Map::new();
                o.insert("alt".into(), json!(l.alt));
                o.insert(name.into(), json!(local.get(l.resource)));
                Json::Object(o)
            })
            .collect(),
    )
}

/// A session's source instances as input: alternative, instance and attachment indices.
fn instance_json(local: &[usize], ls: &[InstanceLink]) -> Json {
    Json::Array(
        ls.iter()
            .map(|l| {
                json!({
                    "alt": l.alt,
                    "instance": local.get(l.instance),
                    "attachment": local.get(l.attachment),
                })
            })
            .collect(),
    )
}

/// Builds the JSON of values, registering their locations.
struct Writer<'u> {
    unit: &'u Unit,
    locs: Vec<Loc>,
}

impl Writer<'_> {
    fn reg(&mut self, loc: Loc) -> usize {
        self.locs.push(loc);
        self.locs.len() - 1
    }

    fn alts(&mut self, alts: &[Alt]) -> Json {
        Json::Array(alts.iter().map(|a| self.alt(a)).collect())
    }

    fn alt(&mut self, alt: &Alt) -> Json {
        let mut o = Map::new();
        o.insert("ref".into(), json!(self.reg(alt.loc)));
        o.insert("when".into(), conditions_json(&alt.when));
        if let Some(id) = identity(&alt.val) {
            o.insert("id".into(), json!(id));
        }
        match &alt.val {
            Val::Known(v) => {
                if let Some(kind) = v.as_str().and_then(ec2_id_kind) {
                    o.insert("ec2_id".into(), json!(kind));
                }
                o.insert("known".into(), v.clone());
            }
            Val::Symbol { expr, why } => {
                o.insert("symbol".into(), json!(expr));
                o.insert("unknown".into(), json!(why));
                if self.unit.created.contains(expr) {
                    o.insert("created".into(), json!(true));
                }
            }
            Val::Unknown(why) => {
                o.insert("unknown".into(), json!(why));
            }
            Val::Absent => {
                o.insert("absent".into(), json!(true));
            }
        }
        if let Some(Origin { at, how, used }) = &alt.origin {
            if let Some(loc) = at {
                o.insert("origin_ref".into(), json!(self.reg(*loc)));
            }
            o.insert("origin".into(), json!(how));
            if *used {
                o.insert("origin_used".into(), json!(true));
            }
        }
        Json::Object(o)
    }

    /// A graph attribute's alternatives, with the facts rules need about known values.
    fn attr_alts(&mut self, attr: Attr, alts: &[Alt]) -> Json {
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

    fn tag_set(&mut self, t: &TagSet) -> Json {
        let mut o = Map::new();
        o.insert("ref".into(), json!(self.reg(t.loc)));
        o.insert("when".into(), conditions_json(&t.when));
        match &t.items {
            Some(items) => {
                let items: Vec<Json> = items
                    .iter()
                    .map(|it| {
                        json!({
                            "ref": self.reg(it.loc),
                            "key": self.alt(&it.key),
                            "value": self.alt(&it.value),
                        })
                    })
                    .collect();
                o.insert("items".into(), Json::Array(items));
            }
            None => {
                o.insert("unknown".into(), json!(t.why));
            }
        }
        Json::Object(o)
    }
}

/// Facts about a known graph value that Rego cannot compute cheaply: the CIDR family,
/// the protocol number, and what the instance type allows.
fn facts(attr: Attr, v: &Json, o: &mut Map<String, Json>) {
    match attr {
        Attr::SourceCidrBlock | Attr::DestinationCidrBlock => match v.as_str().map(cidr) {
            Some(Ok(c)) => {
                o.insert(
                    "cidr".into(),
                    json!({"family": c.family, "network": c.network, "canonical": c.canonical}),
                );
            }
            Some(Err(why)) => {
                o.insert("cidr_invalid".into(), json!(why));
            }
            None => {
                o.insert("cidr_invalid".into(), json!("a CIDR block is a string"));
            }
        },
        Attr::Protocol => {
            if let Some(n) = protocol_number(v) {
                o.insert("protocol_number".into(), json!(n));
            }
        }
        Attr::InstanceType => {
            let Some(ty) = v.as_str() else { return };
            let table = instance_types::table();
            let (support, why) = match table.source_support(ty) {
                Eligibility::Supported => ("supported", String::new()),
                Eligibility::Unsupported(why) => ("unsupported", why),
                Eligibility::Unknown(why) => ("unknown", why),
            };
            o.insert("source_support".into(), json!(support));
            o.insert("source_support_why".into(), json!(why));
            match table.sources_per_target(ty) {
                Ok(n) => o.insert("sources_per_target".into(), json!(n)),
                Err(why) => o.insert("sources_per_target_unknown".into(), json!(why)),
            };
        }
        _ => {}
    }
}

/// A parsed CIDR block.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    /// 4 or 6.
    pub(crate) family: u8,
    /// Whether the address is the network address (no host bits set).
    pub(crate) network: bool,
    /// The network address with the prefix (`10.0.0.0/24` for `10.0.0.1/24`).
    pub(crate) canonical: String,
}

/// Parses `10.0.0.0/8` or `2001:db8::/32`; the error says what is wrong.
pub(crate) fn cidr(text: &str) -> Result<Cidr, String> {
    let Some((addr, prefix)) = text.split_once('/') else {
        return Err(format!("{text} has no /prefix length"));
    };
    let bits: u32 = match prefix.parse() {
        Ok(b) if prefix.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => return Err(format!("{text} has an invalid prefix length {prefix}")),
    };
    if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
        if bits > 32 {
            return Err(format!("{text}: an IPv4 prefix length is at most 32"));
        }
        let host = u32::MAX.checked_shr(bits).unwrap_or(0);
        return Ok(Cidr {
            family: 4,
            network: u32::from(a) & host == 0,
            canonical: format!("{}/{bits}", std::net::Ipv4Addr::from(u32::from(a) & !host)),
        });
    }
    if let Ok(a) = addr.parse::<std::net::Ipv6Addr>() {
        if bits > 128 {
            return Err(format!("{text}: an IPv6 prefix length is at most 128"));
        }
        let host = u128::MAX.checked_shr(bits).unwrap_or(0);
        return Ok(Cidr {
            family: 6,
            network: u128::from(a) & host == 0,
            canonical: format!("{}/{bits}", std::net::Ipv6Addr::from(u128::from(a) & !host)),
        });
    }
    Err(format!("{addr} is not an IPv4 or IPv6 address"))
}

/// The IANA protocol number a rule's protocol names: a number, a numeric string, or an
/// Alibaba Cloud protocol name (`TCP`, `UDP`, `ICMP`; `ALL` is -1).
pub(crate) fn protocol_number(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok().or(match s.trim() {
            "TCP" | "tcp" => Some(6),
            "UDP" | "udp" => Some(17),
            "ICMP" | "icmp" => Some(1),
            "ALL" | "all" => Some(-1),
            _ => None,
        }),
        _ => None,
    }
}

fn conditions_json(conds: &[Condition]) -> Json {
    Json::Array(
        conds
            .iter()
            .map(|c| match &c.value {
                CondValue::Bool(b) => json!({"name": c.name, "value": b}),
                CondValue::Text(t) => json!({"name": c.name, "value": t}),
            })
            .collect(),
    )
}

/// The EC2 resource-id prefix of a literal shaped like an EC2 id (`eni`, `tmt`, `tmf`, ...:
/// a lower-case prefix, `-`, then 8 or 17 lower-case hex digits). A fact for rules (MG010),
/// computed here because regorus has no cheap way to test it (it compiles a regex per call).
pub(crate) fn ec2_id_kind(s: &str) -> Option<&str> {
    let (prefix, digits) = s.split_once('-')?;
    let prefix_ok = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase());
    let digits_ok = matches!(digits.len(), 8 | 17)
        && digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (prefix_ok && digits_ok).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::{cidr, ec2_id_kind, protocol_number};
    use serde_json::json;

    #[test]
    fn cidr_families_and_network_addresses() {
        let ok = |t: &str| cidr(t).map(|c| (c.family, c.network, c.canonical));
        assert_eq!(ok("10.0.0.0/8"), Ok((4, true, "10.0.0.0/8".into())));
        assert_eq!(ok("10.0.0.1/8"), Ok((4, false, "10.0.0.0/8".into())));
        assert_eq!(ok("0.0.0.0/0"), Ok((4, true, "0.0.0.0/0".into())));
        assert_eq!(ok("::/0"), Ok((6, true, "::/0".into())));
        assert_eq!(ok("2001:db8::1/32"), Ok((6, false, "2001:db8::/32".into())));
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("10.0.0.0").is_err());
        assert!(cidr("10.0.0.256/24").is_err());
        assert!(cidr("10.0.0.0/-1").is_err());
        assert!(cidr("2001:db8::/129").is_err());
    }

    #[test]
    fn protocol_numbers_and_names() {
        assert_eq!(protocol_number(&json!(6)), Some(6));
        assert_eq!(protocol_number(&json!("17")), Some(17));
        assert_eq!(protocol_number(&json!("TCP")), Some(6));
        assert_eq!(protocol_number(&json!("ALL")), Some(-1));
        assert_eq!(protocol_number(&json!("gre")), None);
    }

    #[test]
    fn ec2_id_shapes() {
        assert_eq!(ec2_id_kind("eni-0123456789abcdef0"), Some("eni"));
        assert_eq!(ec2_id_kind("tmt-0123abcd"), Some("tmt"));
        assert_eq!(ec2_id_kind("eni-0123456789ABCDEF0"), None);
        assert_eq!(ec2_id_kind("tmt-5319fsEXAMPLE"), None);
        assert_eq!(ec2_id_kind("eni-123"), None);
        assert_eq!(ec2_id_kind("-01234567"), None);
    }
}
