//! Fixes for the findings with one right answer: the next free session (or rule) number, a
//! target type in its right case, the network address of a CIDR block, a swapped port range,
//! an out-of-range property removed. Each is a set of byte-range edits with an
//! applicability: *safe* when the value is a literal written in the resource itself,
//! *display-only* when it comes from a variable, parameter or `count` other instances share,
//! *unsafe* when the result behaves differently (a removed packet length mirrors whole
//! packets). Edits keep quoting, comments, indentation and line endings.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::model::graph::{Attr, Kind};
use crate::model::{Alt, Format, Prop, Provider, Session, Unit, Val, identity};
use crate::report::{Applicability, Edit, Fix, Location};

/// Largest session number (and rule number) AWS accepts.
const MAX_NUMBER: i64 = 32_766;

/// Renumbering fixes are computed per finding over the finding's group: they are offered in
/// units of at most this many sessions (or filter rules) and groups of at most
/// [`MAX_RENUMBERED`] duplicates, so that a generated unit of thousands of duplicates costs
/// linear time, not cubic. Beyond that the findings stand without a fix.
const MAX_GROUP: usize = 1_000;
/// See [`MAX_GROUP`].
const MAX_RENUMBERED: usize = 100;

/// The fix of a violation, when its rule has one.
pub(crate) fn fix_for(rule: &str, unit: &Unit, path: &[Json]) -> Option<Fix> {
    // Plans are outputs of Terraform: the fix belongs in the configuration, not the plan.
    if is_plan(unit) {
        return None;
    }
    let (kind, index, field, alt) = parse_path(path)?;
    match (rule, kind) {
        ("MG005", "sessions") => next_session_number(unit, index, alt),
        ("MG002" | "MG003", "sessions") => remove_session_property(unit, index, field, rule),
        ("MG013", "sessions") => target_type_case(unit, index, alt),
        ("MG016", "filter_rules") => next_rule_number(unit, index, alt),
        ("MG017", "filter_rules") => swap_ports(unit, index, field, alt),
        ("MG018", "filter_rules") => network_address(unit, index, field, alt),
        ("MG025", "filters") => network_service_case(unit, index, alt),
        _ => None,
    }
}

fn is_plan(unit: &Unit) -> bool {
    unit.format == Format::Terraform
        && unit
            .files
            .first()
            .is_some_and(|f| f.display.ends_with(".json") && !f.display.ends_with(".tf.json"))
}

/// `["sessions", 3, "session_number", 0]` → ("sessions", 3, "session_number", 0); nested
/// fields (`destination_port_range.from_port`) are joined with a dot.
fn parse_path(path: &[Json]) -> Option<(&str, usize, String, usize)> {
    let kind = path.first()?.as_str()?;
    let index = usize::try_from(path.get(1)?.as_u64()?).ok()?;
    let mut field = Vec::new();
    let mut alt = None;
    for step in path.get(2..)? {
        match step {
            Json::String(s) => field.push(s.as_str()),
            Json::Number(n) => alt = usize::try_from(n.as_u64()?).ok(),
            _ => return None,
        }
    }
    Some((kind, index, field.join("."), alt?))
}

/// The text written at an alternative, when it is the literal itself in a file of the unit.
fn written<'u>(unit: &'u Unit, alt: &Alt) -> Option<(Location, &'u str)> {
    let source = unit.files.get(alt.loc.file)?;
    let text = source.text.get(alt.loc.span.start..alt.loc.span.end)?;
    Some((Location::new(source.clone(), alt.loc.span), text))
}

/// An edit replacing `old` (the value as text) inside what is written at `alt`, keeping the
/// quotes around it.
fn replace_value(unit: &Unit, alt: &Alt, old: &str, new: &str) -> Option<Edit> {
    let (loc, text) = written(unit, alt)?;
    let at = text.find(old)?;
    let span = crate::source::Span::new(loc.span.start + at, loc.span.start + at + old.len());
    Some(Edit {
        location: Location::new(loc.source.clone(), span),
        replacement: new.to_owned(),
    })
}

/// Whether a value can be changed where it is written without changing anything else: a
/// literal in the resource itself (not a default or argument elsewhere), not shared with
/// other instances of a `count`, under no condition.
fn is_own_literal(unit: &Unit, alt: &Alt, value: &str, shared: usize) -> bool {
    alt.origin.is_none()
        && alt.when.is_empty()
        && shared <= 1
        && written(unit, alt).is_some_and(|(_, t)| t.trim().trim_matches(['"', '\'']) == value)
}

fn number(alt: &Alt) -> Option<i64> {
    match &alt.val {
        Val::Known(v) => v.as_i64(),
        _ => None,
    }
}

