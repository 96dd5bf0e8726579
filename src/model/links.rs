//! Resolves the names between declarations of one unit, both ways: which filter, target and
//! source instance a session names, which filter a rule belongs to, which instance backs a
//! target's interface. Names match by identity (a literal id or a reference expression),
//! never by guessing: a name that matches nothing declared links to nothing.

use std::collections::BTreeMap;

use super::graph::{Attr, Kind, Resource};
use super::{Alt, Unit, identity};

/// One link: the alternative that names something, and the resource it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Link {
    /// Index of the naming alternative in its field.
    pub(crate) alt: usize,
    /// Index of the named resource in [`Unit::resources`].
    pub(crate) resource: usize,
}

/// An interface's instance: through which attachment, and the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct InstanceLink {
    /// Index of the interface alternative in its field.
    pub(crate) alt: usize,
    /// The attachment (in [`Unit::resources`]) that ties the interface to the instance.
    pub(crate) attachment: usize,
    /// The instance (in [`Unit::resources`]).
    pub(crate) instance: usize,
}

/// Every link of a unit.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// Per session: the filters its `traffic_mirror_filter_id` names.
    pub(crate) session_filter: Vec<Vec<Link>>,
    /// Per session: the targets its `traffic_mirror_target_id` names.
    pub(crate) session_target: Vec<Vec<Link>>,
    /// Per session: the instances behind its source interface.
    pub(crate) session_instance: Vec<Vec<InstanceLink>>,
    /// Per resource: for a rule, the filters it belongs to; for a target, nothing.
    pub(crate) rule_filter: BTreeMap<usize, Vec<Link>>,
    /// Per target resource: the instances behind its interface.
    pub(crate) target_instance: BTreeMap<usize, Vec<InstanceLink>>,
    /// Per filter resource: its rules.
    pub(crate) filter_rules: BTreeMap<usize, Vec<usize>>,
    /// Why the rules of a declared filter cannot all be known (a rule whose filter is not
    /// known, a part of the unit that cannot be read): no filter is then said to be empty.
    pub(crate) rules_unknown: Option<String>,
}

/// Resources of one kind by identity key (as [`identity`] spells it).
fn by_identity(unit: &Unit, kind: Kind) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in unit.resources.iter().enumerate() {
        if r.kind != kind {
            continue;
        }
        for id in &r.identities {
            out.entry(format!("ref:{id}")).or_default().push(i);
        }
        for id in &r.literal_ids {
            out.entry(id.clone()).or_default().push(i);
        }
    }
    out
}

fn links(alts: &[Alt], named: &BTreeMap<String, Vec<usize>>) -> Vec<Link> {
    let mut out = Vec::new();
    for (j, a) in alts.iter().enumerate() {
        if let Some(key) = identity(&a.val) {
            for &r in named.get(&key).into_iter().flatten() {
                out.push(Link {
                    alt: j,
                    resource: r,
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Unit {
    /// Resolves every link of the unit.
    pub(crate) fn links(&self) -> Links {
        let filters = by_identity(self, Kind::Filter);
        let targets = by_identity(self, Kind::Target);
        let instances = by_identity(self, Kind::Instance);
        // Interface identity → (attachment, instance).
        let mut attached: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for (a, r) in self.resources.iter().enumerate() {
            if r.kind != Kind::Attachment {
                continue;
            }
            for inst in r.field(Attr::InstanceId) {
                let Some(key) = identity(&inst.val) else {
                    continue;
                };
                for &i in instances.get(&key).into_iter().flatten() {
                    for eni in r.field(Attr::NetworkInterfaceId) {
                        if let Some(e) = identity(&eni.val) {
                            attached.entry(e).or_default().push((a, i));
                        }
                    }
                }
            }
        }
        let instance_links = |alts: &[Alt]| -> Vec<InstanceLink> {
            let mut out = Vec::new();
            for (j, alt) in alts.iter().enumerate() {
                let Some(key) = identity(&alt.val) else {
                    continue;
                };
                for &(attachment, instance) in attached.get(&key).into_iter().flatten() {
                    out.push(InstanceLink {
                        alt: j,
                        attachment,
                        instance,
                    });
                }
            }
            out.sort();
            out.dedup();
            out
        };
        let mut out = Links::default();
        for s in &self.sessions {
            out.session_filter
                .push(links(&s.traffic_mirror_filter_id, &filters));
            out.session_target
                .push(links(&s.traffic_mirror_target_id, &targets));
            out.session_instance
                .push(instance_links(&s.network_interface_id));
        }
        for (i, r) in self.resources.iter().enumerate() {
            match r.kind {
                Kind::FilterRule => {
                    let found = links(r.field(Attr::TrafficMirrorFilterId), &filters);
                    for l in &found {
                        out.filter_rules.entry(l.resource).or_default().push(i);
                    }
                    if out.rules_unknown.is_none() {
                        out.rules_unknown = unresolved_rule(r, &found);
                    }
                    out.rule_filter.insert(i, found);
                }
                Kind::Target => {
                    out.target_instance
                        .insert(i, instance_links(r.field(Attr::NetworkInterfaceId)));
                }
                Kind::Filter => {
                    out.filter_rules.entry(i).or_default();
                }
                _ => {}
            }
        }
        for rules in out.filter_rules.values_mut() {
            rules.sort_unstable();
            rules.dedup();
        }
        if out.rules_unknown.is_none()
            && let Some(o) = self.opaque.first()
        {
            out.rules_unknown = Some(format!(
                "{} may declare filter rules mirrorguard cannot read ({})",
                o.address, o.why
            ));
        }
        out
    }
}

/// Why a rule may belong to a declared filter without naming it: its filter is unknown, or
/// a reference that names no declared filter and is not something else the unit creates.
fn unresolved_rule(rule: &Resource, found: &[super::links::Link]) -> Option<String> {
    use super::Val;
    for (j, a) in rule.field(Attr::TrafficMirrorFilterId).iter().enumerate() {
        if found.iter().any(|l| l.alt == j) {
            continue;
        }
        match &a.val {
            Val::Unknown(why) => {
                return Some(format!(
                    "the filter of {} is not known ({why})",
                    rule.address
                ));
            }
            Val::Symbol { expr, .. } => {
                return Some(format!(
                    "the filter of {} is {expr}, which may be one of the unit's filters",
                    rule.address
                ));
            }
            _ => {}
        }
    }
    None
}
