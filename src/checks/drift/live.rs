//! Live traffic mirror sessions, as `DescribeTrafficMirrorSessions` returns them, from a saved
//! `aws ec2 describe-traffic-mirror-sessions` output (`--live-file`) or from the SDK.
//!
//! A session read from a file keeps where it was written, so that a finding about it
//! (an unmanaged session) points at its line in that file.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::inventory::{Coverage, inventory_of};
use super::live_filters::{LiveFilter, filters_of};
use crate::error::FileError;
use crate::parse::json;
use crate::parse::tree::{Node, NodeKind};
use crate::source::{SourceFile, Span};

/// Where a live object was read from: its place in a `--live-file`.
#[derive(Debug, Clone)]
pub struct LiveOrigin {
    /// The file.
    pub source: Arc<SourceFile>,
    /// The object in it.
    pub span: Span,
}

/// One live session.
#[derive(Debug, Clone, Default)]
pub struct LiveSession {
    /// `tms-…`
    pub id: String,
    /// Account that owns the session.
    pub owner_id: String,
    /// Region it was read from (empty when unknown, e.g. a saved output without `--region`).
    pub region: String,
    /// Source network interface.
    pub network_interface_id: String,
    /// Mirror target.
    pub traffic_mirror_target_id: String,
    /// Mirror filter.
    pub traffic_mirror_filter_id: String,
    /// Session number.
    pub session_number: Option<i64>,
    /// Packet length (absent: whole packets).
    pub packet_length: Option<i64>,
    /// VXLAN network id.
    pub virtual_network_id: Option<i64>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Where it was read from, for a saved output.
    pub origin: Option<LiveOrigin>,
    /// When an inventory (AWS Config) captured it (RFC 3339); `None` for the EC2 API's
    /// answer, which is current.
    pub captured: Option<String>,
}

/// Why a saved output cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LiveFileError {
    /// Not JSON.
    #[error(transparent)]
    Json(#[from] FileError),
    /// JSON of another shape.
    #[error("{0}")]
    Shape(String),
}

/// What a saved output holds: sessions, filters with their rules, or both.
#[derive(Debug, Default)]
pub struct LiveDocument {
    pub sessions: Vec<LiveSession>,
    pub filters: Vec<LiveFilter>,
    /// What an AWS Config query result covers (`None` for EC2 outputs).
    pub coverage: Option<Coverage>,
}