/// The `k`-th number after `from` that `used` does not hold (the next free ones keep the
/// order of evaluation as close as possible: lower numbers are evaluated first).
fn free_number(used: &BTreeSet<i64>, from: i64, k: usize) -> Option<i64> {
    (from.saturating_add(1)..=MAX_NUMBER)
        .filter(|n| !used.contains(n))
        .nth(k)
}

/// A number fix: `n` replaced by the free number of the finding's rank among the flagged
/// members of its group, so that fixing them all at once leaves no duplicate.
fn renumber(
    unit: &Unit,
    alt: &Alt,
    members: &[(usize, Option<i64>, &Alt)],
    me: usize,
    what: &str,
) -> Option<Fix> {
    let n = number(alt)?;
    let used: BTreeSet<i64> = members.iter().filter_map(|m| m.1).collect();
    // Members repeating a number an earlier member has are the ones reported.
    let mut seen = BTreeSet::new();
    let mut flagged = Vec::new();
    for m in members {
        if let Some(v) = m.1
            && !seen.insert(v)
        {
            flagged.push(m.0);
        }
    }
    if flagged.len() > MAX_RENUMBERED {
        return None;
    }
    // Each flagged member, in order, takes the next number free after its own that no
    // earlier one took: fixing them all at once leaves no duplicate.
    let mut taken = used;
    let mut new = None;
    for i in flagged {
        let Some(own) = members.iter().find(|m| m.0 == i).and_then(|m| m.1) else {
            continue;
        };
        let next = free_number(&taken, own, 0)?;
        taken.insert(next);
        if i == me {
            new = Some(next);
            break;
        }
    }
    let new = new?;
    let shared = members.iter().filter(|m| m.2.loc == alt.loc).count();
    let applicability = if is_own_literal(unit, alt, &n.to_string(), shared) {
        Applicability::Safe
    } else {
        Applicability::DisplayOnly
    };
    let (edit_alt, old) = match (&alt.origin, applicability) {
        // A value from elsewhere is shown changed where it is written.
        (Some(o), Applicability::DisplayOnly) => {
            let at = o.at.filter(|_| !o.used)?;
            (
                Alt {
                    loc: at,
                    ..alt.clone()
                },
                n.to_string(),
            )
        }
        _ => (alt.clone(), n.to_string()),
    };
    let edit = replace_value(unit, &edit_alt, &old, &new.to_string())?;
    Some(Fix {
        description: format!("use {what} {new}, the next one free"),
        applicability,
        edits: vec![edit],
    })
}

fn next_session_number(unit: &Unit, index: usize, alt_index: usize) -> Option<Fix> {
    if unit.sessions.len() > MAX_GROUP {
        return None;
    }
    let s = unit.sessions.get(index)?;
    let alt = s.session_number.get(alt_index)?;
    // The group: sessions on the same interface (Alibaba Cloud: in the same region).
    let key = |x: &Session| -> Vec<String> {
        let field = if x.provider == Provider::Alicloud {
            &x.region
        } else {
            &x.network_interface_id
        };
        field.iter().filter_map(|a| identity(&a.val)).collect()
    };
    let mine: BTreeSet<String> = key(s).into_iter().collect();
    let members: Vec<(usize, Option<i64>, &Alt)> = unit
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, x)| {
            (x.provider == Provider::Alicloud) == (s.provider == Provider::Alicloud)
                && key(x).iter().any(|k| mine.contains(k))
        })
        .flat_map(|(i, x)| x.session_number.iter().map(move |a| (i, number(a), a)))
        .collect();
    let what = if s.provider == Provider::Alicloud {
        "priority"
    } else {
        "session number"
    };
    renumber(unit, alt, &members, index, what)
}

