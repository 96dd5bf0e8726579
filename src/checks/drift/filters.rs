//! Drift of filters and their rules (MG101-MG103). A declared filter is matched to a live one
//! through a matched session (the live session's filter is the declared session's filter) or
//! the id Terraform state records for its address. Rules are matched within a filter by
//! direction and rule number: a declared rule with no live one is MG101, a live rule nothing
//! declares is MG102, a rule whose action, protocol, CIDR blocks or ports differ is MG103.
//! A rule whose direction or number is unknown is not matched (skipped, with the reason), and
//! then no live rule of that filter is called unmanaged.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::diff::{DriftResult, Matching, as_text as text, literal, located};
use super::live::LiveSession;
use super::live_filters::{LiveFilter, LiveRule};
use crate::model::graph::{Attr, Kind, Resource};
use crate::model::{Unit, Val};
use crate::report::{Finding, Location, Related, Skipped, stable_hash};
use crate::rules::{RuleMeta, RuleSet};

/// A declared rule's key: (direction, number), or why it cannot be matched.
fn rule_key(r: &Resource) -> Result<(String, i64), String> {
    let direction = literal(r.field(Attr::TrafficDirection))
        .and_then(Json::as_str)
        .map(str::to_ascii_lowercase);
    let number = literal(r.field(Attr::RuleNumber)).and_then(Json::as_i64);
    match (direction, number) {
        (Some(d), Some(n)) => Ok((d, n)),
        _ => Err(format!(
            "the direction or rule number of {} is not a known literal",
            r.address
        )),
    }
}

fn describe(l: &LiveRule) -> String {
    let proto = l
        .protocol
        .map_or_else(|| "all".to_owned(), |p| p.to_string());
    format!(
        "{} {} rule {} ({}, protocol {proto}, {} → {})",
        l.rule_action,
        l.direction,
        l.rule_number
            .map_or_else(|| "?".to_owned(), |n| n.to_string()),
        l.id,
        l.source_cidr_block,
        l.destination_cidr_block
    )
}

/// A finding before its rule's metadata is applied.
struct Draft {
    message: String,
    location: Option<Location>,
    address: String,
    property: &'static str,
    related: Vec<Related>,
    /// What identifies it across runs (for the fingerprint).
    key: Vec<String>,
}

struct Cx<'a> {
    rules: &'a RuleSet,
    out: &'a mut DriftResult,
}

impl Cx<'_> {
    fn finding(&mut self, id: &str, d: Draft) {
        let Some(m): Option<&RuleMeta> = self.rules.find_meta(id) else {
            return;
        };
        let mut parts: Vec<&str> = vec![m.id.as_str()];
        parts.extend(d.key.iter().map(String::as_str));
        self.out.findings.push(Finding {
            rule_id: m.id.clone(),
            severity: m.severity,
            fingerprint: stable_hash(&parts),
            message: d.message,
            location: d.location,
            address: d.address,
            property: d.property.to_owned(),
            related: d.related,
            suppression: None,
            fix: None,
            scope: None,
        });
    }

    fn skip(
        &mut self,
        unit: &Unit,
        loc: crate::model::Loc,
        address: &str,
        property: &str,
        reason: String,
        rules: &[&str],
    ) {
        if let Some(location) = located(unit, loc) {
            self.out.skipped.push(Skipped {
                location,
                address: address.to_owned(),
                property: property.to_owned(),
                reason,
                rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            });
        }
    }
}