/// Reads a saved `describe-traffic-mirror-sessions` output (also a bare list of sessions,
/// and the `create`/`modify` outputs with one `TrafficMirrorSession`), a
/// `describe-traffic-mirror-filters` output, one object holding both lists, or the result of
/// an AWS Config advanced query (`Results`, see [`super::inventory`]).
pub fn parse_live_output(
    source: &Arc<SourceFile>,
    region: &str,
) -> Result<LiveDocument, LiveFileError> {
    let Some(doc) = json::parse(source)? else {
        return Err(LiveFileError::Shape("the file is empty".into()));
    };
    let mut out = LiveDocument::default();
    if let Some(inventory) = inventory_of(&doc, source) {
        let inventory = inventory?;
        out.sessions = inventory.sessions;
        out.coverage = Some(inventory.coverage);
        return Ok(out);
    }
    let items: Vec<&Node> = match &doc.kind {
        NodeKind::Seq(a) => a.iter().collect(),
        NodeKind::Map(_) => {
            let filters = filters_of(&doc, source, region);
            let sessions: Option<Vec<&Node>> = match (
                doc.get("TrafficMirrorSessions"),
                doc.get("TrafficMirrorSession"),
            ) {
                (
                    Some(Node {
                        kind: NodeKind::Seq(a),
                        ..
                    }),
                    _,
                ) => Some(a.iter().collect()),
                (
                    _,
                    Some(
                        one @ Node {
                            kind: NodeKind::Map(_),
                            ..
                        },
                    ),
                ) => Some(vec![one]),
                _ => None,
            };
            match (sessions, filters) {
                (None, None) => return Err(LiveFileError::Shape("no TrafficMirrorSessions, TrafficMirrorFilters or Results list (expected `aws ec2 describe-traffic-mirror-sessions`, `describe-traffic-mirror-filters` or `aws configservice select-aggregate-resource-config` output)".into())),
                (s, f) => {
                    out.filters = f.unwrap_or_default();
                    s.unwrap_or_default()
                }
            }
        }
        _ => {
            return Err(LiveFileError::Shape(
                "expected a JSON object or list".into(),
            ));
        }
    };
    out.sessions = items
        .into_iter()
        .map(|s| session(s, source, region))
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// The sessions of a saved output (see [`parse_live_output`]).
pub fn parse_describe_output(
    source: &Arc<SourceFile>,
    region: &str,
) -> Result<Vec<LiveSession>, LiveFileError> {
    parse_live_output(source, region).map(|d| d.sessions)
}

fn session(v: &Node, source: &Arc<SourceFile>, region: &str) -> Result<LiveSession, LiveFileError> {
    let text = |k: &str| v.get(k).and_then(Node::scalar_text).unwrap_or_default();
    let int = |k: &str| match v.get(k).map(|n| &n.kind) {
        Some(NodeKind::Int(i)) => Some(*i),
        _ => None,
    };
    let id = text("TrafficMirrorSessionId");
    if id.is_empty() {
        return Err(LiveFileError::Shape(format!(
            "a session without TrafficMirrorSessionId at line {}",
            source.position(v.span.start).line
        )));
    }
    let tags = tags(v.get("Tags"));
    Ok(LiveSession {
        id,
        owner_id: text("OwnerId"),
        region: region.to_owned(),
        network_interface_id: text("NetworkInterfaceId"),
        traffic_mirror_target_id: text("TrafficMirrorTargetId"),
        traffic_mirror_filter_id: text("TrafficMirrorFilterId"),
        session_number: int("SessionNumber"),
        packet_length: int("PacketLength"),
        virtual_network_id: int("VirtualNetworkId"),
        description: v.get("Description").and_then(Node::scalar_text),
        tags,
        origin: Some(LiveOrigin {
            source: source.clone(),
            span: v.span,
        }),
        captured: None,
    })
}

/// Tags as `[{Key, Value}]` (EC2) or `[{key, value}]` (AWS Config).
pub(crate) fn tags(node: Option<&Node>) -> BTreeMap<String, String> {
    node.and_then(Node::as_seq)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    let key = t.get("Key").or_else(|| t.get("key"))?.scalar_text()?;
                    let value = t
                        .get("Value")
                        .or_else(|| t.get("value"))
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    Some((key, value))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_aws_cli_output_shape() {
        let text = r#"{"TrafficMirrorSessions": [{"TrafficMirrorSessionId": "tms-1", "OwnerId": "111122223333",
          "NetworkInterfaceId": "eni-1", "SessionNumber": 1, "VirtualNetworkId": 42, "PacketLength": 20,
          "Tags": [{"Key": "Name", "Value": "a"}]},
          {"TrafficMirrorSessionId": "tms-2", "SessionNumber": 2, "Tags": []}]}"#;
        let src = Arc::new(SourceFile::in_memory("live.json", text));
        let s = parse_describe_output(&src, "us-east-1").expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].packet_length, Some(20));
        assert_eq!(s[1].packet_length, None);
        assert_eq!(s[0].tags.get("Name").map(String::as_str), Some("a"));
        assert_eq!(s[0].region, "us-east-1");
        let origin = s[1].origin.as_ref().expect("origin");
        assert_eq!(origin.source.position(origin.span.start).line, 4);
        let other = Arc::new(SourceFile::in_memory("x.json", "{\"Reservations\": []}"));
        assert!(parse_describe_output(&other, "").is_err());
    }
}