fn next_rule_number(unit: &Unit, index: usize, alt_index: usize) -> Option<Fix> {
    if unit.resources.len() > MAX_GROUP {
        return None;
    }
    let r = unit
        .resources
        .get(index_of(unit, Kind::FilterRule, index)?)?;
    let alt = r.field(Attr::RuleNumber).get(alt_index)?;
    let key = |x: &crate::model::graph::Resource| -> Vec<(String, String)> {
        let dirs: Vec<String> = x
            .field(Attr::TrafficDirection)
            .iter()
            .filter_map(|a| match &a.val {
                Val::Known(Json::String(d)) => Some(d.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        x.field(Attr::TrafficMirrorFilterId)
            .iter()
            .filter_map(|a| identity(&a.val))
            .flat_map(|f| dirs.iter().map(move |d| (f.clone(), d.clone())))
            .collect()
    };
    let mine: BTreeSet<(String, String)> = key(r).into_iter().collect();
    let rules: Vec<(usize, &crate::model::graph::Resource)> = unit
        .resources
        .iter()
        .filter(|x| x.kind == Kind::FilterRule)
        .enumerate()
        .filter(|(_, x)| key(x).iter().any(|k| mine.contains(k)))
        .collect();
    let members: Vec<(usize, Option<i64>, &Alt)> = rules
        .iter()
        .flat_map(|(i, x)| {
            x.field(Attr::RuleNumber)
                .iter()
                .map(move |a| (*i, number(a), a))
        })
        .collect();
    let limit = if r.provider == Provider::Alicloud {
        10
    } else {
        MAX_NUMBER
    };
    let mut fix = renumber(
        unit,
        alt,
        &members,
        index,
        if r.provider == Provider::Alicloud {
            "priority"
        } else {
            "rule number"
        },
    )?;
    // A rule's number is its place in the evaluation order: another number may let another
    // rule match first, so this is never applied without --unsafe-fixes.
    if fix.applicability == Applicability::Safe {
        fix.applicability = Applicability::Unsafe;
    }
    // Alibaba Cloud priorities stop at 10.
    let within = fix
        .edits
        .first()
        .and_then(|e| e.replacement.parse::<i64>().ok())
        .is_some_and(|n| n <= limit);
    within.then_some(fix)
}

/// The index in `unit.resources` of the `n`-th resource of a kind (as the rule input
/// numbers them).
fn index_of(unit: &Unit, kind: Kind, n: usize) -> Option<usize> {
    unit.resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == kind)
        .nth(n)
        .map(|(i, _)| i)
}

/// Removes a property line (`PacketLength: 9001`, `packet_length = 9001`,
/// `"PacketLength": 9001,`): unsafe, since leaving a property out has its own meaning.
fn remove_session_property(unit: &Unit, index: usize, field: String, rule: &str) -> Option<Fix> {
    let s = unit.sessions.get(index)?;
    let prop = Prop::ALL.into_iter().find(|p| p.input_name() == field)?;
    let alts = s.field(prop);
    let [alt] = alts.as_slice() else {
        return None; // one branch of several: removing it removes the others too
    };
    if unit.format == Format::Stackql || !alt.when.is_empty() || alt.origin.is_some() {
        return None;
    }
    // Only a literal is removed: an expression says what someone computed on purpose.
    let literal = match &alt.val {
        Val::Known(v) => v.to_string(),
        _ => return None,
    };
    let same =
        |(_, t): (Location, &str)| t.trim().trim_matches(['"', '\'']) == literal.trim_matches('"');
    if !written(unit, alt).is_some_and(same) {
        return None;
    }
    let edit = delete_line(unit, alt, prop)?;
    let description = match rule {
        "MG002" => "remove the packet length: whole packets are mirrored",
        _ => "remove the VNI: AWS assigns one",
    };
    Some(Fix {
        description: description.into(),
        applicability: Applicability::Unsafe,
        edits: vec![edit],
    })
}

/// The edit deleting the line that holds only `key: value` for `alt`.
fn delete_line(unit: &Unit, alt: &Alt, prop: Prop) -> Option<Edit> {
    let source = unit.files.get(alt.loc.file)?;
    let text: &str = &source.text;
    let start = text
        .get(..alt.loc.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(alt.loc.span.end..)?
        .find('\n')
        .map_or(text.len(), |i| alt.loc.span.end + i);
    let end = if line_end < text.len() {
        line_end + 1
    } else {
        line_end
    };
    let before = text.get(start..alt.loc.span.start)?;
    let after = text
        .get(alt.loc.span.end..line_end)?
        .trim_end_matches('\r')
        .trim();
    // The line is `<key><sep><value><,>?`: nothing else may be on it.
    let key: String = before
        .trim()
        .trim_end_matches([':', '='])
        .trim()
        .trim_matches(['"', '\''])
        .chars()
        .filter(|c| *c != '_')
        .collect();
    let wanted: String = prop.input_name().chars().filter(|c| *c != '_').collect();
    // A comment after the value goes with its line.
    let comment = after.starts_with('#') || after.starts_with("//");
    if !key.eq_ignore_ascii_case(&wanted) || !(after.is_empty() || after == "," || comment) {
        return None;
    }
    let mut span = crate::source::Span::new(start, end);
    // JSON: the last member's comma moves to the member before it.
    if source.display.ends_with(".json") && after.is_empty() {
        let prev = text.get(..start)?.trim_end();
        if prev.ends_with(',') {
            span = crate::source::Span::new(prev.len() - 1, end.saturating_sub(0));
            let kept = text.get(prev.len()..start)?;
            return Some(Edit {
                location: Location::new(source.clone(), span),
                replacement: kept.to_owned(),
            });
        }
    }
    Some(Edit {
        location: Location::new(source.clone(), span),
        replacement: String::new(),
    })
}

fn target_type_case(unit: &Unit, index: usize, alt_index: usize) -> Option<Fix> {
    let alt = unit.sessions.get(index)?.target_type.get(alt_index)?;
    let Val::Known(Json::String(v)) = &alt.val else {
        return None;
    };
    let right = ["NetworkInterface", "SLB"]
        .into_iter()
        .find(|r| r.eq_ignore_ascii_case(v))?;
    Some(Fix {
        description: format!("write {right}"),
        applicability: if alt.origin.is_none() {
            Applicability::Safe
        } else {
            Applicability::DisplayOnly
        },
        edits: vec![replace_value(unit, alt, v, right)?],
    })
}

fn swap_ports(unit: &Unit, index: usize, field: String, alt_index: usize) -> Option<Fix> {
    let r = unit
        .resources
        .get(index_of(unit, Kind::FilterRule, index)?)?;
    let (from_attr, to_attr) = match field.as_str() {
        "source_port_range.from_port" => (Attr::SourceFromPort, Attr::SourceToPort),
        "destination_port_range.from_port" => (Attr::DestinationFromPort, Attr::DestinationToPort),
        _ => return None,
    };
    let from = r.field(from_attr).get(alt_index)?;
    let [to] = r.field(to_attr) else { return None };
    let (f, t) = (number(from)?, number(to)?);
    // Alibaba writes both ends in one string: no swap of separate values.
    if from.loc == to.loc
        || f <= t
        || !is_own_literal(unit, from, &f.to_string(), 1)
        || !is_own_literal(unit, to, &t.to_string(), 1)
    {
        return None;
    }
    Some(Fix {
        description: format!("swap the range to {t}-{f}"),
        applicability: Applicability::Unsafe,
        edits: vec![
            replace_value(unit, from, &f.to_string(), &t.to_string())?,
            replace_value(unit, to, &t.to_string(), &f.to_string())?,
        ],
    })
}

fn network_address(unit: &Unit, index: usize, field: String, alt_index: usize) -> Option<Fix> {
    let r = unit
        .resources
        .get(index_of(unit, Kind::FilterRule, index)?)?;
    let attr = match field.as_str() {
        "source_cidr_block" => Attr::SourceCidrBlock,
        "destination_cidr_block" => Attr::DestinationCidrBlock,
        _ => return None,
    };
    let alt = r.field(attr).get(alt_index)?;
    let Val::Known(Json::String(v)) = &alt.val else {
        return None;
    };
    let c = crate::model::input::cidr(v).ok()?;
    if c.network {
        return None; // an invalid or mixed-family block has no single right answer
    }
    Some(Fix {
        description: format!("write the network address {}", c.canonical),
        applicability: if is_own_literal(unit, alt, v, 1) {
            Applicability::Safe
        } else {
            Applicability::DisplayOnly
        },
        edits: vec![replace_value(unit, alt, v, &c.canonical)?],
    })
}

fn network_service_case(unit: &Unit, index: usize, alt_index: usize) -> Option<Fix> {
    let f = unit.resources.get(index_of(unit, Kind::Filter, index)?)?;
    let alt = f.field(Attr::NetworkServices).get(alt_index)?;
    let Val::Known(Json::Array(items)) = &alt.val else {
        return None;
    };
    let wrong: Vec<&str> = items
        .iter()
        .filter_map(Json::as_str)
        .filter(|s| *s != "amazon-dns")
        .collect();
    let [one] = wrong.as_slice() else { return None };
    if !one.eq_ignore_ascii_case("amazon-dns") || alt.origin.is_some() {
        return None;
    }
    Some(Fix {
        description: "write amazon-dns".into(),
        applicability: Applicability::Safe,
        edits: vec![replace_value(unit, alt, one, "amazon-dns")?],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_numbers_skip_the_used_ones() {
        let used = BTreeSet::from([1, 2, 4]);
        assert_eq!(free_number(&used, 1, 0), Some(3));
        assert_eq!(free_number(&used, 1, 1), Some(5));
        assert_eq!(free_number(&used, 4, 0), Some(5));
    }

    #[test]
    fn paths_name_collection_index_field_and_alternative() {
        let p = serde_json::json!(["filter_rules", 2, "destination_port_range", "from_port", 0]);
        let parsed = parse_path(p.as_array().map(Vec::as_slice).unwrap_or(&[]));
        assert_eq!(
            parsed,
            Some((
                "filter_rules",
                2,
                "destination_port_range.from_port".to_owned(),
                0
            ))
        );
    }
}
