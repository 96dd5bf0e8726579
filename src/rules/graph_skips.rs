//! Checks of the mirror graph that unknown values hide, listed as skipped: a filter rule
//! value without a literal, an instance type the table does not know (where it matters: the
//! instance is behind a session's source or a target), rules that may belong to a filter
//! mirrorguard cannot see.

use std::collections::BTreeMap;

use super::RuleSet;
use crate::model::graph::{Attr, Kind, Resource};
use crate::model::instance_types::{Eligibility, table};
use crate::model::links::Links;
use crate::model::{Alt, Loc, Unit, Val};
use crate::report::{Location, Skipped};

/// Attributes whose checks compare identities, not literals: a reference hides nothing.
fn by_identity(attr: Attr) -> bool {
    matches!(
        attr,
        Attr::TrafficMirrorFilterId
            | Attr::NetworkInterfaceId
            | Attr::InstanceId
            | Attr::NetworkLoadBalancerArn
            | Attr::GatewayLoadBalancerEndpointId
    )
}

fn why_unknown(attr: Attr, alt: &Alt) -> Option<String> {
    match &alt.val {
        Val::Unknown(why) => Some(why.clone()),
        Val::Symbol { why, .. } if !by_identity(attr) => Some(why.clone()),
        _ => None,
    }
}

fn note(
    unit: &Unit,
    loc: Loc,
    address: &str,
    property: &str,
    reason: String,
    rules: Vec<String>,
) -> Option<Skipped> {
    Some(Skipped {
        location: Location::new(unit.files.get(loc.file)?.clone(), loc.span),
        address: address.to_owned(),
        property: property.to_owned(),
        reason,
        rules,
    })
}

/// Every skipped check of the unit's graph.
pub(crate) fn graph_skips(rules: &RuleSet, unit: &Unit, links: &Links) -> Vec<Skipped> {
    let mut out = Vec::new();
    let hidden_by = |input: &str| -> Vec<String> {
        rules
            .rego_rules()
            .filter(|r| r.meta.inputs.iter().any(|i| i == input))
            .map(|r| r.meta.id.clone())
            .collect()
    };
    // Instances behind a source interface or a target, and what each needs of its type.
    let mut needed: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for l in links.session_instance.iter().flatten() {
        needed.entry(l.instance).or_default().push("MG014");
    }
    for l in links.target_instance.values().flatten() {
        needed.entry(l.instance).or_default().push("MG022");
    }
    for (i, r) in unit.resources.iter().enumerate() {
        if r.kind == Kind::Instance {
            let wanted = needed.get(&i).map_or(&[][..], Vec::as_slice);
            out.extend(instance_type_skips(rules, unit, r, wanted));
            continue;
        }
        for (attr, alts) in &r.fields {
            let input = format!("{}.{}", r.kind.input_name(), attr.input_name());
            let mut hidden = hidden_by(&input);
            // A filter's network services decide MG021 only for a filter without rules.
            if *attr == Attr::NetworkServices
                && links.filter_rules.get(&i).is_some_and(|rs| !rs.is_empty())
            {
                hidden.retain(|id| id != "MG021");
            }
            if hidden.is_empty() {
                continue;
            }
            for alt in alts {
                if let Some(reason) = why_unknown(*attr, alt) {
                    out.extend(note(
                        unit,
                        alt.loc,
                        &r.address,
                        attr.input_name(),
                        reason,
                        hidden.clone(),
                    ));
                }
            }
        }
    }
    out.extend(uncertain_rule_counts(rules, unit));
    out.extend(live_skips(rules, unit, links));
    if rules.find("MG021").is_some()
        && let Some(why) = &links.rules_unknown
    {
        for (s, ls) in unit.sessions.iter().zip(&links.session_filter) {
            for l in ls {
                let empty = links
                    .filter_rules
                    .get(&l.resource)
                    .is_none_or(Vec::is_empty);
                let (Some(alt), Some(f)) = (
                    s.traffic_mirror_filter_id.get(l.alt),
                    unit.resources.get(l.resource),
                ) else {
                    continue;
                };
                if empty {
                    out.extend(note(
                        unit,
                        alt.loc,
                        &s.address,
                        "traffic_mirror_filter_id",
                        format!(
                            "MG021 not checked: filter {} declares no rule here, but {why}",
                            f.address
                        ),
                        vec!["MG021".into()],
                    ));
                }
            }
        }
    }
    out
}

