//! Sessions grouped by what they share, written into the rule input as `groups` so that no
//! rule joins sessions in Rego (a join there sorted every session of a unit on the VM: on
//! one template of 50,000 sessions, most of a second of one core for each of three rules).
//!
//! A group is `{"key": [...], "members": [[session, alternative, shown], ...]}`: the index
//! of the session, the index of the alternative of the property that put it there, and that
//! alternative as written (its known value, else its expression, else its identity). Members
//! are sorted and each is written once; groups are sorted by key. Only groups of two or more
//! members are written: a rule about sessions that share something finds nothing in a group
//! of one.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::model::{Alt, Provider, Session, Unit, Val, identity};

/// A number as a key: equal numbers are equal keys, as in Rego (`1` and `1.0` alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Number {
    Int(i64),
    Uint(u64),
    /// A number with a fraction, by its bits (only equality matters).
    Float(u64),
}

impl Number {
    fn of(n: &serde_json::Number) -> Option<Self> {
        if let Some(i) = n.as_i64() {
            return Some(Self::Int(i));
        }
        if let Some(u) = n.as_u64() {
            return Some(Self::Uint(u));
        }
        let f = n.as_f64()?;
        // An integral float within i64 is that integer (`as` saturates; the range is checked).
        if f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&f) {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "integral and within the range of i64, checked above"
            )]
            return Some(Self::Int(f as i64));
        }
        Some(Self::Float(f.to_bits()))
    }
}

/// One member: session, alternative, the alternative as written.
type Member = (usize, usize, Json);

/// The groups of two or more members, from every `(key, member)` a session gives. Members
/// that share a session and an alternative but differ as written (which a real template never
/// has) are ordered by their JSON text.
fn grouped<K: Ord>(entries: impl Iterator<Item = (K, Member)>) -> Vec<(K, Vec<Member>)> {
    let mut by_key: BTreeMap<K, Vec<Member>> = BTreeMap::new();
    for (key, member) in entries {
        by_key.entry(key).or_default().push(member);
    }
    by_key
        .into_iter()
        .filter_map(|(key, mut members)| {
            members.sort_by(|a, b| {
                (a.0, a.1)
                    .cmp(&(b.0, b.1))
                    .then_with(|| a.2.to_string().cmp(&b.2.to_string()))
            });
            members.dedup();
            (members.len() > 1).then_some((key, members))
        })
        .collect()
}

/// An alternative as written: its known value, else its expression, else its identity.
fn shown(alt: &Alt, id: &str) -> Json {
    match &alt.val {
        Val::Known(v) => v.clone(),
        Val::Symbol { expr, .. } => Json::from(expr.as_str()),
        _ => Json::from(id),
    }
}

/// The alternatives of a field that have an identity, with it and their index.
fn identified(field: &[Alt]) -> impl Iterator<Item = (usize, &Alt, String)> {
    field
        .iter()
        .enumerate()
        .filter_map(|(j, a)| identity(&a.val).map(|id| (j, a, id)))
}

/// The known numbers of a field, with their index.
fn numbers(field: &[Alt]) -> impl Iterator<Item = (usize, Number)> + '_ {
    field.iter().enumerate().filter_map(|(j, a)| match &a.val {
        Val::Known(Json::Number(n)) => Number::of(n).map(|k| (j, k)),
        _ => None,
    })
}

fn group_json(key: Json, members: Vec<Member>) -> Json {
    let members: Vec<Json> = members
        .into_iter()
        .map(|(i, j, shown)| json!([i, j, shown]))
        .collect();
    json!({"key": key, "members": members})
}

