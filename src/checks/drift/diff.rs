//! Declared sessions against live ones: matching, then per-property comparison.
//!
//! Matching, in this order: the id Terraform state records for the resource address; the
//! CloudFormation tags `aws:cloudformation:stack-name` + `aws:cloudformation:logical-id`
//! (with `--stack-name`); then the natural key, source ENI + session number, when both are
//! known literals. A declaration whose identifying values are unknown is not matched and not
//! reported missing: it is listed as skipped, never guessed.
//!
//! Comparison only looks at what the declaration sets. Values AWS fills in when a property is
//! left out (a random VNI, packet length 8500 on NLB targets, an empty description) are not
//! drift, and neither are unknown declared values (skipped, with the reason).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::live::LiveSession;
use crate::model::{Alt, Format, Session, Unit, Val};
use crate::report::{Finding, Location, Related, Skipped, stable_hash};
use crate::rules::{RuleMeta, RuleSet};

/// How declarations are matched to live sessions.
#[derive(Debug, Clone, Default)]
pub struct Matching {
    /// Session ids from Terraform state, by resource address.
    pub state_ids: BTreeMap<String, String>,
    /// CloudFormation stack name whose tags identify declared sessions.
    pub stack_name: Option<String>,
    /// Accounts audited; live sessions owned by others are not "unmanaged". `None`: all.
    pub accounts: Option<BTreeSet<String>>,
    /// Why the live view is incomplete (a region or file that failed): then no declaration
    /// is reported missing, since it may live where the read failed.
    pub incomplete: Option<String>,
    /// Where findings about live sessions read from the API point (SARIF needs a place):
    /// the configuration file, else the first declared file.
    pub fallback: Option<Location>,
    /// Inventory items captured before this time (Unix seconds) are too old to compare
    /// (`--max-age`), with how the limit was written.
    pub stale_before: Option<(i64, String)>,
}

impl Matching {
    /// Why a live session is too old to compare, when it is.
    fn stale(&self, l: &LiveSession) -> Option<String> {
        let (cutoff, max_age) = self.stale_before.as_ref()?;
        let captured = l.captured.as_deref()?;
        match super::inventory::epoch_seconds(captured) {
            Some(t) if t >= *cutoff => None,
            Some(_) => Some(format!(
                "AWS Config captured {} at {captured}, longer ago than --max-age {max_age}",
                l.id
            )),
            None => Some(format!(
                "AWS Config gave {} a capture time that is not a time ({captured}), so its age is unknown",
                l.id
            )),
        }
    }
}

/// ` (AWS Config captured it at …)` for an inventory item, else nothing.
fn captured_note(l: &LiveSession) -> String {
    l.captured
        .as_deref()
        .map(|t| format!(" (AWS Config captured it at {t})"))
        .unwrap_or_default()
}

/// What a comparison found.
#[derive(Debug, Default)]
pub(crate) struct DriftResult {
    /// MG101-MG103 findings.
    pub findings: Vec<Finding>,
    /// Comparisons that could not be made.
    pub skipped: Vec<Skipped>,
    /// Declared sessions matched to a live one.
    pub matched: usize,
    /// (unit, session, live session) of every match.
    pub pairs: Vec<(usize, usize, usize)>,
    /// What to do about what was found.
    pub plan: super::remediation::RemediationPlan,
}

fn meta<'a>(rules: &'a RuleSet, id: &str) -> Option<&'a RuleMeta> {
    rules.find_meta(id)
}

pub(super) fn located(unit: &Unit, loc: crate::model::Loc) -> Option<Location> {
    unit.files
        .get(loc.file)
        .map(|f| Location::new(f.clone(), loc.span))
}

/// The single literal of a field, when every alternative agrees on it.
pub(super) fn literal(alts: &[Alt]) -> Option<&Json> {
    let mut known = alts.iter().map(|a| match &a.val {
        Val::Known(v) => Some(v),
        _ => None,
    });
    let first = known.next()??;
    known.all(|v| v == Some(first)).then_some(first)
}

