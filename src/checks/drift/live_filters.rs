//! Live traffic mirror filters and their rules, as `DescribeTrafficMirrorFilters` returns
//! them: from a saved `aws ec2 describe-traffic-mirror-filters` output (`--live-file`) or the
//! SDK. A rule read from a file keeps its place, for findings about it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::live::{LiveOrigin, tags};
use crate::parse::tree::{Node, NodeKind};
use crate::source::SourceFile;

/// One live filter rule.
#[derive(Debug, Clone, Default)]
pub struct LiveRule {
    /// `tmfr-…`
    pub id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    pub rule_number: Option<i64>,
    /// `accept` or `reject`.
    pub rule_action: String,
    /// IANA protocol number (absent: all protocols).
    pub protocol: Option<i64>,
    pub source_cidr_block: String,
    pub destination_cidr_block: String,
    /// (from, to)
    pub source_ports: Option<(i64, i64)>,
    pub destination_ports: Option<(i64, i64)>,
    /// Where it was read from, for a saved output.
    pub origin: Option<LiveOrigin>,
}

/// One live filter.
#[derive(Debug, Clone, Default)]
pub struct LiveFilter {
    /// `tmf-…`
    pub id: String,
    /// Region it was read from (may be empty).
    pub region: String,
    pub network_services: Vec<String>,
    /// Ingress and egress rules.
    pub rules: Vec<LiveRule>,
    pub tags: BTreeMap<String, String>,
    /// Where it was read from, for a saved output.
    pub origin: Option<LiveOrigin>,
}

/// The filters of a saved output, when it has a `TrafficMirrorFilters` list (or one
/// `TrafficMirrorFilter`); `None` when it has neither.
pub(crate) fn filters_of(
    doc: &Node,
    source: &Arc<SourceFile>,
    region: &str,
) -> Option<Vec<LiveFilter>> {
    let items: Vec<&Node> = match (
        doc.get("TrafficMirrorFilters"),
        doc.get("TrafficMirrorFilter"),
    ) {
        (
            Some(Node {
                kind: NodeKind::Seq(a),
                ..
            }),
            _,
        ) => a.iter().collect(),
        (
            _,
            Some(
                one @ Node {
                    kind: NodeKind::Map(_),
                    ..
                },
            ),
        ) => vec![one],
        _ => return None,
    };
    Some(
        items
            .into_iter()
            .map(|f| filter(f, source, region))
            .collect(),
    )
}

fn text(v: &Node, k: &str) -> String {
    v.get(k).and_then(Node::scalar_text).unwrap_or_default()
}

fn int(v: &Node, k: &str) -> Option<i64> {
    match v.get(k).map(|n| &n.kind) {
        Some(NodeKind::Int(i)) => Some(*i),
        _ => None,
    }
}

fn ports(v: Option<&Node>) -> Option<(i64, i64)> {
    let v = v?;
    Some((int(v, "FromPort")?, int(v, "ToPort")?))
}

fn filter(f: &Node, source: &Arc<SourceFile>, region: &str) -> LiveFilter {
    let mut rules = Vec::new();
    for (key, direction) in [
        ("IngressFilterRules", "ingress"),
        ("EgressFilterRules", "egress"),
    ] {
        for r in f.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
            let stated = text(r, "TrafficDirection");
            rules.push(LiveRule {
                id: text(r, "TrafficMirrorFilterRuleId"),
                direction: if stated.is_empty() {
                    direction.to_owned()
                } else {
                    stated.to_ascii_lowercase()
                },
                rule_number: int(r, "RuleNumber"),
                rule_action: text(r, "RuleAction").to_ascii_lowercase(),
                protocol: int(r, "Protocol"),
                source_cidr_block: text(r, "SourceCidrBlock"),
                destination_cidr_block: text(r, "DestinationCidrBlock"),
                source_ports: ports(r.get("SourcePortRange")),
                destination_ports: ports(r.get("DestinationPortRange")),
                origin: Some(LiveOrigin {
                    source: source.clone(),
                    span: r.span,
                }),
            });
        }
    }
    LiveFilter {
        id: text(f, "TrafficMirrorFilterId"),
        region: region.to_owned(),
        network_services: f
            .get("NetworkServices")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::scalar_text)
            .collect(),
        rules,
        tags: tags(f.get("Tags")),
        origin: Some(LiveOrigin {
            source: source.clone(),
            span: f.span,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    #[test]
    fn reads_the_aws_cli_filters_output() {
        let text = r#"{"TrafficMirrorFilters": [{"TrafficMirrorFilterId": "tmf-1",
          "IngressFilterRules": [{"TrafficMirrorFilterRuleId": "tmfr-1", "TrafficDirection": "ingress",
            "RuleNumber": 100, "RuleAction": "accept", "Protocol": 6,
            "DestinationPortRange": {"FromPort": 443, "ToPort": 443},
            "DestinationCidrBlock": "0.0.0.0/0", "SourceCidrBlock": "10.0.0.0/8"}],
          "EgressFilterRules": [{"TrafficMirrorFilterRuleId": "tmfr-2", "RuleNumber": 100,
            "RuleAction": "reject", "DestinationCidrBlock": "::/0", "SourceCidrBlock": "::/0"}],
          "NetworkServices": ["amazon-dns"], "Tags": []}]}"#;
        let src = Arc::new(SourceFile::in_memory("filters.json", text));
        let doc = json::parse(&src).expect("json").expect("doc");
        let f = filters_of(&doc, &src, "eu-west-1").expect("filters");
        assert_eq!(f[0].id, "tmf-1");
        assert_eq!(f[0].network_services, ["amazon-dns"]);
        assert_eq!(f[0].rules.len(), 2);
        assert_eq!(f[0].rules[0].destination_ports, Some((443, 443)));
        assert_eq!(f[0].rules[1].direction, "egress");
        assert_eq!(f[0].rules[1].protocol, None);
    }
}
