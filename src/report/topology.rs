//! The picture of a unit's mirroring setup: source interfaces (with their instance type)
//! → sessions (number, filter) → targets, with findings marked on the nodes and edges they
//! concern and unknown values shown as unknown. Built from the model once per unit, marked
//! after the findings are final, drawn by `render::graph` (Mermaid, DOT, JSON) and embedded
//! in the markdown summary.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use super::Finding;
use crate::model::graph::{Attr, Kind};
use crate::model::links::Links;
use crate::model::{Alt, Redactor, Unit, Val};

/// Longest value shown in a node label, in characters.
const MAX_LABEL_VALUE: usize = 48;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A session's source network interface.
    Source,
    /// A session.
    Session,
    /// A mirror target (declared, or named by id).
    Target,
    /// A filter no session uses.
    Filter,
}

/// One node of the drawing.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Stable id within the unit (`n0`, `n1`, ...).
    pub id: String,
    pub kind: NodeKind,
    /// Label lines.
    pub label: Vec<String>,
    /// Whether the node's value is not known (drawn dashed).
    pub unknown: bool,
    /// Rules with findings on this node.
    pub findings: Vec<String>,
    /// Declarations the node stands for (finding addresses are matched against these).
    #[serde(skip)]
    addresses: Vec<String>,
}

/// One edge: a source into a session, or a session into its target.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// Conditions the link holds under, if any.
    pub label: Option<String>,
    /// Rules with findings on this link.
    pub findings: Vec<String>,
    /// (session address, property) a finding must name to mark this edge.
    #[serde(skip)]
    marks: (String, String),
}

/// The drawing of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct Topology {
    /// The unit (template file or module folder).
    pub unit: String,
    /// Its input format.
    pub format: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Files of the unit, to match findings by file.
    #[serde(skip)]
    files: Vec<String>,
}

/// A value as a label: the literal, the reference, or `unknown`. A reference to something
/// the unit creates is known by identity; any other reference is an unknown input.
fn value_text(alt: &Alt, cx: &Cx<'_>) -> (String, bool) {
    let redactor = &cx.redactor;
    let (text, unknown) = match &alt.val {
        Val::Known(Json::String(s)) => (s.clone(), false),
        Val::Known(Json::Null) | Val::Absent => ("(not set)".to_owned(), false),
        Val::Known(v) => (v.to_string(), false),
        Val::Symbol { expr, .. } if cx.created.contains(expr) => (expr.clone(), false),
        Val::Symbol { expr, .. } => (format!("{expr} (unknown)"), true),
        Val::Unknown(_) => ("unknown".to_owned(), true),
    };
    let text = redactor.apply(&text);
    let short: String = if text.chars().count() > MAX_LABEL_VALUE {
        let mut s: String = text.chars().take(MAX_LABEL_VALUE - 1).collect();
        s.push('…');
        s
    } else {
        text
    };
    (short, unknown)
}

fn values_text(alts: &[Alt], cx: &Cx<'_>) -> (String, bool) {
    if alts.is_empty() {
        return ("(not set)".to_owned(), false);
    }
    let mut unknown = false;
    let mut parts: Vec<String> = Vec::new();
    for a in alts {
        let (t, u) = value_text(a, cx);
        unknown |= u;
        if !parts.contains(&t) {
            parts.push(t);
        }
    }
    (parts.join(" | "), unknown)
}

