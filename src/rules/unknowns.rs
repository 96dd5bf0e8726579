//! Checks that unknown values hide, said out loud.
//!
//! * What a Terraform module that cannot be read may declare: every rule is skipped for it.
//! * Collisions that depend on inputs without a value. Two values are *provably different*
//!   only when both are literals that differ, or each is a literal or something the unit
//!   creates (its own resources). Two sessions whose source interfaces come from different
//!   inputs without values (parameters, variables, data sources) are never assumed to be on
//!   different interfaces: when the pair would break MG005, MG006 or MG007 if the
//!   interfaces were equal, the check is listed as skipped, naming both inputs.

use std::collections::{BTreeMap, BTreeSet};

use super::RuleSet;
use crate::model::{Alt, CondValue, Condition, Session, Unit, Val, identity};
use crate::report::{Location, Skipped};

/// Most notes about hidden collisions listed per unit.
const MAX_NOTES: usize = 50;

/// Most pairs of source interfaces examined for hidden collisions per unit: a template of
/// 20,000 sessions on two parameters without values took minutes before this bound.
const MAX_PAIRS: usize = 2_000_000;

/// Checks skipped for opaque modules.
pub(crate) fn opaque(rules: &RuleSet, unit: &Unit) -> Vec<Skipped> {
    let all: Vec<String> = rules.rego_rules().map(|r| r.meta.id.clone()).collect();
    unit.opaque
        .iter()
        .filter_map(|o| {
            Some(Skipped {
                location: Location::new(unit.files.get(o.loc.file)?.clone(), o.loc.span),
                address: o.address.clone(),
                property: o.property().into(),
                reason: o.reason(),
                rules: all.clone(),
            })
        })
        .collect()
}

/// How an identity relates to what the unit creates.
fn is_literal(id: &str) -> bool {
    !id.starts_with("ref:")
}

fn provably_different(unit: &Unit, a: &str, b: &str) -> bool {
    let settled = |id: &str| {
        is_literal(id)
            || id
                .strip_prefix("ref:")
                .is_some_and(|e| unit.created.contains(e))
    };
    a != b && settled(a) && settled(b)
}

/// The input an identity names, for messages: `SourceEni`, `var.eni`.
fn input_name(id: &str) -> String {
    let e = id.strip_prefix("ref:").unwrap_or(id);
    e.strip_prefix("Ref(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(e)
        .to_owned()
}

fn exclusive(a: &[Condition], b: &[Condition]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            x.name == y.name
                && match (&x.value, &y.value) {
                    (CondValue::Bool(p), CondValue::Bool(q)) => p != q,
                    (CondValue::Text(p), CondValue::Text(q)) => p != q,
                    _ => false,
                }
        })
    })
}

/// One source interface alternative of a session.
struct Source<'u> {
    session: &'u Session,
    /// The session's index in the unit.
    index: usize,
    alt: &'u Alt,
    id: String,
}

fn sources(unit: &Unit) -> Vec<Source<'_>> {
    unit.sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.provider != crate::model::Provider::Alicloud && !s.partial)
        .flat_map(|(index, s)| {
            s.network_interface_id.iter().filter_map(move |alt| {
                Some(Source {
                    session: s,
                    index,
                    alt,
                    id: identity(&alt.val)?,
                })
            })
        })
        .collect()
}

fn skipped(unit: &Unit, at: &Source<'_>, reason: String, rule: &str) -> Option<Skipped> {
    Some(Skipped {
        location: Location::new(unit.files.get(at.alt.loc.file)?.clone(), at.alt.loc.span),
        address: at.session.address.clone(),
        property: "network_interface_id".into(),
        reason,
        rules: vec![rule.to_owned()],
    })
}

