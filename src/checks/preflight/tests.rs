use std::sync::Arc;

use super::*;

fn doc(name: &str, text: &str) -> Arc<SourceFile> {
    Arc::new(SourceFile::in_memory(name, text))
}

#[test]
fn saved_outputs_are_recognised_by_their_top_level_key() {
    let mut f = LiveFacts::default();
    f.add_document(doc("s.json", r#"{"TrafficMirrorSessions": [{"TrafficMirrorSessionId": "tms-1", "NetworkInterfaceId": "eni-1", "SessionNumber": 1}]}"#), None);
    f.add_document(doc("t.json", r#"{"TrafficMirrorTargets": [{"TrafficMirrorTargetId": "tmt-1", "NetworkInterfaceId": "eni-2"}]}"#), None);
    f.add_document(doc("n.json", r#"{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "VpcId": "vpc-1", "Attachment": {"InstanceId": "i-1"}}]}"#), None);
    f.add_document(doc("i.json", r#"{"Reservations": [{"Instances": [{"InstanceId": "i-1", "InstanceType": "m6i.large"}]}]}"#), None);
    f.add_document(doc("p.json", r#"{"VpcPeeringConnections": [{"Status": {"Code": "active"}, "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-2"}}, {"Status": {"Code": "deleted"}, "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-3"}}]}"#), None);
    f.add_document(
        doc("x.json", r#"{"Reservations": [], "NextToken": null}"#),
        None,
    );
    f.add_document(doc("bad.json", r#"{"Vpcs": []}"#), None);
    assert_eq!(f.sessions.len(), 1);
    assert_eq!(f.targets[0].id, "tmt-1");
    assert_eq!(
        f.instances[0].text("InstanceType").as_deref(),
        Some("m6i.large")
    );
    assert_eq!(
        f.peerings,
        Some(vec![("vpc-1".to_owned(), "vpc-2".to_owned())])
    );
    assert!(f.listings["target"].lacks("tmt-2"));
    assert!(!f.listings["interface"].lacks("eni-1"));
    assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
}

#[test]
fn a_paged_or_filtered_listing_is_not_complete() {
    let mut f = LiveFacts::default();
    f.add_document(
        doc(
            "t.json",
            r#"{"TrafficMirrorFilters": [], "NextToken": "abc"}"#,
        ),
        None,
    );
    assert!(!f.listings["filter"].lacks("tmf-1"));
    let mut g = LiveFacts::default();
    let asked = BTreeSet::from(["eni-1".to_owned()]);
    g.add_document(doc("n.json", r#"{"NetworkInterfaces": []}"#), Some(&asked));
    assert!(g.listings["interface"].lacks("eni-1"));
    assert!(!g.listings["interface"].lacks("eni-9"));
}