pub(super) fn as_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares declared units with live sessions.
pub(crate) fn compare(
    units: &[Unit],
    live: &[LiveSession],
    matching: &Matching,
    rules: &RuleSet,
) -> DriftResult {
    let mut out = DriftResult::default();
    let mut claimed = vec![false; live.len()];
    for (ui, unit) in units.iter().enumerate() {
        for (si, s) in unit.sessions.iter().enumerate() {
            if s.partial {
                continue; // a modify request declares a change, not a session
            }
            match find_live(unit, s, live, matching, &claimed) {
                Ok(Some(i)) => {
                    claimed[i] = true;
                    out.matched += 1;
                    out.pairs.push((ui, si, i));
                    if let Some(why) = matching.stale(&live[i]) {
                        if let Some(loc) = located(unit, s.loc) {
                            out.skipped.push(Skipped {
                                location: loc,
                                address: s.address.clone(),
                                property: "session".into(),
                                reason: why,
                                rules: vec!["MG103".into()],
                            });
                        }
                        continue;
                    }
                    let before = out.findings.len();
                    compare_properties(unit, s, &live[i], rules, &mut out);
                    if out.findings.len() > before {
                        let redactor = unit.redactor();
                        let note = captured_note(&live[i]);
                        for f in out.findings.iter_mut().skip(before) {
                            f.message = redactor.apply(&f.message) + &note;
                        }
                    }
                }
                Ok(None) if matching.incomplete.is_some() => {
                    if let Some(loc) = located(unit, s.loc) {
                        out.skipped.push(Skipped {
                            location: loc,
                            address: s.address.clone(),
                            property: "session".into(),
                            reason: format!(
                                "no live session matches it, but {}",
                                matching.incomplete.as_deref().unwrap_or("")
                            ),
                            rules: vec!["MG101".into()],
                        });
                    }
                }
                Ok(None) => {
                    out.plan.missing.push((s.address.clone(), unit.format));
                    if let (Some(m), Some(loc)) = (meta(rules, "MG101"), located(unit, s.loc)) {
                        out.findings.push(finding(
                            m,
                            format!("{} is declared but no live session matches it", s.address),
                            loc,
                            &s.address,
                            "session",
                            Vec::new(),
                        ));
                    }
                }
                Err(why) => {
                    if let Some(loc) = located(unit, s.loc) {
                        out.skipped.push(Skipped {
                            location: loc,
                            address: s.address.clone(),
                            property: "session".into(),
                            reason: why,
                            rules: vec!["MG101".into(), "MG103".into()],
                        });
                    }
                }
            }
        }
    }
    if let Some(m) = meta(rules, "MG102") {
        let accounts = audited_accounts(matching, live, &claimed);
        if accounts.is_none()
            && live.iter().zip(&claimed).any(|(_, c)| !c)
            && let Some(loc) = &matching.fallback
        {
            out.skipped.push(Skipped {
                location: loc.clone(),
                address: "live sessions".into(),
                property: "owner".into(),
                reason: "the live sessions belong to several accounts and none is declared here; pass --account-id to say which account is audited".into(),
                rules: vec![m.id.clone()],
            });
        }
        for (l, claimed) in live.iter().zip(claimed) {
            let owned = accounts.as_ref().is_some_and(|a| a.contains(&l.owner_id));
            if claimed || !owned {
                continue;
            }
            let region = if l.region.is_empty() {
                "region not given: pass --region, or REGION=FILE to --live-file".to_owned()
            } else {
                l.region.clone()
            };
            let address = format!(
                "{} ({}, account {}, {region})",
                l.id, l.network_interface_id, l.owner_id,
            );
            // GitHub refuses a SARIF result without a physical location: the session's
            // place in the saved output, else the documented stand-in (the configuration).
            let location = match &l.origin {
                Some(o) => Some(Location::new(o.source.clone(), o.span)),
                None => matching.fallback.clone(),
            };
            if let Some(why) = matching.stale(l) {
                if let Some(loc) = location {
                    out.skipped.push(Skipped {
                        location: loc,
                        address,
                        property: "session".into(),
                        reason: why,
                        rules: vec![m.id.clone()],
                    });
                }
                continue;
            }
            out.plan.unmanaged.push(l.clone());
            out.findings.push(Finding {
                rule_id: m.id.clone(),
                severity: m.severity,
                message: format!(
                    "live session {} on {} (session number {}, account {}, {region}) is not declared anywhere{}",
                    l.id,
                    l.network_interface_id,
                    l.session_number
                        .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                    l.owner_id,
                    captured_note(l),
                ),
                fingerprint: stable_hash(&[&m.id, &l.owner_id, &l.region, &l.id]),
                location,
                address,
                property: "session".into(),
                related: Vec::new(),
                suppression: None,
                fix: None,
                scope: None,
            });
        }
    }
    out
}

