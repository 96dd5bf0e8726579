//! The rule input: the model as the plain JSON Rego rules read (see `rules/README.md`).
//!
//! Spans stay on the Rust side: every located value has a `ref` number, an index into the
//! location table returned beside the JSON, and rule results point into the input by path.

use serde_json::{Map, Value as Json, json};

use super::{Alt, CondValue, Condition, Loc, Origin, Unit, Val, identity};

/// The rule input of a unit and the location table its `ref` numbers index.
#[derive(Debug)]
pub(crate) struct RuleInput {
    pub(crate) json: Json,
    pub(crate) locs: Vec<Loc>,
}

impl Unit {
    /// Serializes the unit into the documented rule input (see `rules/README.md`).
    pub(crate) fn to_input(&self) -> RuleInput {
        let mut locs = Vec::new();
        let mut reg = |loc: Loc| {
            locs.push(loc);
            locs.len() - 1
        };
        let mut sessions = Vec::with_capacity(self.sessions.len());
        for (index, s) in self.sessions.iter().enumerate() {
            let mut obj = Map::new();
            obj.insert("index".into(), json!(index));
            obj.insert("address".into(), json!(s.address));
            obj.insert("type".into(), json!(s.resource_type));
            obj.insert("provider".into(), json!(s.provider.as_str()));
            obj.insert("format".into(), json!(self.format.as_str()));
            obj.insert("file".into(), json!(self.file_name(s.loc.file)));
            obj.insert("ref".into(), json!(reg(s.loc)));
            obj.insert("conditions".into(), conditions_json(&s.conditions));
            obj.insert("partial".into(), json!(s.partial));
            for (name, field) in s.fields() {
                let alts: Vec<Json> = field.iter().map(|a| alt_json(a, &mut reg)).collect();
                obj.insert(name.input_name().into(), Json::Array(alts));
            }
            let target_enis = self.target_enis(s);
            obj.insert(
                "target_network_interface_id".into(),
                Json::Array(target_enis.iter().map(|a| alt_json(a, &mut reg)).collect()),
            );
            let tags: Vec<Json> = s
                .tags
                .iter()
                .map(|t| {
                    let mut o = Map::new();
                    o.insert("ref".into(), json!(reg(t.loc)));
                    o.insert("when".into(), conditions_json(&t.when));
                    match &t.items {
                        Some(items) => {
                            let items: Vec<Json> = items
                                .iter()
                                .map(|it| {
                                    json!({
                                        "ref": reg(it.loc),
                                        "key": alt_json(&it.key, &mut reg),
                                        "value": alt_json(&it.value, &mut reg),
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
                })
                .collect();
            obj.insert("tags".into(), Json::Array(tags));
            sessions.push(Json::Object(obj));
        }
        let targets: Vec<Json> = self
            .targets
            .iter()
            .map(|t| {
                json!({
                    "address": t.address,
                    "ref": reg(t.loc),
                    "network_interface_id": t.network_interface_id.iter().map(|a| alt_json(a, &mut reg)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let references: Vec<Json> = self
            .references
            .iter()
            .map(|r| {
                json!({
                    "ref": reg(r.loc),
                    "kind": r.kind.as_str(),
                    "name": r.name,
                    "declared": r.declared,
                    "session": r.session,
                    "target": r.target,
                })
            })
            .collect();
        let json = json!({
            "format": self.format.as_str(),
            "unit": self.name,
            "sessions": sessions,
            "targets": targets,
            "references": references,
        });
        RuleInput { json, locs }
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

fn alt_json(alt: &Alt, reg: &mut impl FnMut(Loc) -> usize) -> Json {
    let mut o = Map::new();
    o.insert("ref".into(), json!(reg(alt.loc)));
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
            o.insert("origin_ref".into(), json!(reg(*loc)));
        }
        o.insert("origin".into(), json!(how));
        if *used {
            o.insert("origin_used".into(), json!(true));
        }
    }
    Json::Object(o)
}

#[cfg(test)]
mod tests {
    use super::ec2_id_kind;

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
