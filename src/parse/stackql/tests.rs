use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::parse::yaml;

const MANIFEST: &str = "version: 1\nname: mirror\nproviders: [awscc]\nglobals:\n  - name: region\n    value: \"{{ AWS_REGION }}\"\nresources:\n  - name: web_session\n    props:\n      - name: session_number\n        values:\n          prd: {value: 1}\n          dev: {value: 40000}\n      - name: eni\n        value: \"{{ eni_id }}\"\n      - name: tags\n        value:\n          - {Key: Name, Value: \"{{ stack_name }}-{{ stack_env }}\"}\n";
const IQL: &str = "/*+ create */\nINSERT INTO awscc.ec2.traffic_mirror_sessions (\n NetworkInterfaceId,\n SessionNumber,\n TrafficMirrorTargetId,\n Tags,\n region\n)\nSELECT\n '{{ eni }}',\n {{ session_number }},\n 'tmt-0123456789abcdef0',\n '{{ tags }}',\n '{{ region }}'\nRETURNING *;\n";

fn unit(options: &StackqlOptions) -> Unit {
    let m = Arc::new(SourceFile::in_memory("s/stackql_manifest.yml", MANIFEST));
    let q = Arc::new(SourceFile::in_memory("s/resources/web_session.iql", IQL));
    let root = yaml::parse(&m).ok().flatten().expect("yaml");
    let mut queries = BTreeMap::new();
    queries.insert("resources/web_session.iql".to_owned(), q);
    read(m, &root, &queries, options)
}

#[test]
fn per_environment_values_are_alternatives_and_templates_render() {
    let u = unit(&StackqlOptions::default());
    assert_eq!(u.sessions.len(), 1);
    let s = &u.sessions[0];
    let nums: Vec<_> = s
        .session_number
        .iter()
        .map(|a| (a.val.clone(), a.when.clone()))
        .collect();
    assert_eq!(
        nums[0],
        (
            Val::Known(json!(40000)),
            vec![Condition::equals("stack_env", "dev")]
        )
    );
    assert_eq!(nums[1].0, Val::Known(json!(1)));
    // The ENI template names a variable nobody set: unknown, with the template as identity.
    assert!(
        matches!(&s.network_interface_id[0].val, Val::Symbol { expr, why } if expr == "{{ eni_id }}" && why.contains("eni_id is not defined (pass --var eni_id="))
    );
    // A literal in the query is known, at its span in the query file.
    assert_eq!(
        s.traffic_mirror_target_id[0].val,
        Val::Known(json!("tmt-0123456789abcdef0"))
    );
    assert_eq!(s.traffic_mirror_target_id[0].loc.file, 1);
    let tags = s.tags[0].items.as_ref().expect("tags");
    assert_eq!(tags[0].value.val, Val::Known(json!("mirror-dev")));
}

#[test]
fn stack_env_and_vars_select_and_resolve() {
    let mut o = StackqlOptions {
        stack_env: Some("prd".into()),
        ..Default::default()
    };
    o.vars
        .insert("eni_id".into(), "eni-0123456789abcdef0".into());
    let u = unit(&o);
    let s = &u.sessions[0];
    assert_eq!(s.session_number.len(), 1);
    assert_eq!(s.session_number[0].val, Val::Known(json!(1)));
    assert!(s.session_number[0].when.is_empty());
    assert_eq!(
        s.network_interface_id[0].val,
        Val::Known(json!("eni-0123456789abcdef0"))
    );
}
