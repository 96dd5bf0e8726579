//! Joining live objects into a unit: the ones its declarations name (by literal id), read
//! only and placed before the declared ones, so that a collision is always reported on the
//! declaration. A live session that *is* one of the unit's sessions (by Terraform state id,
//! or CloudFormation stack tags with `--stack-name`) is not joined: it is no conflict.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::{LiveFacts, LiveObject, Wanted};
use crate::model::graph::{Attr, Kind, Resource};
use crate::model::live::LiveContext;
use crate::model::{Alt, Format, Loc, Prop, Provider, Session, Unit, Val};
use crate::parse::tree::Node;

/// The literal string values of a field.
fn literals(alts: &[Alt]) -> impl Iterator<Item = &str> {
    alts.iter().filter_map(|a| match &a.val {
        Val::Known(Json::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    })
}

/// The ids a unit names.
fn named(unit: &Unit) -> Wanted {
    let mut w = Wanted::default();
    for s in unit.declared_sessions() {
        w.interfaces
            .extend(literals(&s.network_interface_id).map(str::to_owned));
        w.targets
            .extend(literals(&s.traffic_mirror_target_id).map(str::to_owned));
        w.filters
            .extend(literals(&s.traffic_mirror_filter_id).map(str::to_owned));
    }
    for r in unit.resources.iter().filter(|r| !r.live) {
        match r.kind {
            Kind::Target => w
                .interfaces
                .extend(literals(r.field(Attr::NetworkInterfaceId)).map(str::to_owned)),
            Kind::FilterRule => w
                .filters
                .extend(literals(r.field(Attr::TrafficMirrorFilterId)).map(str::to_owned)),
            _ => {}
        }
    }
    w
}

/// The ids every unit names.
pub(crate) fn wanted(units: &[&Unit]) -> Wanted {
    let mut all = Wanted::default();
    for u in units {
        let w = named(u);
        all.interfaces.extend(w.interfaces);
        all.targets.extend(w.targets);
        all.filters.extend(w.filters);
    }
    all
}

/// How declared sessions are recognised among live ones.
#[derive(Debug, Default, Clone)]
pub struct OwnSessions {
    /// Session ids from Terraform state, by resource address.
    pub state_ids: BTreeMap<String, String>,
    /// The CloudFormation stack whose tags identify declared sessions.
    pub stack_name: Option<String>,
}

struct Joiner {
    offset: usize,
}

impl Joiner {
    fn loc(&self, o: &LiveObject, key: &str) -> Loc {
        Loc {
            file: self.offset + o.file,
            span: o.node.get(key).map_or(o.node.span, |n| n.span),
        }
    }

    /// A value of the object as one known alternative (none when it is absent).
    fn alt(&self, o: &LiveObject, path: &[&str]) -> Vec<Alt> {
        let mut node = Some(&o.node);
        for step in path {
            node = node.and_then(|n| n.get(step));
        }
        match node {
            Some(n) if !matches!(n.kind, crate::parse::tree::NodeKind::Null) => vec![Alt::known(
                Loc {
                    file: self.offset + o.file,
                    span: n.span,
                },
                n.to_json(),
            )],
            _ => Vec::new(),
        }
    }

    fn resource(&self, o: &LiveObject, kind: Kind, ty: &str) -> Resource {
        let mut r = Resource::new(
            kind,
            format!("{} (live)", o.id),
            ty,
            Provider::Aws,
            self.loc(o, label_key(kind)),
        );
        r.live = true;
        r.literal_ids = vec![o.id.clone()];
        r
    }

    fn session(&self, o: &LiveObject) -> Session {
        let mut s = Session::new(
            format!("{} (live)", o.id),
            "AWS::EC2::TrafficMirrorSession",
            Provider::Aws,
            self.loc(o, "TrafficMirrorSessionId"),
        );
        s.live = true;
        for prop in Prop::ALL {
            if let Some(name) = prop.api_name() {
                *s.field_mut(prop) = self.alt(o, &[name]);
            }
        }
        s
    }

    fn filter(&self, o: &LiveObject, out: &mut Vec<Resource>) {
        let mut f = self.resource(o, Kind::Filter, "AWS::EC2::TrafficMirrorFilter");
        f.set(Attr::NetworkServices, self.alt(o, &["NetworkServices"]));
        let id = Alt::known(f.loc, Json::String(o.id.clone()));
        out.push(f);
        for key in ["IngressFilterRules", "EgressFilterRules"] {
            for n in o.node.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
                let rule = LiveObject {
                    file: o.file,
                    id: n
                        .get("TrafficMirrorFilterRuleId")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default(),
                    node: n.clone(),
                };
                let mut r =
                    self.resource(&rule, Kind::FilterRule, "AWS::EC2::TrafficMirrorFilterRule");
                for &attr in Attr::of(Kind::FilterRule) {
                    r.set(attr, self.alt(&rule, attr.api_path()));
                }
                r.set(Attr::TrafficMirrorFilterId, vec![id.clone()]);
                out.push(r);
            }
        }
    }
}