/// The accounts whose sessions may be unmanaged: `--account-id` or the caller's; else the
/// one account that owns the declared sessions found live; else the one account that owns
/// every live session. `None` when that is not one account: then no session is reported
/// as unmanaged, since it may belong to someone else.
fn audited_accounts(
    matching: &Matching,
    live: &[LiveSession],
    claimed: &[bool],
) -> Option<BTreeSet<String>> {
    if let Some(a) = &matching.accounts {
        return Some(a.clone());
    }
    let owners = |only_claimed: bool| -> BTreeSet<String> {
        live.iter()
            .zip(claimed)
            .filter(|(l, c)| (!only_claimed || **c) && !l.owner_id.is_empty())
            .map(|(l, _)| l.owner_id.clone())
            .collect()
    };
    let claimed_owners = owners(true);
    if claimed_owners.len() == 1 {
        return Some(claimed_owners);
    }
    let all = owners(false);
    (claimed_owners.is_empty() && all.len() == 1).then_some(all)
}

/// The index of the live session a declaration matches; `Err` when it cannot be matched
/// because its identifying values are unknown.
fn find_live(
    unit: &Unit,
    s: &Session,
    live: &[LiveSession],
    matching: &Matching,
    claimed: &[bool],
) -> Result<Option<usize>, String> {
    let free = |i: &usize| !claimed[*i];
    if let Some(id) = matching.state_ids.get(&s.address) {
        return Ok((0..live.len()).filter(free).find(|&i| live[i].id == *id));
    }
    if let (Some(stack), Format::CloudFormation) = (&matching.stack_name, unit.format) {
        let tagged = (0..live.len()).filter(free).find(|&i| {
            live[i].tags.get("aws:cloudformation:stack-name") == Some(stack)
                && live[i].tags.get("aws:cloudformation:logical-id") == Some(&s.address)
        });
        if tagged.is_some() {
            return Ok(tagged);
        }
    }
    let eni = literal(&s.network_interface_id).map(as_text);
    let number = literal(&s.session_number).and_then(Json::as_i64);
    match (eni, number) {
        (Some(eni), Some(n)) => Ok((0..live.len())
            .filter(free)
            .find(|&i| live[i].network_interface_id == eni && live[i].session_number == Some(n))),
        _ => Err("its source interface or session number is not a known literal, and no state id or stack tags identify it".into()),
    }
}

fn finding(
    m: &RuleMeta,
    message: String,
    location: Location,
    address: &str,
    property: &str,
    related: Vec<Related>,
) -> Finding {
    Finding {
        rule_id: m.id.clone(),
        severity: m.severity,
        fingerprint: stable_hash(&[&m.id, location.file(), address, property]),
        message,
        location: Some(location),
        address: address.to_owned(),
        property: property.to_owned(),
        related,
        suppression: None,
        fix: None,
        scope: None,
    }
}