/// Compares the declared filters of matched sessions with the live filters.
pub(crate) fn compare_filters(
    units: &[Unit],
    live_sessions: &[LiveSession],
    live_filters: &[LiveFilter],
    matching: &Matching,
    rules: &RuleSet,
    out: &mut DriftResult,
) {
    let by_id: BTreeMap<&str, &LiveFilter> =
        live_filters.iter().map(|f| (f.id.as_str(), f)).collect();
    // (unit, declared filter) → live filter id.
    let mut pairs: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for (ui, unit) in units.iter().enumerate() {
        for (ri, r) in unit.resources.iter().enumerate() {
            if r.kind == Kind::Filter
                && let Some(id) = matching.state_ids.get(&r.address)
            {
                pairs.insert((ui, ri), id.clone());
            }
        }
    }
    let mut links = BTreeMap::new();
    for &(ui, si, li) in &out.pairs {
        let (Some(unit), Some(live)) = (units.get(ui), live_sessions.get(li)) else {
            continue;
        };
        let l = links.entry(ui).or_insert_with(|| unit.links());
        for link in l.session_filter.get(si).into_iter().flatten() {
            pairs
                .entry((ui, link.resource))
                .or_insert_with(|| live.traffic_mirror_filter_id.clone());
        }
    }
    let mut cx = Cx { rules, out };
    for ((ui, fi), live_id) in pairs {
        let (Some(unit), Some(filter)) = (
            units.get(ui),
            units.get(ui).and_then(|u| u.resources.get(fi)),
        ) else {
            continue;
        };
        let Some(live) = by_id.get(live_id.as_str()) else {
            // The live filter was not read (a sessions-only output, AWS Config, which does not
            // record filter rules): its rules are not compared, and the report says so.
            cx.skip(
                unit,
                filter.loc,
                &filter.address,
                "rules",
                format!(
                    "the rules of live filter {live_id} were not read (AWS Config does not record them): give `aws ec2 describe-traffic-mirror-filters` output with --live-file, or read the EC2 API"
                ),
                &["MG101", "MG102", "MG103"],
            );
            continue;
        };
        let l = links.entry(ui).or_insert_with(|| unit.links());
        let declared: Vec<usize> = l.filter_rules.get(&fi).cloned().unwrap_or_default();
        let rules_unknown = l.rules_unknown.clone();
        compare_one(&mut cx, unit, filter, live, &declared, rules_unknown);
    }
}

fn compare_one(
    cx: &mut Cx<'_>,
    unit: &Unit,
    filter: &Resource,
    live: &LiveFilter,
    declared: &[usize],
    rules_unknown: Option<String>,
) {
    let mut complete = rules_unknown.is_none();
    let mut claimed = vec![false; live.rules.len()];
    for &ri in declared {
        let Some(rule) = unit.resources.get(ri) else {
            continue;
        };
        if rule.repeated.is_some() || !rule.conditions.is_empty() {
            complete = false;
            continue;
        }
        let key = match rule_key(rule) {
            Ok(k) => k,
            Err(why) => {
                complete = false;
                cx.skip(
                    unit,
                    rule.loc,
                    &rule.address,
                    "rule_number",
                    why,
                    &["MG101", "MG103"],
                );
                continue;
            }
        };
        let found =
            live.rules.iter().enumerate().find(|(i, l)| {
                !claimed[*i] && l.direction == key.0 && l.rule_number == Some(key.1)
            });
        let at = rule
            .field(Attr::RuleNumber)
            .first()
            .map_or(rule.loc, |a| a.loc);
        match found {
            None => cx.finding(
                "MG101",
                Draft {
                    message: format!(
                        "filter rule {} ({} {}) is declared but live filter {} has no such rule",
                        rule.address, key.0, key.1, live.id
                    ),
                    location: located(unit, at),
                    address: rule.address.clone(),
                    property: "rule_number",
                    related: Vec::new(),
                    key: vec![unit.name.clone(), rule.address.clone()],
                },
            ),
            Some((i, l)) => {
                claimed[i] = true;
                compare_rule(cx, unit, rule, l, &live.id);
            }
        }
    }
    // Network services.
    if let Some(Json::Array(items)) = literal(filter.field(Attr::NetworkServices)) {
        let mut declared: Vec<String> = items.iter().map(text).collect();
        declared.sort();
        let mut live_services = live.network_services.clone();
        live_services.sort();
        if declared != live_services {
            let at = filter
                .field(Attr::NetworkServices)
                .first()
                .map_or(filter.loc, |a| a.loc);
            cx.finding(
                "MG103",
                Draft {
                    message: format!(
                        "filter {}: network_services is [{}] here but [{}] live ({})",
                        filter.address,
                        declared.join(", "),
                        live_services.join(", "),
                        live.id
                    ),
                    location: located(unit, at),
                    address: filter.address.clone(),
                    property: "network_services",
                    related: Vec::new(),
                    key: vec![
                        unit.name.clone(),
                        filter.address.clone(),
                        "network_services".into(),
                    ],
                },
            );
        }
    }
    if !complete {
        if live.rules.iter().zip(&claimed).any(|(_, c)| !c) {
            cx.skip(
                unit,
                filter.loc,
                &filter.address,
                "rules",
                rules_unknown.unwrap_or_else(|| {
                    format!(
                        "some rules of {} are not known, so live rules are not called unmanaged",
                        filter.address
                    )
                }),
                &["MG102"],
            );
        }
        return;
    }
    for (l, claimed) in live.rules.iter().zip(claimed) {
        if claimed {
            continue;
        }
        let location = l
            .origin
            .as_ref()
            .map(|o| Location::new(o.source.clone(), o.span))
            .or_else(|| located(unit, filter.loc));
        let related = located(unit, filter.loc)
            .map(|loc| Related {
                location: loc,
                message: format!("{} declares the filter's rules", filter.address),
            })
            .into_iter()
            .collect();
        cx.finding(
            "MG102",
            Draft {
                message: format!("live {} of filter {} is not declared", describe(l), live.id),
                location,
                address: format!("{} ({})", l.id, live.id),
                property: "filter_rule",
                related,
                key: vec![live.region.clone(), live.id.clone(), l.id.clone()],
            },
        );
    }
}