/// An instance type that hides MG014 or MG022: unknown, or not in the table.
fn instance_type_skips(
    rules: &RuleSet,
    unit: &Unit,
    r: &Resource,
    wanted: &[&str],
) -> Vec<Skipped> {
    let mut out = Vec::new();
    let on: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|id| rules.find(id).is_some())
        .collect();
    for alt in r.field(Attr::InstanceType) {
        let mut hidden = Vec::new();
        let mut reason = String::new();
        match &alt.val {
            Val::Known(v) => {
                let ty = v.as_str().unwrap_or_default();
                if on.contains(&"MG014")
                    && let Eligibility::Unknown(why) = table().source_support(ty)
                {
                    hidden.push("MG014".to_owned());
                    reason = why;
                }
                if on.contains(&"MG022")
                    && let Err(why) = table().sources_per_target(ty)
                {
                    hidden.push("MG022".to_owned());
                    reason = why;
                }
            }
            Val::Unknown(why) | Val::Symbol { why, .. } => {
                hidden.extend(on.iter().map(|s| (*s).to_owned()));
                reason.clone_from(why);
            }
            Val::Absent => {}
        }
        hidden.dedup();
        if !hidden.is_empty() {
            out.extend(note(
                unit,
                alt.loc,
                &r.address,
                "instance_type",
                reason,
                hidden,
            ));
        }
    }
    out
}

/// MG019 counts only rules that certainly exist: a filter whose certain rules are within
/// the limit, but that has rules under a condition or an unresolved `count`, may still be
/// over it.
fn uncertain_rule_counts(rules: &RuleSet, unit: &Unit) -> Vec<Skipped> {
    if rules.find("MG019").is_none() {
        return Vec::new();
    }
    let mut certain: BTreeMap<String, usize> = BTreeMap::new();
    let mut uncertain: BTreeMap<String, &Resource> = BTreeMap::new();
    for r in unit.resources.iter().filter(|r| r.kind == Kind::FilterRule) {
        for alt in r.field(Attr::TrafficMirrorFilterId) {
            let Some(key) = crate::model::identity(&alt.val) else {
                continue;
            };
            if r.repeated.is_none() && r.conditions.is_empty() && alt.when.is_empty() {
                *certain.entry(key).or_default() += 1;
            } else {
                uncertain.entry(key).or_insert(r);
            }
        }
    }
    let mut out = Vec::new();
    for (key, r) in uncertain {
        let n = certain.get(&key).copied().unwrap_or(0);
        if n > 10 {
            continue; // already reported
        }
        let why = r
            .repeated
            .clone()
            .unwrap_or_else(|| "its rules exist only under conditions".to_owned());
        out.extend(note(
            unit,
            r.loc,
            &r.address,
            "traffic_mirror_filter_id",
            format!(
                "MG019 not checked: the filter has {n} rules for certain, and {} may add more ({why})",
                r.address
            ),
            vec!["MG019".into()],
        ));
    }
    out
}

/// Preflight checks the live facts could not decide: an id a listing did not cover (paged
/// or filtered), and VPCs that differ when the peering or transit gateway facts are missing.
fn live_skips(rules: &RuleSet, unit: &Unit, links: &Links) -> Vec<Skipped> {
    let Some(live) = &unit.live else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if rules.find("MG023").is_some() {
        for s in unit.declared_sessions() {
            for (prop, alts) in s.fields() {
                for alt in alts {
                    let Val::Known(serde_json::Value::String(id)) = &alt.val else {
                        continue;
                    };
                    let kind = match crate::model::input::ec2_id_kind(id) {
                        Some("eni") if prop == crate::model::Prop::NetworkInterfaceId => {
                            "interface"
                        }
                        Some("tmt") if prop == crate::model::Prop::TrafficMirrorTargetId => {
                            "target"
                        }
                        Some("tmf") if prop == crate::model::Prop::TrafficMirrorFilterId => {
                            "filter"
                        }
                        _ => continue,
                    };
                    if let Some(listing) = live.listings.get(kind)
                        && !listing.ids.contains(id)
                        && !listing.lacks(id)
                    {
                        out.extend(note(
                            unit,
                            alt.loc,
                            &s.address,
                            prop.input_name(),
                            format!("MG023 not checked: the live {kind} listing ({}) was paged or filtered and does not cover {id}", live.source),
                            vec!["MG023".into()],
                        ));
                    }
                }
            }
        }
    }
    if rules.find("MG024").is_some() && (live.peerings.is_none() || live.tgw_attachments.is_none())
    {
        for (i, s) in unit.sessions.iter().enumerate().filter(|(_, s)| !s.live) {
            let src = s.network_interface_id.iter().find_map(|a| match &a.val {
                Val::Known(serde_json::Value::String(e)) => live.interface_vpcs.get(e),
                _ => None,
            });
            for l in links.session_target.get(i).into_iter().flatten() {
                let dst = unit.resources.get(l.resource).and_then(|t| {
                    t.field(Attr::NetworkInterfaceId)
                        .iter()
                        .find_map(|a| match &a.val {
                            Val::Known(serde_json::Value::String(e)) => live.interface_vpcs.get(e),
                            _ => None,
                        })
                });
                if let (Some(src), Some(dst), Some(alt)) =
                    (src, dst, s.traffic_mirror_target_id.get(l.alt))
                    && src != dst
                {
                    out.extend(note(
                        unit,
                        alt.loc,
                        &s.address,
                        "traffic_mirror_target_id",
                        format!("MG024 not checked: the source is in {src} and the target in {dst}, and without describe-vpc-peering-connections and describe-transit-gateway-vpc-attachments outputs it is not known whether they are joined"),
                        vec!["MG024".into()],
                    ));
                }
            }
        }
    }
    out
}