fn conditions_text(alt: &Alt) -> Option<String> {
    let parts: Vec<String> = alt
        .when
        .iter()
        .map(|c| match &c.value {
            crate::model::CondValue::Bool(true) => c.name.clone(),
            crate::model::CondValue::Bool(false) => format!("not {}", c.name),
            crate::model::CondValue::Text(t) => format!("{} = {t}", c.name),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// What labels are written with: the unit's secrets and what it creates.
struct Cx<'u> {
    redactor: Redactor<'u>,
    created: &'u std::collections::BTreeSet<String>,
}

struct Builder<'u> {
    unit: &'u Unit,
    cx: Cx<'u>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    by_key: BTreeMap<String, String>,
}

impl Builder<'_> {
    fn node(
        &mut self,
        key: Option<String>,
        kind: NodeKind,
        label: Vec<String>,
        unknown: bool,
        addresses: Vec<String>,
    ) -> String {
        if let Some(k) = &key
            && let Some(id) = self.by_key.get(k)
        {
            return id.clone();
        }
        let id = format!("n{}", self.nodes.len());
        self.nodes.push(Node {
            id: id.clone(),
            kind,
            label,
            unknown,
            findings: Vec::new(),
            addresses,
        });
        if let Some(k) = key {
            self.by_key.insert(k, id.clone());
        }
        id
    }

    /// The instance behind an interface value, as a label line and its address.
    fn instance_line(
        &self,
        links: &[crate::model::links::InstanceLink],
        alt: usize,
    ) -> Option<(String, String)> {
        let l = links.iter().find(|l| l.alt == alt)?;
        let inst = self.unit.resources.get(l.instance)?;
        let (ty, _) = values_text(inst.field(Attr::InstanceType), &self.cx);
        Some((format!("{} ({ty})", inst.address), inst.address.clone()))
    }

    fn target_node(&mut self, index: usize, links: &Links) -> String {
        let unit = self.unit;
        let Some(t) = unit.resources.get(index) else {
            return String::new();
        };
        let mut label = vec![format!("target {}", t.address)];
        let mut unknown = false;
        let mut addresses = vec![t.address.clone()];
        for (attr, name) in [
            (Attr::NetworkInterfaceId, "interface"),
            (Attr::NetworkLoadBalancerArn, "NLB"),
            (Attr::GatewayLoadBalancerEndpointId, "GWLB endpoint"),
        ] {
            let alts = t.field(attr);
            if alts.is_empty() || alts.iter().all(|a| a.val == Val::Absent) {
                continue;
            }
            let (text, u) = values_text(alts, &self.cx);
            unknown |= u;
            label.push(format!("{name} {text}"));
            if attr == Attr::NetworkInterfaceId {
                let ls = links
                    .target_instance
                    .get(&index)
                    .map_or(&[][..], Vec::as_slice);
                if let Some((line, address)) = self.instance_line(ls, 0) {
                    label.push(line);
                    addresses.push(address);
                }
            }
        }
        self.node(
            Some(format!("resource:{index}")),
            NodeKind::Target,
            label,
            unknown,
            addresses,
        )
    }
}

impl Topology {
    /// The drawing of a unit (before findings are marked).
    pub(crate) fn of(unit: &Unit) -> Self {
        let links = unit.links();
        let mut b = Builder {
            unit,
            cx: Cx {
                redactor: unit.redactor(),
                created: &unit.created,
            },
            nodes: Vec::new(),
            edges: Vec::new(),
            by_key: BTreeMap::new(),
        };
        for (i, s) in unit.sessions.iter().enumerate() {
            let (number, number_unknown) = values_text(&s.session_number, &b.cx);
            let mut label = vec![s.address.clone(), format!("session {number}")];
            let mut addresses = vec![s.address.clone()];
            let filter_links = links.session_filter.get(i).map_or(&[][..], Vec::as_slice);
            if let Some(l) = filter_links.first()
                && let Some(f) = unit.resources.get(l.resource)
            {
                let rules = links.filter_rules.get(&l.resource).map_or(0, Vec::len);
                let count = if links.rules_unknown.is_some() && rules == 0 {
                    "rules unknown".to_owned()
                } else {
                    format!("{rules} rule{}", if rules == 1 { "" } else { "s" })
                };
                label.push(format!("filter {} ({count})", f.address));
                addresses.push(f.address.clone());
                for &r in links.filter_rules.get(&l.resource).into_iter().flatten() {
                    if let Some(rule) = unit.resources.get(r) {
                        addresses.push(rule.address.clone());
                    }
                }
            } else if !s.traffic_mirror_filter_id.is_empty() {
                let (text, _) = values_text(&s.traffic_mirror_filter_id, &b.cx);
                label.push(format!("filter {text}"));
            }
            let session = b.node(None, NodeKind::Session, label, number_unknown, addresses);
            // Sources.
            let inst_links = links.session_instance.get(i).map_or(&[][..], Vec::as_slice);
            for (j, alt) in s.network_interface_id.iter().enumerate() {
                let (text, unknown) = value_text(alt, &b.cx);
                let mut label = vec![format!("interface {text}")];
                let mut addresses = Vec::new();
                if let Some((line, address)) = b.instance_line(inst_links, j) {
                    label.push(line);
                    addresses.push(address);
                }
                // Two unknown values are never assumed equal: each gets its own node.
                let key = match &alt.val {
                    Val::Unknown(_) | Val::Absent => None,
                    v => crate::model::identity(v).map(|k| format!("source:{k}")),
                };
                let source = b.node(key, NodeKind::Source, label, unknown, addresses);
                b.edges.push(Edge {
                    from: source,
                    to: session.clone(),
                    label: conditions_text(alt),
                    findings: Vec::new(),
                    marks: (s.address.clone(), "network_interface_id".into()),
                });
            }
            // Targets.
            let target_links = links.session_target.get(i).map_or(&[][..], Vec::as_slice);
            for (j, alt) in s.traffic_mirror_target_id.iter().enumerate() {
                let linked: Vec<usize> = target_links
                    .iter()
                    .filter(|l| l.alt == j)
                    .map(|l| l.resource)
                    .collect();
                let ids: Vec<String> = if linked.is_empty() {
                    let (text, unknown) = value_text(alt, &b.cx);
                    let key = match &alt.val {
                        Val::Unknown(_) | Val::Absent => None,
                        v => crate::model::identity(v).map(|k| format!("target:{k}")),
                    };
                    vec![b.node(
                        key,
                        NodeKind::Target,
                        vec![format!("target {text}")],
                        unknown,
                        Vec::new(),
                    )]
                } else {
                    linked
                        .into_iter()
                        .map(|r| b.target_node(r, &links))
                        .collect()
                };
                for id in ids {
                    b.edges.push(Edge {
                        from: session.clone(),
                        to: id,
                        label: conditions_text(alt),
                        findings: Vec::new(),
                        marks: (s.address.clone(), "traffic_mirror_target_id".into()),
                    });
                }
            }
        }
        // Targets and filters no session uses still belong in the picture.
        for (index, r) in unit.resources.iter().enumerate() {
            match r.kind {
                Kind::Target => {
                    b.target_node(index, &links);
                }
                Kind::Filter => {
                    let used = links
                        .session_filter
                        .iter()
                        .flatten()
                        .any(|l| l.resource == index);
                    if !used {
                        let rules = links
                            .filter_rules
                            .get(&index)
                            .map_or(&[][..], Vec::as_slice);
                        let mut addresses = vec![r.address.clone()];
                        addresses.extend(
                            rules
                                .iter()
                                .filter_map(|&k| unit.resources.get(k))
                                .map(|x| x.address.clone()),
                        );
                        b.node(
                            Some(format!("resource:{index}")),
                            NodeKind::Filter,
                            vec![
                                format!("filter {}", r.address),
                                format!("{} rules, no session", rules.len()),
                            ],
                            false,
                            addresses,
                        );
                    }
                }
                _ => {}
            }
        }
        Topology {
            unit: unit.name.clone(),
            format: unit.format.as_str().to_owned(),
            nodes: b.nodes,
            edges: b.edges,
            files: unit.files.iter().map(|f| f.display.clone()).collect(),
        }
    }