/// The groups of sessions whose alternatives of two fields are the same: one by identity (the
/// scope: an interface, a region, a target), one by known number. `fields` gives, for a
/// session, the key's leading tag (if any), the scope field and the numbered field. Members
/// are the numbered alternatives, shown as the scope alternative is written; the key is
/// `[tag, identity, number]`, or `[identity, number]` without a tag, the number as its first
/// member wrote it.
fn by_identity_and_number<'s>(
    sessions: &'s [Session],
    fields: impl Fn(&'s Session) -> (Option<&'static str>, &'s [Alt], &'s [Alt]),
) -> Json {
    let mut entries = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        let (tag, scope, numbered) = fields(s);
        for (_, alt, id) in identified(scope) {
            let shown_as = shown(alt, &id);
            for (j, number) in numbers(numbered) {
                entries.push(((tag, (id.clone(), number)), (i, j, shown_as.clone())));
            }
        }
    }
    let groups = grouped(entries.into_iter())
        .into_iter()
        .map(|((tag, (id, _)), members)| {
            let number = members
                .first()
                .and_then(|(i, j, _)| fields(sessions.get(*i)?).2.get(*j))
                .and_then(|alt| match &alt.val {
                    Val::Known(n) => Some(n.clone()),
                    _ => None,
                })
                .unwrap_or(Json::Null);
            let key = match tag {
                Some(tag) => json!([tag, id, number]),
                None => json!([id, number]),
            };
            group_json(key, members)
        })
        .collect();
    Json::Array(groups)
}

/// Sessions that share a session number: on one source interface (AWS, key
/// `["eni", identity, number]`), or, for Alibaba Cloud, whose priority is unique in a region
/// whatever the source, in one region (`["region", identity, number]`).
fn session_number(sessions: &[Session]) -> Json {
    by_identity_and_number(sessions, |s| {
        if s.provider == Provider::Alicloud {
            (Some("region"), &s.region, &s.session_number)
        } else {
            (Some("eni"), &s.network_interface_id, &s.session_number)
        }
    })
}

/// Sessions that share a source interface (not Alibaba Cloud): key `[identity]`.
fn interface(sessions: &[Session]) -> Json {
    let entries = sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.provider != Provider::Alicloud)
        .flat_map(|(i, s)| {
            identified(&s.network_interface_id)
                .map(move |(j, alt, id)| (id.clone(), (i, j, shown(alt, &id))))
        });
    Json::Array(
        grouped(entries)
            .into_iter()
            .map(|(id, members)| group_json(json!([id]), members))
            .collect(),
    )
}

/// Sessions that send to one target under one VNI: key `[target identity, vni]`.
fn target_vni(sessions: &[Session]) -> Json {
    by_identity_and_number(sessions, |s| {
        (None, &s.traffic_mirror_target_id, &s.virtual_network_id)
    })
}

/// The `groups` of a unit's rule input.
pub(super) fn groups(unit: &Unit) -> Json {
    json!({
        "interface": interface(&unit.sessions),
        "session_number": session_number(&unit.sessions),
        "target_vni": target_vni(&unit.sessions),
    })
}

#[cfg(test)]
mod tests {
    use super::groups;
    use crate::model::{Alt, Format, Loc, Provider, Session, Unit};
    use serde_json::{Value as Json, json};

    fn known(v: Json) -> Alt {
        Alt::known(Loc::default(), v)
    }

    /// An AWS session on `eni` with `number`, to `target` under `vni`.
    fn aws(name: &str, eni: Alt, number: Json, target: &str, vni: Json) -> Session {
        let mut s = Session::new(
            name.to_owned(),
            "AWS::EC2::TrafficMirrorSession",
            Provider::Aws,
            Loc::default(),
        );
        s.network_interface_id.push(eni);
        s.session_number.push(known(number));
        s.traffic_mirror_target_id.push(known(json!(target)));
        s.virtual_network_id.push(known(vni));
        s
    }

    fn of(sessions: Vec<Session>) -> Json {
        let mut unit = Unit::new(Format::CloudFormation, "t.yaml".into(), Vec::new());
        unit.sessions = sessions;
        groups(&unit)
    }

