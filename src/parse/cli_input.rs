//! AWS CLI input files: `aws ec2 create-traffic-mirror-session --cli-input-json file://…`
//! (and `--cli-input-yaml`), and the same for `modify-traffic-mirror-session`.
//!
//! A document is a CLI input when it is an object whose keys are all members of the
//! CreateTrafficMirrorSession or ModifyTrafficMirrorSession request. A modify request
//! changes only what it names, so it is a partial declaration: nothing is required of it.

use std::sync::Arc;

use serde_json::Value as Json;

use super::tree::{Node, NodeKind};
use crate::model::{Alt, Format, Loc, Provider, Session, TagItem, TagSet, Unit};
use crate::parse::numeric;
use crate::source::SourceFile;

const CREATE: &[&str] = &[
    "NetworkInterfaceId",
    "TrafficMirrorTargetId",
    "TrafficMirrorFilterId",
    "PacketLength",
    "SessionNumber",
    "VirtualNetworkId",
    "Description",
    "TagSpecifications",
    "DryRun",
    "ClientToken",
];
const MODIFY: &[&str] = &[
    "TrafficMirrorSessionId",
    "TrafficMirrorTargetId",
    "TrafficMirrorFilterId",
    "PacketLength",
    "SessionNumber",
    "VirtualNetworkId",
    "Description",
    "RemoveFields",
    "DryRun",
];

/// The request members that are session properties: as the JSON input spells them, and as
/// the command line does.
const MEMBERS: [(&str, &str); 7] = [
    ("NetworkInterfaceId", "--network-interface-id"),
    ("TrafficMirrorTargetId", "--traffic-mirror-target-id"),
    ("TrafficMirrorFilterId", "--traffic-mirror-filter-id"),
    ("SessionNumber", "--session-number"),
    ("PacketLength", "--packet-length"),
    ("VirtualNetworkId", "--virtual-network-id"),
    ("Description", "--description"),
];

/// Sets the session properties of a CreateTrafficMirrorSession (or Modify) request: `field`
/// gives the alternatives of a member by its JSON and its command-line name; numbers are
/// converted as the CLI converts them.
pub(crate) fn fill(s: &mut Session, mut field: impl FnMut(&str, &str) -> Vec<Alt>) {
    let [eni, target, filter, number, length, vni, description] =
        MEMBERS.map(|(json, option)| field(json, option));
    s.network_interface_id = eni;
    s.traffic_mirror_target_id = target;
    s.traffic_mirror_filter_id = filter;
    s.session_number = numeric(number);
    s.packet_length = numeric(length);
    s.virtual_network_id = numeric(vni);
    s.description = description;
}

/// The tag sets a `TagSpecifications` list gives a session: one per specification for
/// `traffic-mirror-session` (or naming no resource type), each tag where `at` places it.
pub(crate) fn tag_sets(specs: &[Node], at: &dyn Fn(&Node) -> Loc) -> Vec<TagSet> {
    let mut out = Vec::new();
    for spec in specs {
        if spec
            .get("ResourceType")
            .and_then(Node::as_str)
            .is_some_and(|t| t != "traffic-mirror-session")
        {
            continue;
        }
        let Some(tags) = spec.get("Tags") else {
            continue;
        };
        let items = tags
            .as_seq()
            .unwrap_or(&[])
            .iter()
            .filter_map(|t| {
                let (k, v) = (t.get("Key")?, t.get("Value").unwrap_or(t));
                Some(TagItem {
                    loc: at(t),
                    key: Alt::known(at(k), k.to_json()),
                    value: Alt::known(
                        at(v),
                        if std::ptr::eq(v, t) {
                            Json::String(String::new())
                        } else {
                            v.to_json()
                        },
                    ),
                })
            })
            .collect();
        out.push(TagSet {
            loc: at(tags),
            when: Vec::new(),
            items: Some(items),
            why: String::new(),
        });
    }
    out
}

/// Which request a document is the input of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    Create,
    Modify,
}

/// Recognises a CLI input document.
pub(crate) fn request(root: &Node) -> Option<Request> {
    let entries = root.as_map()?;
    if entries.is_empty() {
        return None;
    }
    let keys = || entries.iter().map(|e| e.key.as_str());
    if root.get("TrafficMirrorSessionId").is_some() && keys().all(|k| MODIFY.contains(&k)) {
        return Some(Request::Modify);
    }
    let names_session =
        root.get("NetworkInterfaceId").is_some() || root.get("TrafficMirrorTargetId").is_some();
    (names_session && keys().all(|k| CREATE.contains(&k))).then_some(Request::Create)
}

/// Reads a CLI input document into a unit with one session.
pub(crate) fn read(source: Arc<SourceFile>, root: &Node, request: Request) -> Unit {
    let at = |n: &Node| Loc {
        file: 0,
        span: n.span,
    };
    let field = |key: &str| -> Vec<Alt> {
        root.get(key)
            .filter(|n| !matches!(n.kind, NodeKind::Null))
            .map(|n| vec![Alt::known(at(n), n.to_json())])
            .unwrap_or_default()
    };
    let (address, loc) = match request {
        Request::Create => (
            "create-traffic-mirror-session".to_owned(),
            root.entry("NetworkInterfaceId")
                .or_else(|| root.as_map().and_then(|m| m.first()))
                .map_or(root.span, |e| e.key_span),
        ),
        Request::Modify => {
            let id = root
                .get("TrafficMirrorSessionId")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            (
                format!("modify-traffic-mirror-session {id}"),
                root.entry("TrafficMirrorSessionId")
                    .map_or(root.span, |e| e.key_span),
            )
        }
    };
    let mut s = Session::new(
        address,
        "aws-cli",
        Provider::Aws,
        Loc { file: 0, span: loc },
    );
    s.partial = request == Request::Modify;
    fill(&mut s, |member, _| field(member));
    let specs = root.get("TagSpecifications").and_then(Node::as_seq);
    s.tags = tag_sets(specs.unwrap_or(&[]), &at);
    let mut unit = Unit::new(Format::AwsCli, source.display.clone(), vec![source]);
    unit.push_session(s);
    unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    #[test]
    fn create_and_modify_inputs_are_recognised() {
        let src = Arc::new(SourceFile::in_memory(
            "c.json",
            r#"{"NetworkInterfaceId": "eni-0123456789abcdef0", "SessionNumber": 0, "TagSpecifications": [{"ResourceType": "traffic-mirror-session", "Tags": [{"Key": "a", "Value": "b"}]}]}"#,
        ));
        let root = json::parse(&src).ok().flatten().expect("json");
        assert_eq!(request(&root), Some(Request::Create));
        let u = read(src, &root, Request::Create);
        assert_eq!(
            u.sessions[0].session_number[0].val,
            crate::model::Val::Known(serde_json::json!(0))
        );
        assert_eq!(u.sessions[0].tags[0].items.as_ref().map(Vec::len), Some(1));
        let src = SourceFile::in_memory(
            "m.json",
            r#"{"TrafficMirrorSessionId": "tms-1", "RemoveFields": ["packet-length"]}"#,
        );
        let root = json::parse(&src).ok().flatten().expect("json");
        assert_eq!(request(&root), Some(Request::Modify));
        let describe = SourceFile::in_memory("d.json", r#"{"TrafficMirrorSessions": []}"#);
        let root = json::parse(&describe).ok().flatten().expect("json");
        assert_eq!(request(&root), None);
    }
}