    /// Whether the unit has anything to draw.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether any node or edge carries a finding.
    pub fn has_findings(&self) -> bool {
        self.nodes.iter().any(|n| !n.findings.is_empty())
            || self.edges.iter().any(|e| !e.findings.is_empty())
    }

    /// Marks the findings of this unit's files on the nodes and edges they concern: an edge
    /// when the finding is about a session's source or target value, else every node that
    /// stands for its resource.
    pub(crate) fn mark(&mut self, findings: &[Finding]) {
        // Indexes first: a unit of 50,000 sessions has as many edges, and a scan per finding
        // made drawing it quadratic.
        let mut edges_by_mark: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (i, e) in self.edges.iter().enumerate() {
            edges_by_mark
                .entry((e.marks.0.as_str(), e.marks.1.as_str()))
                .or_default()
                .push(i);
        }
        let mut nodes_by_address: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for a in &n.addresses {
                nodes_by_address.entry(a.as_str()).or_default().push(i);
            }
        }
        let files: std::collections::BTreeSet<&str> =
            self.files.iter().map(String::as_str).collect();
        let mut on_edges: Vec<(usize, &str)> = Vec::new();
        let mut on_nodes: Vec<(usize, &str)> = Vec::new();
        for f in findings {
            if !files.contains(f.file()) {
                continue;
            }
            let property = f.property.split(['[', '.']).next().unwrap_or("");
            match edges_by_mark.get(&(f.address.as_str(), property)) {
                Some(edges) => on_edges.extend(edges.iter().map(|&i| (i, f.rule_id.as_str()))),
                None => on_nodes.extend(
                    nodes_by_address
                        .get(f.address.as_str())
                        .into_iter()
                        .flatten()
                        .map(|&i| (i, f.rule_id.as_str())),
                ),
            }
        }
        let on_edges: Vec<(usize, String)> = on_edges
            .into_iter()
            .map(|(i, r)| (i, r.to_owned()))
            .collect();
        let on_nodes: Vec<(usize, String)> = on_nodes
            .into_iter()
            .map(|(i, r)| (i, r.to_owned()))
            .collect();
        for (i, rule) in on_edges {
            if let Some(e) = self.edges.get_mut(i) {
                push_unique(&mut e.findings, &rule);
            }
        }
        for (i, rule) in on_nodes {
            if let Some(n) = self.nodes.get_mut(i) {
                push_unique(&mut n.findings, &rule);
            }
        }
    }
}

fn push_unique(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|x| x == id) {
        list.push(id.to_owned());
        list.sort();
    }
}