fn compare_rule(cx: &mut Cx<'_>, unit: &Unit, rule: &Resource, l: &LiveRule, filter_id: &str) {
    let diff = |cx: &mut Cx<'_>, attr: Attr, declared: Option<String>, live: String| {
        let alts = rule.field(attr);
        if alts
            .iter()
            .any(|a| !matches!(a.val, Val::Known(_) | Val::Absent))
        {
            let at = alts.first().map_or(rule.loc, |a| a.loc);
            let why = format!(
                "{} of {} is not known before deployment",
                attr.input_name(),
                rule.address
            );
            cx.skip(unit, at, &rule.address, attr.input_name(), why, &["MG103"]);
            return;
        }
        let Some(declared) = declared else { return };
        if declared == live {
            return;
        }
        let at = alts.first().map_or(rule.loc, |a| a.loc);
        cx.finding(
            "MG103",
            Draft {
                message: format!(
                    "filter rule {}: {} is {declared} here but {live} live (rule {} of {filter_id})",
                    rule.address,
                    attr.input_name(),
                    l.id
                ),
                location: located(unit, at),
                address: rule.address.clone(),
                property: attr.input_name(),
                related: Vec::new(),
                key: vec![unit.name.clone(), rule.address.clone(), attr.input_name().into()],
            },
        );
    };
    let lit = |attr: Attr| literal(rule.field(attr)).map(text);
    let set = |attr: Attr| !rule.field(attr).iter().all(|a| a.val == Val::Absent);
    diff(
        cx,
        Attr::RuleAction,
        lit(Attr::RuleAction).map(|s| s.to_ascii_lowercase()),
        l.rule_action.clone(),
    );
    let protocol =
        literal(rule.field(Attr::Protocol)).and_then(crate::model::input::protocol_number);
    if set(Attr::Protocol) || l.protocol.is_some() {
        diff(
            cx,
            Attr::Protocol,
            Some(protocol.map_or_else(|| "all".to_owned(), |p| p.to_string())),
            l.protocol
                .map_or_else(|| "all".to_owned(), |p| p.to_string()),
        );
    }
    let cidr = |s: String| crate::model::input::cidr(&s).map_or(s, |c| c.canonical);
    diff(
        cx,
        Attr::SourceCidrBlock,
        lit(Attr::SourceCidrBlock).map(cidr),
        cidr(l.source_cidr_block.clone()),
    );
    diff(
        cx,
        Attr::DestinationCidrBlock,
        lit(Attr::DestinationCidrBlock).map(cidr),
        cidr(l.destination_cidr_block.clone()),
    );
    for (from, to, live) in [
        (Attr::SourceFromPort, Attr::SourceToPort, l.source_ports),
        (
            Attr::DestinationFromPort,
            Attr::DestinationToPort,
            l.destination_ports,
        ),
    ] {
        let declared = match (lit(from), lit(to)) {
            (Some(f), Some(t)) => Some(format!("{f}-{t}")),
            (None, None) if !set(from) && !set(to) => Some("all".to_owned()),
            _ => None,
        };
        let live = live.map_or_else(|| "all".to_owned(), |(f, t)| format!("{f}-{t}"));
        diff(cx, from, declared, live);
    }
}
