//! Live traffic mirror sessions, as `DescribeTrafficMirrorSessions` returns them, from a saved
//! `aws ec2 describe-traffic-mirror-sessions` output (`--live-file`) or from the SDK.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// One live session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

/// Reads the sessions of a saved `describe-traffic-mirror-sessions` output (also accepts a
/// bare list, and the `create`/`modify` outputs with one `TrafficMirrorSession`).
pub fn parse_describe_output(text: &str, region: &str) -> Result<Vec<LiveSession>, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items: Vec<&Json> = match &doc {
        Json::Array(a) => a.iter().collect(),
        Json::Object(m) => match (m.get("TrafficMirrorSessions"), m.get("TrafficMirrorSession")) {
            (Some(Json::Array(a)), _) => a.iter().collect(),
            (_, Some(one @ Json::Object(_))) => vec![one],
            _ => return Err("no TrafficMirrorSessions list (expected `aws ec2 describe-traffic-mirror-sessions` output)".into()),
        },
        _ => return Err("expected a JSON object or list".into()),
    };
    items.into_iter().map(|s| session(s, region)).collect()
}

fn session(v: &Json, region: &str) -> Result<LiveSession, String> {
    let text = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_owned();
    let int = |k: &str| v.get(k).and_then(Json::as_i64);
    let id = text("TrafficMirrorSessionId");
    if id.is_empty() {
        return Err("a session without TrafficMirrorSessionId".into());
    }
    let tags = v
        .get("Tags")
        .and_then(Json::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("Key")?.as_str()?.to_owned(),
                        t.get("Value")
                            .and_then(Json::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
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
        description: v
            .get("Description")
            .and_then(Json::as_str)
            .map(str::to_owned),
        tags,
    })
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
        let s = parse_describe_output(text, "us-east-1").expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].packet_length, Some(20));
        assert_eq!(s[1].packet_length, None);
        assert_eq!(s[0].tags.get("Name").map(String::as_str), Some("a"));
        assert_eq!(s[0].region, "us-east-1");
        assert!(parse_describe_output("{\"Reservations\": []}", "").is_err());
    }
}