/// MG005, MG006 and MG007 on pairs of interfaces that are not provably different.
pub(crate) fn hidden_collisions(rules: &RuleSet, unit: &Unit) -> Vec<Skipped> {
    let on = |id: &str| rules.find(id).is_some();
    let srcs = sources(unit);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    // Sessions per interface, for MG006.
    let mut per_id: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in &srcs {
        per_id
            .entry(s.id.as_str())
            .or_default()
            .insert(s.session.address.as_str());
    }
    // Per source, computed once: its identity's number, whether it is settled and its
    // known session numbers (sorted), so that a pair costs no allocation.
    let mut id_numbers: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &srcs {
        let next = id_numbers.len();
        id_numbers.entry(s.id.as_str()).or_insert(next);
    }
    let facts: Vec<(usize, bool, Vec<i64>)> = srcs
        .iter()
        .map(|s| {
            let mut numbers: Vec<i64> = s
                .session
                .session_number
                .iter()
                .filter_map(|n| match &n.val {
                    Val::Known(j) => j.as_i64(),
                    _ => None,
                })
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            (
                id_numbers.get(s.id.as_str()).copied().unwrap_or(usize::MAX),
                provably_settled(unit, &s.id),
                numbers,
            )
        })
        .collect();
    let mut pairs_seen: std::collections::HashSet<(bool, usize, usize, i64)> =
        std::collections::HashSet::new();
    let mut examined = 0usize;
    'pairs: for (ai, a) in srcs.iter().enumerate() {
        let Some((a_id, false, a_numbers)) = facts.get(ai) else {
            continue;
        };
        for (bi, b) in srcs.iter().enumerate() {
            if out.len() >= MAX_NOTES {
                return out;
            }
            examined += 1;
            if examined > MAX_PAIRS {
                out.extend(pairs_cut_short(unit, &srcs, &facts));
                break 'pairs;
            }
            let Some((b_id, _, b_numbers)) = facts.get(bi) else {
                continue;
            };
            // `a` is not settled, so the two are never provably different.
            if a_id == b_id
                || a.index == b.index
                || exclusive(&a.session.conditions, &b.session.conditions)
                || exclusive(&a.alt.when, &b.alt.when)
            {
                continue;
            }
            let ((x, x_numbers), y) = if a.session.address <= b.session.address {
                ((a, a_numbers), b)
            } else {
                ((b, b_numbers), a)
            };
            let key = ((*a_id).min(*b_id), (*a_id).max(*b_id));
            // The smallest session number the two share.
            let shared = x_numbers
                .iter()
                .find(|n| a_numbers.binary_search(n).is_ok() && b_numbers.binary_search(n).is_ok())
                .copied();
            if on("MG005")
                && let Some(n) = shared
                && pairs_seen.insert((false, key.0, key.1, n))
            {
                let reason = format!(
                    "MG005 not checked for {} and {}: {}; they collide (session number {n}) if equal",
                    x.session.address,
                    y.session.address,
                    pair(unit, &x.id, &y.id)
                );
                out.extend(skipped(unit, x, reason, "MG005"));
            }
            let together = per_id.get(x.id.as_str()).map_or(0, BTreeSet::len)
                + per_id.get(y.id.as_str()).map_or(0, BTreeSet::len);
            if on("MG006") && together > 3 && pairs_seen.insert((true, key.0, key.1, 0)) {
                let reason = format!(
                    "MG006 not checked: {}; if equal, {together} sessions share one source interface (at most 3)",
                    pair(unit, &x.id, &y.id)
                );
                out.extend(skipped(unit, x, reason, "MG006"));
            }
        }
    }
    if on("MG007") {
        let links = unit.links();
        for s in &srcs {
            let targets = links
                .session_target
                .get(s.index)
                .map_or(&[][..], Vec::as_slice);
            for t in unit.target_enis(s.session, targets) {
                let Some(tid) = identity(&t.val) else {
                    continue;
                };
                if out.len() >= MAX_NOTES {
                    return out;
                }
                if tid == s.id
                    || provably_different(unit, &s.id, &tid)
                    || exclusive(&s.alt.when, &t.when)
                    || !seen.insert(("MG007", s.id.clone(), tid.clone(), 0))
                {
                    continue;
                }
                let reason = format!(
                    "MG007 not checked for {}: {}; the session is invalid if its source is its target's interface",
                    s.session.address,
                    pair(unit, &s.id, &tid)
                );
                out.extend(skipped(unit, s, reason, "MG007"));
            }
        }
    }
    out
}

/// The note that the pairs were not all examined ([`MAX_PAIRS`]), at the first source
/// whose value is unknown.
fn pairs_cut_short(
    unit: &Unit,
    srcs: &[Source<'_>],
    facts: &[(usize, bool, Vec<i64>)],
) -> Option<Skipped> {
    let unknown = facts.iter().filter(|(_, settled, _)| !settled).count();
    let first = srcs
        .iter()
        .zip(facts)
        .find(|(_, (_, settled, _))| !settled)
        .map(|(s, _)| s)?;
    let mut note = skipped(
        unit,
        first,
        format!(
            "MG005 and MG006 not checked beyond the first {MAX_PAIRS} pairs of sessions: {unknown} of the {} source interfaces have no value, and any two of them may be equal",
            srcs.len()
        ),
        "MG005",
    )?;
    note.rules.push("MG006".into());
    Some(note)
}

/// Says why two interfaces may be equal: `A and B have no value`, or `A has no value and
/// may be eni-…`.
fn pair(unit: &Unit, a: &str, b: &str) -> String {
    match (provably_settled(unit, a), provably_settled(unit, b)) {
        (false, false) => format!("{} and {} have no value", input_name(a), input_name(b)),
        (false, true) => format!(
            "{} has no value and may be {}",
            input_name(a),
            input_name(b)
        ),
        (true, false) => format!(
            "{} has no value and may be {}",
            input_name(b),
            input_name(a)
        ),
        (true, true) => format!("{} and {}", input_name(a), input_name(b)),
    }
}

/// A literal or something the unit creates.
fn provably_settled(unit: &Unit, id: &str) -> bool {
    is_literal(id)
        || id
            .strip_prefix("ref:")
            .is_some_and(|e| unit.created.contains(e))
}