fn label_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Target => "TrafficMirrorTargetId",
        Kind::Filter => "TrafficMirrorFilterId",
        Kind::FilterRule => "TrafficMirrorFilterRuleId",
        Kind::Interface | Kind::Attachment => "NetworkInterfaceId",
        Kind::Instance => "InstanceId",
    }
}

/// Whether a live session is one of the unit's own (strong identity only).
fn is_own(unit: &Unit, o: &LiveObject, own: &OwnSessions) -> bool {
    let declared: BTreeSet<&str> = unit
        .declared_sessions()
        .map(|s| s.address.as_str())
        .collect();
    if declared
        .iter()
        .any(|a| own.state_ids.get(*a).is_some_and(|id| *id == o.id))
    {
        return true;
    }
    let (Some(stack), Format::CloudFormation) = (&own.stack_name, unit.format) else {
        return false;
    };
    let tags = crate::checks::drift::live::tags(o.node.get("Tags"));
    tags.get("aws:cloudformation:stack-name") == Some(stack)
        && tags
            .get("aws:cloudformation:logical-id")
            .is_some_and(|l| declared.contains(l.as_str()))
}

/// Adds to `unit` the live objects it names, before its own, and the live context.
pub(crate) fn join(unit: &mut Unit, facts: &LiveFacts, own: &OwnSessions) {
    let names = named(unit);
    let j = Joiner {
        offset: unit.files.len(),
    };
    let text = |o: &LiveObject, k: &str| o.text(k).unwrap_or_default();
    // Sessions on the same interfaces or targets.
    let sessions: Vec<Session> = facts
        .sessions
        .iter()
        .filter(|o| {
            names.interfaces.contains(&text(o, "NetworkInterfaceId"))
                || names.targets.contains(&text(o, "TrafficMirrorTargetId"))
        })
        .filter(|o| !is_own(unit, o, own))
        .map(|o| j.session(o))
        .collect();
    let mut resources = Vec::new();
    let mut interfaces = names.interfaces.clone();
    for o in &facts.targets {
        let eni = text(o, "NetworkInterfaceId");
        if names.targets.contains(&o.id) || names.interfaces.contains(&eni) {
            let mut t = j.resource(o, Kind::Target, "AWS::EC2::TrafficMirrorTarget");
            for &attr in Attr::of(Kind::Target) {
                t.set(attr, j.alt(o, attr.api_path()));
            }
            if !eni.is_empty() {
                interfaces.insert(eni);
            }
            resources.push(t);
        }
    }
    for o in facts
        .filters
        .iter()
        .filter(|o| names.filters.contains(&o.id))
    {
        j.filter(o, &mut resources);
    }
    let mut vpcs = BTreeMap::new();
    let mut instances = BTreeSet::new();
    for o in facts
        .interfaces
        .iter()
        .filter(|o| interfaces.contains(&o.id))
    {
        if let Some(vpc) = o.text("VpcId") {
            vpcs.insert(o.id.clone(), vpc);
        }
        let instance = o
            .node
            .get("Attachment")
            .and_then(|a| a.get("InstanceId"))
            .and_then(Node::scalar_text);
        if let Some(instance) = instance {
            let mut a = j.resource(o, Kind::Attachment, "AWS::EC2::NetworkInterfaceAttachment");
            a.set(Attr::NetworkInterfaceId, j.alt(o, &["NetworkInterfaceId"]));
            a.set(Attr::InstanceId, j.alt(o, &["Attachment", "InstanceId"]));
            resources.push(a);
            instances.insert(instance);
        }
    }
    for o in facts.instances.iter().filter(|o| instances.contains(&o.id)) {
        let mut i = j.resource(o, Kind::Instance, "AWS::EC2::Instance");
        i.set(Attr::InstanceType, j.alt(o, &["InstanceType"]));
        resources.push(i);
    }
    // Live parts go first: a rule reporting the later of two colliding declarations then
    // always reports the declared one.
    let (ns, nr) = (sessions.len(), resources.len());
    for r in &mut unit.references {
        r.session = r.session.map(|i| i + ns);
        r.resource = r.resource.map(|i| i + nr);
    }
    unit.files.extend(facts.files.iter().cloned());
    let declared_sessions = std::mem::replace(&mut unit.sessions, sessions);
    unit.sessions.extend(declared_sessions);
    let declared_resources = std::mem::replace(&mut unit.resources, resources);
    unit.resources.extend(declared_resources);
    unit.live = Some(LiveContext {
        listings: facts.listings.clone(),
        interface_vpcs: vpcs,
        peerings: facts.peerings.clone(),
        tgw_attachments: facts.tgw_attachments.clone(),
        source: facts.source.clone(),
    });
}