    #[test]
    fn sessions_sharing_an_interface_and_a_number_form_one_group() {
        let g = of(vec![
            aws("A", known(json!("eni-1")), json!(1), "tmt-1", json!(1)),
            aws("B", known(json!("eni-1")), json!(1), "tmt-1", json!(2)),
            aws("C", known(json!("eni-1")), json!(2), "tmt-2", json!(1)),
            aws("D", known(json!("eni-2")), json!(1), "tmt-2", json!(2)),
        ]);
        assert_eq!(
            g["session_number"],
            json!([{"key": ["eni", "eni-1", 1], "members": [[0, 0, "eni-1"], [1, 0, "eni-1"]]}])
        );
        assert_eq!(
            g["interface"],
            json!([{"key": ["eni-1"], "members": [[0, 0, "eni-1"], [1, 0, "eni-1"], [2, 0, "eni-1"]]}])
        );
        assert_eq!(
            g["target_vni"],
            json!([]),
            "no target carries one VNI twice"
        );
    }

    #[test]
    fn a_reference_groups_by_its_identity_and_shows_its_expression() {
        let eni = || Alt::symbol(Loc::default(), "SourceEni", "a parameter");
        let g = of(vec![
            aws("A", eni(), json!(3), "tmt-1", json!(7)),
            aws("B", eni(), json!(3), "tmt-1", json!(7)),
        ]);
        assert_eq!(
            g["session_number"],
            json!([{"key": ["eni", "ref:SourceEni", 3], "members": [[0, 0, "SourceEni"], [1, 0, "SourceEni"]]}])
        );
        assert_eq!(
            g["target_vni"],
            json!([{"key": ["tmt-1", 7], "members": [[0, 0, "tmt-1"], [1, 0, "tmt-1"]]}])
        );
    }

    /// Equal numbers are equal keys whatever their spelling; an unknown interface or number
    /// joins no group (two unknown values are never assumed equal or different here: the
    /// checks they hide are listed elsewhere).
    #[test]
    fn equal_numbers_group_and_unknown_values_do_not() {
        let g = of(vec![
            aws("A", known(json!("eni-1")), json!(5), "tmt-1", json!(7)),
            aws("B", known(json!("eni-1")), json!(5.0), "tmt-1", json!(7.0)),
            aws(
                "C",
                Alt::unknown(Loc::default(), "computed"),
                json!(5),
                "tmt-2",
                json!(7),
            ),
        ]);
        let members = |k: &str| g[k][0]["members"].as_array().map_or(0, Vec::len);
        assert_eq!(members("session_number"), 2);
        assert_eq!(members("target_vni"), 2);
        assert_eq!(g["session_number"].as_array().map(Vec::len), Some(1));
    }

    /// A session whose property has two alternatives (the branches of a condition) is two
    /// members; the same alternative written twice is one.
    #[test]
    fn members_are_alternatives_each_written_once() {
        let mut a = aws("A", known(json!("eni-1")), json!(1), "tmt-1", json!(1));
        a.network_interface_id.push(known(json!("eni-1")));
        a.session_number.push(known(json!(1)));
        let g = of(vec![a]);
        assert_eq!(
            g["session_number"],
            json!([{"key": ["eni", "eni-1", 1], "members": [[0, 0, "eni-1"], [0, 1, "eni-1"]]}])
        );
    }

    /// Alibaba Cloud: a priority is unique in a region, whatever the source; its sessions
    /// are in no interface group.
    #[test]
    fn alicloud_priorities_group_by_region() {
        let ali = |name: &str, region: &str| {
            let mut s = Session::new(
                name.to_owned(),
                "alicloud_vpc_traffic_mirror_session",
                Provider::Alicloud,
                Loc::default(),
            );
            s.network_interface_id
                .push(known(json!(format!("eni-{name}"))));
            s.network_interface_id.push(known(json!("eni-shared")));
            s.region.push(known(json!(region)));
            s.session_number.push(known(json!(1)));
            s
        };
        let g = of(vec![
            ali("a", "cn-hangzhou"),
            ali("b", "cn-hangzhou"),
            ali("c", "cn-beijing"),
        ]);
        assert_eq!(
            g["session_number"],
            json!([{"key": ["region", "cn-hangzhou", 1], "members": [[0, 0, "cn-hangzhou"], [1, 0, "cn-hangzhou"]]}])
        );
        assert_eq!(g["interface"], json!([]));
    }
}