fn compare_properties(
    unit: &Unit,
    s: &Session,
    l: &LiveSession,
    rules: &RuleSet,
    out: &mut DriftResult,
) {
    let Some(m) = meta(rules, "MG103") else {
        return;
    };
    let mut changed = super::remediation::Changed {
        address: s.address.clone(),
        format: unit.format,
        live: l.clone(),
        changes: Vec::new(),
        replace: None,
        tags: Vec::new(),
    };
    let live_text = |v: Option<String>| v.unwrap_or_else(|| "not set".to_owned());
    let fields: [(&str, &[Alt], Option<Json>); 7] = [
        (
            "network_interface_id",
            &s.network_interface_id,
            Some(Json::from(l.network_interface_id.clone())),
        ),
        (
            "traffic_mirror_target_id",
            &s.traffic_mirror_target_id,
            Some(Json::from(l.traffic_mirror_target_id.clone())),
        ),
        (
            "traffic_mirror_filter_id",
            &s.traffic_mirror_filter_id,
            Some(Json::from(l.traffic_mirror_filter_id.clone())),
        ),
        (
            "session_number",
            &s.session_number,
            l.session_number.map(Json::from),
        ),
        (
            "packet_length",
            &s.packet_length,
            l.packet_length.map(Json::from),
        ),
        (
            "virtual_network_id",
            &s.virtual_network_id,
            l.virtual_network_id.map(Json::from),
        ),
        (
            "description",
            &s.description,
            l.description.clone().map(Json::from),
        ),
    ];
    for (field, alts, live_value) in fields {
        if alts.is_empty() || alts.iter().all(|a| a.val == Val::Absent) {
            // Not declared: what AWS fills in is not drift (a random VNI, packet length 8500
            // on NLB targets, an empty description); a value someone set live is.
            let set_live = match field {
                "packet_length" => l.packet_length.filter(|p| *p != 8500).map(Json::from),
                "description" => l
                    .description
                    .clone()
                    .filter(|d| !d.is_empty())
                    .map(Json::from),
                _ => None,
            };
            if let (Some(v), Some(loc)) = (set_live, located(unit, s.loc)) {
                let message = format!(
                    "{field} is not declared but {} on live session {}",
                    as_text(&v),
                    l.id
                );
                out.findings
                    .push(finding(m, message, loc, &s.address, field, Vec::new()));
                changed.changes.push((field.to_owned(), None));
            }
            continue;
        }
        let known: Vec<&Alt> = alts
            .iter()
            .filter(|a| matches!(a.val, Val::Known(_)))
            .collect();
        let unknown = alts
            .iter()
            .find(|a| matches!(a.val, Val::Unknown(_) | Val::Symbol { .. }));
        if let Some(u) = unknown {
            let why = match &u.val {
                Val::Unknown(w) | Val::Symbol { why: w, .. } => w.clone(),
                _ => String::new(),
            };
            if let Some(loc) = located(unit, u.loc) {
                out.skipped.push(Skipped {
                    location: loc,
                    address: s.address.clone(),
                    property: field.to_owned(),
                    reason: format!("{why}; not compared with live {}", l.id),
                    rules: vec!["MG103".into()],
                });
            }
            continue;
        }
        let equal = |v: &Json| {
            live_value
                .as_ref()
                .is_some_and(|lv| as_text(lv) == as_text(v))
        };
        if known
            .iter()
            .any(|a| matches!(&a.val, Val::Known(v) if equal(v)))
        {
            continue;
        }
        let Some(first) = known.first() else { continue };
        let Val::Known(declared) = &first.val else {
            continue;
        };
        if let Some(loc) = located(unit, first.loc) {
            let message = format!(
                "{field} is {} here but {} on live session {}",
                as_text(declared),
                live_text(live_value.as_ref().map(as_text)),
                l.id
            );
            out.findings
                .push(finding(m, message, loc, &s.address, field, Vec::new()));
            if field == "network_interface_id" {
                changed.replace = Some(as_text(declared));
            } else {
                changed
                    .changes
                    .push((field.to_owned(), Some(declared.clone())));
            }
        }
    }
    // Declared tags only: tags added outside (aws:*, cost allocation) are not drift.
    for set in &s.tags {
        for item in set.items.iter().flatten() {
            let (Val::Known(k), Val::Known(v)) = (&item.key.val, &item.value.val) else {
                continue;
            };
            let key = as_text(k);
            if key.starts_with("aws:") {
                continue;
            }
            let live_value = l.tags.get(&key);
            if live_value == Some(&as_text(v)) {
                continue;
            }
            if let Some(loc) = located(unit, item.value.loc) {
                let message = match live_value {
                    Some(lv) => format!(
                        "tag {key} is {} here but {lv} on live session {}",
                        as_text(v),
                        l.id
                    ),
                    None => format!(
                        "tag {key} is declared but live session {} does not have it",
                        l.id
                    ),
                };
                out.findings.push(finding(
                    m,
                    message,
                    loc,
                    &s.address,
                    &format!("tags.{key}"),
                    Vec::new(),
                ));
                changed.tags.push((key.clone(), as_text(v)));
            }
        }
    }
    if !changed.changes.is_empty() || !changed.tags.is_empty() || changed.replace.is_some() {
        out.plan.changed.push(changed);
    }
}
